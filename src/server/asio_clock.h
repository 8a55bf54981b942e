#pragma once

#include <asio/io_context.hpp>

#include "base/clock.h"

namespace stalk::server {

// The real Clock: monotonic time, alarms on the event loop's timers (timerfd on
// Linux, nanosecond resolution). Alarms fire on the io_context's thread.
class AsioClock final : public Clock {
 public:
  explicit AsioClock(asio::io_context& io) : io_(io) {}
  TimePoint Now() const override;
  std::chrono::system_clock::time_point WallNow() const override {
    return std::chrono::system_clock::now();
  }
  std::unique_ptr<Alarm> NewAlarm(std::function<void()> fire) override;

 private:
  asio::io_context& io_;
};

}  // namespace stalk::server
