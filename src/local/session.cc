#include "local/session.h"

#include <algorithm>
#include <utility>

namespace stalk::local {

Session::Session(queue::SessionId id, Tube* used, uint8_t timer_rank)
    : id_(id), used_(used), timer_(this, timer_rank) {}

WatchEntry* Session::FindWatch(const Tube* t) {
  for (WatchEntry& e : watches_) {
    if (e.tube == t) return &e;
  }
  return nullptr;
}

void Session::AddWatch(Tube* t) {
  WatchEntry e;
  e.tube = t;
  e.session = this;
  watches_.push_back(e);
}

void Session::RemoveWatch(WatchEntry* e) {
  *e = watches_.back();
  watches_.pop_back();
}

bool Session::DeadlineSoon(TimePoint now) const {
  return !reserved_.empty() && reserved_.Top()->deadline() <= now + kSafetyMargin;
}

void Session::BeginWait(TimePoint deadline, ReserveDone done) {
  waiting_ = true;
  wait_deadline_ = deadline;
  pending_ = std::move(done);
}

Session::ReserveDone Session::EndWait() {
  waiting_ = false;
  wait_deadline_ = TimePoint::max();
  ReserveDone done = std::move(pending_);
  pending_ = nullptr;
  return done;
}

TimePoint Session::NextEvent() const {
  TimePoint next = TimePoint::max();
  if (!reserved_.empty()) next = reserved_.Top()->deadline();
  if (waiting_) {
    next = std::min(next, wait_deadline_);
    if (!reserved_.empty()) next = std::min(next, reserved_.Top()->deadline() - kSafetyMargin);
  }
  return next;
}

}  // namespace stalk::local
