#include "server/asio_clock.h"

#include <asio/steady_timer.hpp>

#include <chrono>
#include <utility>

namespace stalk::server {
namespace {

class AsioAlarm final : public Alarm {
 public:
  AsioAlarm(asio::io_context& io, std::function<void()> fire)
      : timer_(io), state_(std::make_shared<State>(State{0, std::move(fire)})) {}
  ~AsioAlarm() override { Cancel(); }

  void SetAt(TimePoint when) override {
    // A wait that already expired may be queued for delivery when the alarm is
    // re-set, cancelled or destroyed; the handler checks that the alarm still
    // exists and that its setting is still the current one.
    const uint64_t gen = ++state_->generation;
    timer_.expires_at(when);
    timer_.async_wait([weak = std::weak_ptr<State>(state_), gen](const std::error_code& ec) {
      auto state = weak.lock();
      if (ec || !state || gen != state->generation) return;
      state->fire();
    });
  }
  void Cancel() override {
    ++state_->generation;
    timer_.cancel();
  }

 private:
  struct State {
    uint64_t generation;
    std::function<void()> fire;
  };
  asio::steady_timer timer_;
  std::shared_ptr<State> state_;
};

}  // namespace

TimePoint AsioClock::Now() const {
  return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
}

std::unique_ptr<Alarm> AsioClock::NewAlarm(std::function<void()> fire) {
  return std::make_unique<AsioAlarm>(io_, std::move(fire));
}

}  // namespace stalk::server
