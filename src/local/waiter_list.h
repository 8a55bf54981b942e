#pragma once

#include <cstddef>

namespace stalk::local {

class Session;
class Tube;

// One tube in a session's watch list. While the session waits in reserve, the
// entry is also linked into that tube's WaiterList, so that a job becoming ready
// in the tube finds its longest-waiting session in O(1), and a session that stops
// waiting leaves every tube's list in O(1) per watched tube.
struct WatchEntry {
  Tube* tube = nullptr;
  Session* session = nullptr;
  WatchEntry* prev = nullptr;
  WatchEntry* next = nullptr;
};

// The sessions waiting in reserve on one tube, oldest first: an intrusive doubly
// linked FIFO of WatchEntry. It owns nothing; an entry must be removed before it
// is destroyed or moved. Not thread-safe.
class WaiterList {
 public:
  WaiterList() = default;
  WaiterList(const WaiterList&) = delete;
  WaiterList& operator=(const WaiterList&) = delete;

  bool empty() const { return head_ == nullptr; }
  size_t size() const { return size_; }
  // The longest-waiting entry. REQUIRES: !empty().
  WatchEntry* front() const { return head_; }

  // REQUIRES: `e` is in no list.
  void PushBack(WatchEntry* e);
  // REQUIRES: `e` is in this list.
  void Remove(WatchEntry* e);

 private:
  WatchEntry* head_ = nullptr;
  WatchEntry* tail_ = nullptr;
  size_t size_ = 0;
};

}  // namespace stalk::local
