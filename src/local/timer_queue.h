#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>

#include "base/clock.h"
#include "base/time.h"
#include "local/indexed_heap.h"

namespace stalk::local {

// One pending deadline, embedded in the object it belongs to (LocalQueue puts one
// in every Tube and every Session). The TimerQueue only links it; it never owns
// it. The owner must Cancel() it before it is destroyed.
struct Timer {
  static constexpr uint32_t kNotQueued = std::numeric_limits<uint32_t>::max();

  Timer(void* owner_in, uint8_t rank_in) : owner(owner_in), rank(rank_in) {}
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  bool queued() const { return pos != kNotQueued; }

  void* const owner;   // for the fire callback to find its object
  const uint8_t rank;  // among timers due at the same instant, lower ranks fire first
  TimePoint when{};
  uint64_t seq = 0;  // set when queued: equal (when, rank) fire in queuing order
  uint32_t pos = kNotQueued;
};

// All the deadlines of a LocalQueue in one indexed min-heap, ordered by
// (when, rank, seq), with a single Alarm of the Clock. Queuing, moving and
// cancelling a timer cost O(log n). When the alarm rings, every timer whose time
// has come is removed and handed to the fire callback, earliest first; the
// callback may queue, move or cancel any timer (including the one it was given),
// and timers it makes due are fired in the same pass.
//
// The alarm is armed at or before the top of the heap, never after it: it is
// moved only when an earlier deadline appears. When the top is cancelled or moved
// later (a job deleted right after its reserve, the common case) the alarm is
// left alone; it then rings early, finds nothing due and re-arms at the real top.
// This keeps Alarm calls (costly on a real event loop) to about one per new
// soonest deadline instead of two per reserve/delete cycle.
//
// Not thread-safe: used on the Clock's thread.
class TimerQueue {
 public:
  using FireFn = std::function<void(Timer&)>;

  // `clock` must outlive this queue.
  TimerQueue(Clock& clock, FireFn fire);
  ~TimerQueue();
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  // Queues `t` to fire at `when`, or moves it there if already queued.
  void Schedule(Timer& t, TimePoint when);
  // Unqueues `t`; no effect if it is not queued.
  void Cancel(Timer& t);

  size_t size() const { return heap_.size(); }
  // The time the alarm is armed for (at or before the earliest timer),
  // TimePoint::max() if none. For tests.
  TimePoint armed_at() const { return armed_at_; }
  // The earliest queued time, TimePoint::max() if none.
  TimePoint next() const { return heap_.empty() ? TimePoint::max() : heap_.Top()->when; }

 private:
  struct Order {
    static bool Less(const Timer& a, const Timer& b) {
      if (a.when != b.when) return a.when < b.when;
      if (a.rank != b.rank) return a.rank < b.rank;
      return a.seq < b.seq;
    }
    static uint32_t Pos(const Timer& t) { return t.pos; }
    static void SetPos(Timer& t, uint32_t pos) { t.pos = pos; }
  };

  void OnAlarm();
  void Rearm();

  Clock& clock_;
  FireFn fire_;
  IndexedHeap<Timer, Order> heap_;
  std::unique_ptr<Alarm> alarm_;
  TimePoint armed_at_ = TimePoint::max();
  uint64_t next_seq_ = 0;
  bool firing_ = false;
};

}  // namespace stalk::local
