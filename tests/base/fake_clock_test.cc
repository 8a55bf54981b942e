#include "base/fake_clock.h"

#include <gtest/gtest.h>

#include <vector>

namespace stalk {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(FakeClock, AdvanceFiresAlarmsInTimeOrderAtTheirExactTime) {
  FakeClock clock;
  const TimePoint start = clock.Now();
  std::vector<std::pair<int, Duration>> fired;
  auto a = clock.NewAlarm([&] { fired.emplace_back(1, clock.Now() - start); });
  auto b = clock.NewAlarm([&] { fired.emplace_back(2, clock.Now() - start); });
  a->SetAt(start + milliseconds(1500));
  b->SetAt(start + milliseconds(700));
  clock.Advance(seconds(2));
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0], std::make_pair(2, Duration(milliseconds(700))));
  EXPECT_EQ(fired[1], std::make_pair(1, Duration(milliseconds(1500))));
  EXPECT_EQ(clock.Now() - start, Duration(seconds(2)));
}

TEST(FakeClock, ResettingAnAlarmReplacesTheEarlierTime) {
  FakeClock clock;
  int fired = 0;
  auto a = clock.NewAlarm([&] { ++fired; });
  a->SetAt(clock.Now() + seconds(1));
  a->SetAt(clock.Now() + seconds(3));
  clock.Advance(seconds(2));
  EXPECT_EQ(fired, 0);
  clock.Advance(seconds(1));
  EXPECT_EQ(fired, 1);
}

TEST(FakeClock, AlarmSetFromACallbackFiresInTheSameAdvance) {
  FakeClock clock;
  int fired = 0;
  std::unique_ptr<Alarm> a;
  a = clock.NewAlarm([&] {
    if (++fired < 3) a->SetAt(clock.Now() + seconds(1));
  });
  a->SetAt(clock.Now() + seconds(1));
  clock.Advance(seconds(10));
  EXPECT_EQ(fired, 3);
}

TEST(FakeClock, CancelledAndDestroyedAlarmsNeverFire) {
  FakeClock clock;
  int fired = 0;
  auto a = clock.NewAlarm([&] { ++fired; });
  a->SetAt(clock.Now() + seconds(1));
  a->Cancel();
  {
    auto b = clock.NewAlarm([&] { ++fired; });
    b->SetAt(clock.Now() + seconds(1));
  }
  clock.Advance(seconds(5));
  EXPECT_EQ(fired, 0);
  EXPECT_EQ(clock.NextAlarm(), TimePoint::max());
}

}  // namespace
}  // namespace stalk
