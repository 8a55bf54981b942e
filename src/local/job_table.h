#pragma once

#include <cstddef>
#include <memory>

#include "local/job.h"
#include "queue/types.h"

namespace stalk::local {

// The index of live jobs by id: an open-addressing hash table of Job* with linear
// probing and backward-shift deletion (no tombstones). The key is read from the
// job itself, so a slot is one pointer: about 8 / load bytes per job, with the
// load kept between 1/8 and 4/5 (it grows at 4/5 and shrinks below 1/8 so a
// drained backlog gives its memory back). Ids are sequential, so they are spread
// with a Fibonacci (multiplicative) hash before masking.
//
// The table does not own the jobs. Not thread-safe.
class JobTable {
 public:
  JobTable();
  JobTable(const JobTable&) = delete;
  JobTable& operator=(const JobTable&) = delete;

  // The job with this id, or nullptr.
  Job* Find(queue::JobId id) const;
  // REQUIRES: no job with job->id() is in the table.
  void Insert(Job* job);
  // REQUIRES: `job` is in the table.
  void Erase(Job* job);

  size_t size() const { return size_; }
  size_t capacity() const { return mask_ + 1; }

  // Calls f(Job*) for every job, in no order. `f` must not change the table.
  template <class F>
  void ForEach(F&& f) const {
    for (size_t i = 0; i <= mask_; ++i) {
      if (slots_[i] != nullptr) f(slots_[i]);
    }
  }

 private:
  static constexpr size_t kMinCapacity = 16;

  size_t Home(queue::JobId id) const;
  void Rehash(size_t capacity);

  std::unique_ptr<Job*[]> slots_;
  size_t mask_ = 0;
  int shift_ = 0;  // 64 - log2(capacity)
  size_t size_ = 0;
};

}  // namespace stalk::local
