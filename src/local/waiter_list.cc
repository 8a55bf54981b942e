#include "local/waiter_list.h"

namespace stalk::local {

void WaiterList::PushBack(WatchEntry* e) {
  e->next = nullptr;
  e->prev = tail_;
  if (tail_ != nullptr) {
    tail_->next = e;
  } else {
    head_ = e;
  }
  tail_ = e;
  ++size_;
}

void WaiterList::Remove(WatchEntry* e) {
  if (e->prev != nullptr) {
    e->prev->next = e->next;
  } else {
    head_ = e->next;
  }
  if (e->next != nullptr) {
    e->next->prev = e->prev;
  } else {
    tail_ = e->prev;
  }
  e->prev = e->next = nullptr;
  --size_;
}

}  // namespace stalk::local
