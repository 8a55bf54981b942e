#pragma once

#include <cstdint>
#include <map>
#include <memory>

#include "base/clock.h"

namespace stalk {

// A Clock that only moves when told to. Advance() walks time forward through
// every alarm that falls due on the way, in order, firing each at its exact time,
// so code under test sees the same sequence of events it would see live.
// Single-threaded, for tests.
class FakeClock final : public Clock {
 public:
  FakeClock();
  ~FakeClock() override;

  TimePoint Now() const override { return now_; }
  // Moves with Now(): a fixed wall-clock origin plus the time advanced.
  std::chrono::system_clock::time_point WallNow() const override {
    return wall_origin_ + std::chrono::duration_cast<std::chrono::system_clock::duration>(now_ - origin_);
  }
  std::unique_ptr<Alarm> NewAlarm(std::function<void()> fire) override;

  // Moves time forward by `d`, firing due alarms (including ones set by the
  // callbacks themselves while time moves).
  void Advance(Duration d);
  // The earliest alarm time, or TimePoint::max() when none is set.
  TimePoint NextAlarm() const;

 private:
  class FakeAlarm;
  friend class FakeAlarm;

  TimePoint origin_;
  TimePoint now_;
  std::chrono::system_clock::time_point wall_origin_;
  uint64_t next_seq_ = 0;
  // (when, seq) -> alarm; seq keeps alarms set for the same instant in set order.
  std::map<std::pair<TimePoint, uint64_t>, FakeAlarm*> pending_;
};

}  // namespace stalk
