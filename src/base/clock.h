#pragma once

#include <functional>
#include <memory>

#include "base/time.h"

namespace stalk {

// A one-shot, re-armable wake-up owned by whoever created it. Not thread-safe:
// it is set, cancelled and fired on the thread that owns its Clock.
class Alarm {
 public:
  virtual ~Alarm() = default;
  // Fires the alarm's callback once the clock reaches `when` (at once, on the next
  // turn of the loop, if `when` is already past). Replaces any earlier setting.
  virtual void SetAt(TimePoint when) = 0;
  // Forgets the current setting, if any. Safe to call when not set.
  virtual void Cancel() = 0;
};

// The source of time and of timers, injected so that tests of time never sleep
// (FakeClock) and the server runs on its event loop (server/AsioClock).
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
  // Wall-clock time, only for what must survive a restart (a delayed job's
  // ready-at, a job's creation time in the journal). Never drives a timer.
  virtual std::chrono::system_clock::time_point WallNow() const = 0;
  // The callback runs on the clock's thread, never from inside SetAt(). The alarm
  // must not outlive the clock.
  virtual std::unique_ptr<Alarm> NewAlarm(std::function<void()> fire) = 0;
};

}  // namespace stalk
