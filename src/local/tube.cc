#include "local/tube.h"

#include <algorithm>

namespace stalk::local {

Tube::Tube(std::string_view name, uint8_t timer_rank) : name_(name), timer_(this, timer_rank) {}

void Tube::PushReady(Job* job) {
  ready_.Push(job);
  if (job->urgent()) ++counters_.urgent;
}

void Tube::RemoveReady(Job* job) {
  ready_.Remove(job);
  if (job->urgent()) --counters_.urgent;
}

void Tube::Pause(Duration pause, TimePoint until) {
  paused_ = true;
  pause_ = pause;
  unpause_at_ = until;
}

void Tube::Unpause() {
  paused_ = false;
  pause_ = Duration::zero();
  unpause_at_ = TimePoint{};
}

TimePoint Tube::NextEvent() const {
  TimePoint next = TimePoint::max();
  if (!delayed_.empty()) next = delayed_.Top()->deadline();
  if (paused_) next = std::min(next, unpause_at_);
  return next;
}

}  // namespace stalk::local
