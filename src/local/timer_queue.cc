#include "local/timer_queue.h"

#include <utility>

namespace stalk::local {

TimerQueue::TimerQueue(Clock& clock, FireFn fire)
    : clock_(clock), fire_(std::move(fire)), alarm_(clock.NewAlarm([this] { OnAlarm(); })) {}

TimerQueue::~TimerQueue() {
  // Leave no dangling positions in timers that outlive us.
  while (!heap_.empty()) heap_.Pop()->pos = Timer::kNotQueued;
}

void TimerQueue::Schedule(Timer& t, TimePoint when) {
  if (t.queued()) {
    if (t.when == when) return;
    t.when = when;
    heap_.Fix(&t);
  } else {
    t.when = when;
    t.seq = next_seq_++;
    heap_.Push(&t);
  }
  Rearm();
}

void TimerQueue::Cancel(Timer& t) {
  if (!t.queued()) return;
  heap_.Remove(&t);
  t.pos = Timer::kNotQueued;
  // The alarm stays: it may ring early, which is harmless.
}

void TimerQueue::OnAlarm() {
  armed_at_ = TimePoint::max();  // the alarm is one-shot and has just been used
  const TimePoint now = clock_.Now();
  firing_ = true;
  while (!heap_.empty() && heap_.Top()->when <= now) {
    Timer* t = heap_.Pop();
    t->pos = Timer::kNotQueued;
    fire_(*t);  // may destroy the owner of `t`: do not touch `t` after this
  }
  firing_ = false;
  Rearm();
}

void TimerQueue::Rearm() {
  if (firing_) return;  // OnAlarm re-arms once it has fired everything due
  const TimePoint top = next();
  if (top >= armed_at_) return;  // an early ring is harmless; see the class comment
  armed_at_ = top;
  alarm_->SetAt(top);
}

}  // namespace stalk::local
