#include "local/session.h"

#include <gtest/gtest.h>

#include <chrono>

#include "local/tube.h"

namespace stalk::local {
namespace {

using std::chrono::seconds;

class SessionTest : public ::testing::Test {
 protected:
  ~SessionTest() override {
    while (!s_.reserved().empty()) Job::Destroy(s_.reserved().Pop());
  }
  Job* Hold(queue::JobId id, TimePoint deadline) {
    Job* j = Job::Create(id, &tube_, 0, {}, seconds(1), TimePoint{}, "");
    j->set_state(queue::JobState::kReserved);
    j->set_deadline(deadline);
    s_.reserved().Push(j);
    return j;
  }
  const TimePoint t0_ = TimePoint(seconds(1000));
  Tube tube_{"default", 0};
  Session s_{1, &tube_, 1};
};

TEST_F(SessionTest, NextEventIsTheSoonestTtrWhenNotWaiting) {
  EXPECT_EQ(s_.NextEvent(), TimePoint::max());
  Hold(1, t0_ + seconds(9));
  Hold(2, t0_ + seconds(4));
  EXPECT_EQ(s_.NextEvent(), t0_ + seconds(4));
}

TEST_F(SessionTest, NextEventWhileWaitingIsTheEarlierOfTimeoutAndDeadlineSoon) {
  Hold(1, t0_ + seconds(4));
  s_.BeginWait(t0_ + seconds(10), nullptr);
  EXPECT_EQ(s_.NextEvent(), t0_ + seconds(3));  // 1 s before the TTR runs out
  s_.EndWait();
  s_.BeginWait(t0_ + seconds(2), nullptr);
  EXPECT_EQ(s_.NextEvent(), t0_ + seconds(2));
  s_.EndWait();
  EXPECT_EQ(s_.NextEvent(), t0_ + seconds(4));
}

TEST_F(SessionTest, DeadlineSoonIncludesExactlyOneSecondAway) {
  Hold(1, t0_ + seconds(5));
  EXPECT_FALSE(s_.DeadlineSoon(t0_ + seconds(4) - std::chrono::nanoseconds(1)));
  EXPECT_TRUE(s_.DeadlineSoon(t0_ + seconds(4)));
}

TEST_F(SessionTest, HoldsOnlyItsOwnReservedJobs) {
  Job* mine = Hold(1, t0_);
  Session other(2, &tube_, 1);
  Job* theirs = Job::Create(2, &tube_, 0, {}, seconds(1), TimePoint{}, "");
  theirs->set_state(queue::JobState::kReserved);
  other.reserved().Push(theirs);  // same heap position 0 as `mine`
  EXPECT_TRUE(s_.Holds(mine));
  EXPECT_FALSE(s_.Holds(theirs));
  EXPECT_TRUE(other.Holds(theirs));
  other.reserved().Pop();
  Job::Destroy(theirs);
}

TEST_F(SessionTest, RemovingAWatchMovesTheLastIntoItsPlace) {
  Tube a("a", 0), b("b", 0), c("c", 0);
  s_.AddWatch(&tube_);
  s_.AddWatch(&a);
  s_.AddWatch(&b);
  s_.AddWatch(&c);
  s_.RemoveWatch(s_.FindWatch(&tube_));
  ASSERT_EQ(s_.watches().size(), 3u);
  EXPECT_EQ(s_.watches()[0].tube, &c);
  EXPECT_EQ(s_.watches()[1].tube, &a);
  EXPECT_EQ(s_.watches()[2].tube, &b);
  EXPECT_EQ(s_.FindWatch(&tube_), nullptr);
}

}  // namespace
}  // namespace stalk::local
