#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace stalk::journal {

// Carries resolved durability completions from the disk thread back to the owner's thread,
// through the owner's "post" function, in the order they were resolved. Held by
// shared_ptr: a posted drain keeps the queue alive even if the Journal is gone by then.
// Thread-safe: Push from any thread, Drain on the owner's thread.
class CompletionQueue : public std::enable_shared_from_this<CompletionQueue> {
 public:
  using Done = std::function<void(bool ok)>;
  using Post = std::function<void(std::function<void()>)>;

  explicit CompletionQueue(Post post) : post_(std::move(post)) {}

  // Queues `items` (completion, ok) after everything queued before and makes sure one drain
  // is posted. Empties *items.
  void Push(std::vector<std::pair<Done, bool>>* items);

  // Runs every queued completion, in order, on the calling thread.
  void Drain();

 private:
  Post post_;
  std::mutex mu_;
  std::vector<std::pair<Done, bool>> ready_;  // GUARDED_BY(mu_)
  bool drain_posted_ = false;                 // GUARDED_BY(mu_)
};

}  // namespace stalk::journal
