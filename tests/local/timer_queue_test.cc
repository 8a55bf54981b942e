#include "local/timer_queue.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/fake_clock.h"

namespace stalk::local {
namespace {

using std::chrono::seconds;
constexpr Duration kNs = std::chrono::nanoseconds(1);

struct Named {
  Named(std::string n, uint8_t rank) : name(std::move(n)), timer(this, rank) {}
  std::string name;
  Timer timer;
};

class TimerQueueTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  const TimePoint t0_ = clock_.Now();
  std::vector<std::string> fired_;
  std::function<void(Named&)> on_fire_;
  TimerQueue timers_{clock_, [this](Timer& t) {
                       Named& n = *static_cast<Named*>(t.owner);
                       fired_.push_back(n.name);
                       if (on_fire_) on_fire_(n);
                     }};
};

TEST_F(TimerQueueTest, FiresEachTimerAtExactlyItsTimeInOrder) {
  Named a("a", 0), b("b", 0);
  timers_.Schedule(a.timer, t0_ + seconds(2));
  timers_.Schedule(b.timer, t0_ + seconds(1));
  EXPECT_EQ(timers_.armed_at(), t0_ + seconds(1));
  clock_.Advance(seconds(1) - kNs);
  EXPECT_TRUE(fired_.empty());
  clock_.Advance(kNs);
  EXPECT_EQ(fired_, std::vector<std::string>{"b"});
  EXPECT_FALSE(b.timer.queued());
  EXPECT_EQ(timers_.armed_at(), t0_ + seconds(2));
  clock_.Advance(seconds(1));
  EXPECT_EQ(fired_, (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(timers_.armed_at(), TimePoint::max());
  EXPECT_EQ(clock_.NextAlarm(), TimePoint::max());  // nothing left: not re-armed
}

TEST_F(TimerQueueTest, SimultaneousTimersFireByRankThenInQueuingOrder) {
  Named late_rank("session", 1), x("tube-x", 0), y("tube-y", 0);
  timers_.Schedule(late_rank.timer, t0_ + seconds(1));
  timers_.Schedule(y.timer, t0_ + seconds(1));
  timers_.Schedule(x.timer, t0_ + seconds(1));
  clock_.Advance(seconds(1));
  EXPECT_EQ(fired_, (std::vector<std::string>{"tube-y", "tube-x", "session"}));
}

TEST_F(TimerQueueTest, MovingAndCancellingNeverMakeATimerFireLateOrSpuriously) {
  Named a("a", 0), b("b", 0);
  timers_.Schedule(a.timer, t0_ + seconds(5));
  timers_.Schedule(b.timer, t0_ + seconds(7));
  timers_.Schedule(a.timer, t0_ + seconds(9));  // moved later
  timers_.Cancel(b.timer);
  timers_.Cancel(b.timer);  // twice is fine
  EXPECT_EQ(timers_.size(), 1u);
  EXPECT_EQ(timers_.next(), t0_ + seconds(9));
  EXPECT_LE(timers_.armed_at(), timers_.next());
  clock_.Advance(seconds(9) - kNs);
  EXPECT_TRUE(fired_.empty());  // the early rings at 5 s and 7 s found nothing due
  EXPECT_EQ(timers_.armed_at(), t0_ + seconds(9));
  clock_.Advance(kNs);
  EXPECT_EQ(fired_, std::vector<std::string>{"a"});
}

TEST_F(TimerQueueTest, TheAlarmMovesEarlierAtOnce) {
  Named a("a", 0), b("b", 0);
  timers_.Schedule(a.timer, t0_ + seconds(9));
  timers_.Schedule(b.timer, t0_ + seconds(2));
  EXPECT_EQ(clock_.NextAlarm(), t0_ + seconds(2));
  timers_.Schedule(a.timer, t0_ + seconds(1));  // moved earlier
  EXPECT_EQ(clock_.NextAlarm(), t0_ + seconds(1));
  clock_.Advance(seconds(1));
  EXPECT_EQ(fired_, std::vector<std::string>{"a"});
  timers_.Cancel(b.timer);  // owners cancel before they go
}

// Counts the calls a TimerQueue makes on its Alarm.
class CountingClock final : public Clock {
 public:
  explicit CountingClock(Clock& real) : real_(real) {}
  TimePoint Now() const override { return real_.Now(); }
  std::chrono::system_clock::time_point WallNow() const override { return real_.WallNow(); }
  std::unique_ptr<Alarm> NewAlarm(std::function<void()> fire) override {
    return std::make_unique<CountingAlarm>(this, real_.NewAlarm(std::move(fire)));
  }
  int calls = 0;

 private:
  class CountingAlarm final : public Alarm {
   public:
    CountingAlarm(CountingClock* c, std::unique_ptr<Alarm> a) : c_(c), a_(std::move(a)) {}
    void SetAt(TimePoint when) override {
      ++c_->calls;
      a_->SetAt(when);
    }
    void Cancel() override {
      ++c_->calls;
      a_->Cancel();
    }

   private:
    CountingClock* c_;
    std::unique_ptr<Alarm> a_;
  };
  Clock& real_;
};

TEST(TimerQueue, ReserveDeleteChurnDoesNotTouchTheAlarmEachTime) {
  FakeClock fake;
  CountingClock clock(fake);
  int fired = 0;
  TimerQueue timers(clock, [&](Timer&) { ++fired; });
  Named session("s", 1);
  // A worker reserving (TTR 60 s) and deleting a job every millisecond.
  for (int i = 0; i < 1000; ++i) {
    timers.Schedule(session.timer, fake.Now() + seconds(60));
    timers.Cancel(session.timer);
    fake.Advance(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(clock.calls, 1);
  EXPECT_EQ(fired, 0);
  fake.Advance(seconds(120));  // one early ring, nothing due, nothing re-armed
  EXPECT_EQ(fired, 0);
  EXPECT_EQ(clock.calls, 1);
}

TEST_F(TimerQueueTest, CallbackMayQueueTimersThatAreAlreadyDue) {
  Named a("a", 0), b("b", 0);
  on_fire_ = [&](Named& n) {
    if (n.name == "a") timers_.Schedule(b.timer, clock_.Now());
  };
  timers_.Schedule(a.timer, t0_ + seconds(1));
  clock_.Advance(seconds(1));
  EXPECT_EQ(fired_, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(timers_.size(), 0u);
}

TEST_F(TimerQueueTest, CallbackMayRequeueItselfAndCancelOthers) {
  Named a("a", 0), b("b", 0);
  int rounds = 0;
  on_fire_ = [&](Named& n) {
    if (n.name != "a") return;
    timers_.Cancel(b.timer);
    if (++rounds < 3) timers_.Schedule(a.timer, clock_.Now() + seconds(1));
  };
  timers_.Schedule(a.timer, t0_ + seconds(1));
  timers_.Schedule(b.timer, t0_ + seconds(1));
  clock_.Advance(seconds(10));
  EXPECT_EQ(fired_, (std::vector<std::string>{"a", "a", "a"}));
}

}  // namespace
}  // namespace stalk::local
