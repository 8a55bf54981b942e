#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "local/job.h"
#include "queue/types.h"

namespace stalk::local {

// A page of the JobTable: the jobs whose ids share id >> kPageBits, each in slot
// id & (kPageSize - 1). 512 pointers plus a header: one 4 KiB-ish allocation.
struct JobPage {
  static constexpr int kPageBits = 9;
  static constexpr size_t kPageSize = size_t{1} << kPageBits;  // 512 ids
  static constexpr size_t kSlotMask = kPageSize - 1;

  uint64_t number = 0;  // id >> kPageBits
  uint32_t live = 0;    // non-null slots
  Job* slots[kPageSize] = {};
};

namespace job_table_internal {

inline uint64_t KeyOf(const Job* job) { return job->id(); }
inline uint64_t KeyOf(const JobPage* page) { return page->number; }

// An open-addressing hash set of T*, keyed by KeyOf(T*) (unique), with a
// Fibonacci hash, linear probing and backward-shift deletion (no tombstones).
// It grows at load 4/5 and shrinks below 1/8: 10-20 bytes per element.
template <class T>
class PointerSet {
 public:
  PointerSet();
  PointerSet(const PointerSet&) = delete;
  PointerSet& operator=(const PointerSet&) = delete;

  T* Find(uint64_t key) const;
  void Insert(T* p);  // REQUIRES: no element with KeyOf(p) is in the set.
  void Erase(T* p);   // REQUIRES: `p` is in the set.

  size_t size() const { return size_; }
  size_t capacity() const { return mask_ + 1; }

  template <class F>
  void ForEach(F&& f) const {
    for (size_t i = 0; i <= mask_; ++i) {
      if (slots_[i] != nullptr) f(slots_[i]);
    }
  }

 private:
  static constexpr size_t kMinCapacity = 8;

  size_t Home(uint64_t key) const {
    // 2^64 / golden ratio; the high bits of the product are well mixed.
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_);
  }
  void Rehash(size_t capacity);

  std::unique_ptr<T*[]> slots_;
  size_t mask_ = 0;
  int shift_ = 0;  // 64 - log2(capacity)
  size_t size_ = 0;
};

}  // namespace job_table_internal

// The index of live jobs by id: a paged direct map, like a page table. Ids are
// handed out sequentially and never reused, so live jobs form dense runs: id i
// lives in slot i & 511 of page i >> 9, a JobPage of 512 Job* (4 KiB). Pages are
// found through a small hash set keyed by page number (8-16 bytes per page), with
// the newest page (the "top", where puts go) checked first. Consecutive ids share
// cache lines, and a dense run costs about 8 bytes per job plus 1/512 of a page
// header and directory entry.
//
// Sparse ids would waste pages, so a page is never created below the top: a job
// whose page does not exist and lies below the top goes to `overflow_`, an
// ordinary hash set of Job* (10-20 bytes per job). A page other than the top that
// falls below kRetireBelow live jobs is retired: its jobs move to the overflow and
// the page is freed (at once if it empties). Invariant: a job is in its page if
// that page exists, otherwise in the overflow; so each id is looked for in exactly
// one place. Only the top page is kept when the table drains (4 KiB).
//
// Worst cases: memory in pages is at most ~4.1 KiB / kRetireBelow = ~65 bytes per
// job (every non-top page just above the threshold), against ~8 dense; any other
// job costs 10-20 bytes in the overflow. Retiring a page costs a 512-slot scan and
// fewer than kRetireBelow overflow inserts, once per page, amortized over the
// >= 512 - kRetireBelow erases that got it there. Ids far apart (an old long-lived
// job far behind the current ids, ids near UINT64_MAX) cost no directory span:
// the directory is a hash set of existing pages only. Any uint64 id is allowed.
//
// The table does not own the jobs. Not thread-safe (thread-compatible: const
// methods may run concurrently with each other, nothing else may).
class JobTable {
 public:
  // A non-top page with fewer live jobs than this is retired to the overflow.
  static constexpr uint32_t kRetireBelow = 64;

  JobTable() = default;
  ~JobTable();
  JobTable(const JobTable&) = delete;
  JobTable& operator=(const JobTable&) = delete;

  // The job with this id, or nullptr.
  Job* Find(queue::JobId id) const;
  // REQUIRES: no job with job->id() is in the table.
  void Insert(Job* job);
  // REQUIRES: `job` is in the table.
  void Erase(Job* job);

  size_t size() const { return size_; }
  // Job slots allocated: in pages plus in the overflow.
  size_t capacity() const {
    return pages_.size() * JobPage::kPageSize + overflow_.capacity();
  }
  // Introspection for tests and measurements.
  size_t page_count() const { return pages_.size(); }
  size_t overflow_size() const { return overflow_.size(); }

  // Calls f(Job*) for every job, in no order. `f` must not change the table.
  template <class F>
  void ForEach(F&& f) const {
    pages_.ForEach([&](const JobPage* page) {
      for (Job* job : page->slots) {
        if (job != nullptr) f(job);
      }
    });
    overflow_.ForEach(f);
  }

 private:
  JobPage* PageOf(uint64_t number) const {
    if (top_ != nullptr && top_->number == number) return top_;
    return pages_.Find(number);
  }
  // Frees `page` if it is empty, or moves its jobs to the overflow and frees it
  // if it has fewer than kRetireBelow. REQUIRES: page != top_.
  void MaybeRetire(JobPage* page);

  job_table_internal::PointerSet<JobPage> pages_;  // every page, the top too
  job_table_internal::PointerSet<Job> overflow_;
  JobPage* top_ = nullptr;  // highest-numbered page ever made; null until the first
  size_t size_ = 0;
};

}  // namespace stalk::local
