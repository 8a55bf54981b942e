#include "journal/completion_queue.h"

namespace stalk::journal {

void CompletionQueue::Push(std::vector<std::pair<Done, bool>>* items) {
  if (items->empty()) return;
  bool post = false;
  {
    std::lock_guard l(mu_);
    if (ready_.empty()) {
      ready_.swap(*items);
    } else {
      for (auto& item : *items) ready_.push_back(std::move(item));
    }
    items->clear();
    if (!drain_posted_) post = drain_posted_ = true;
  }
  if (post) post_([self = shared_from_this()] { self->Drain(); });
}

void CompletionQueue::Drain() {
  std::vector<std::pair<Done, bool>> run;
  {
    std::lock_guard l(mu_);
    run.swap(ready_);
    drain_posted_ = false;
  }
  for (auto& [done, ok] : run) {
    if (done) done(ok);
  }
}

}  // namespace stalk::journal
