#include "base/fake_clock.h"

#include <utility>

namespace stalk {

class FakeClock::FakeAlarm final : public Alarm {
 public:
  FakeAlarm(FakeClock* clock, std::function<void()> fire) : clock_(clock), fire_(std::move(fire)) {}
  ~FakeAlarm() override { Cancel(); }

  void SetAt(TimePoint when) override {
    Cancel();
    key_ = {when, clock_->next_seq_++};
    clock_->pending_.emplace(key_, this);
    armed_ = true;
  }
  void Cancel() override {
    if (!armed_) return;
    clock_->pending_.erase(key_);
    armed_ = false;
  }
  void Fire() {
    armed_ = false;
    fire_();
  }

 private:
  FakeClock* clock_;
  std::function<void()> fire_;
  std::pair<TimePoint, uint64_t> key_;
  bool armed_ = false;
};

// Starts well away from the epoch so that "now - something" never underflows in tests.
FakeClock::FakeClock()
    : origin_(TimePoint(std::chrono::hours(24 * 365))),
      now_(origin_),
      wall_origin_(std::chrono::sys_days(std::chrono::year(2026) / 1 / 1)) {}
FakeClock::~FakeClock() = default;

std::unique_ptr<Alarm> FakeClock::NewAlarm(std::function<void()> fire) {
  return std::make_unique<FakeAlarm>(this, std::move(fire));
}

void FakeClock::Advance(Duration d) {
  const TimePoint target = now_ + d;
  while (!pending_.empty() && pending_.begin()->first.first <= target) {
    auto it = pending_.begin();
    FakeAlarm* alarm = it->second;
    if (it->first.first > now_) now_ = it->first.first;
    pending_.erase(it);
    alarm->Fire();
  }
  now_ = target;
}

TimePoint FakeClock::NextAlarm() const {
  return pending_.empty() ? TimePoint::max() : pending_.begin()->first.first;
}

}  // namespace stalk
