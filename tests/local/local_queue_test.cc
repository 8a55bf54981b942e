#include "local/local_queue.h"

#include <gtest/gtest.h>

#include "local/local_queue_fixture.h"

namespace stalk::local::testing {
namespace {

// ---------------------------------------------------------------------------
// Put, ids, ordering

TEST_F(LocalQueueTest, PutThenReserveReturnsTheJobAndItsBody) {
  SessionId s = q_.OpenSession();
  JobId id = Put(s, 0, {}, seconds(60), "hello\r\nworld");
  EXPECT_EQ(id, 1u);
  ReserveResult r = Reserve(s);
  EXPECT_EQ(r.code, Code::kOk);
  EXPECT_EQ(r.id, 1u);
  EXPECT_EQ(r.body, "hello\r\nworld");
  EXPECT_EQ(StateOf(1), JobState::kReserved);
}

TEST_F(LocalQueueTest, EmptyBodyIsAllowed) {
  SessionId s = q_.OpenSession();
  Put(s, 0, {}, seconds(1), "");
  ReserveResult r = Reserve(s);
  EXPECT_EQ(r.code, Code::kOk);
  EXPECT_EQ(r.body, "");
}

TEST_F(LocalQueueTest, JobIdsStartAtOneAndAreNeverReused) {
  SessionId s = q_.OpenSession();
  EXPECT_EQ(Put(s), 1u);
  EXPECT_EQ(Put(s), 2u);
  EXPECT_EQ(Delete(s, 2), Code::kOk);
  EXPECT_EQ(Delete(s, 1), Code::kOk);
  EXPECT_EQ(Put(s), 3u);
}

TEST_F(LocalQueueTest, ReserveInOneTubeTakesLowestPriorityThenLowestId) {
  SessionId s = q_.OpenSession();
  JobId a = Put(s, 5);
  JobId b = Put(s, 3);
  JobId c = Put(s, 5);
  JobId d = Put(s, 3);
  JobId e = Put(s, 0);
  EXPECT_EQ(ReserveId(s), e);
  EXPECT_EQ(ReserveId(s), b);
  EXPECT_EQ(ReserveId(s), d);
  EXPECT_EQ(ReserveId(s), a);
  EXPECT_EQ(ReserveId(s), c);
}

TEST_F(LocalQueueTest, ReserveAcrossTubesTakesLowestPriorityThenLowestId) {
  // reference/beanstalkd.md §1.7, verified live: 5,3,5,3,0 in o1 and 1 in o2.
  SessionId p = q_.OpenSession();
  Use(p, "o1");
  JobId j5a = Put(p, 5);
  JobId j3a = Put(p, 3);
  JobId j5b = Put(p, 5);
  JobId j3b = Put(p, 3);
  JobId j0 = Put(p, 0);
  Use(p, "o2");
  JobId j1 = Put(p, 1);
  SessionId w = q_.OpenSession();
  Watch(w, "o1");
  Watch(w, "o2");
  Ignore(w, "default");
  EXPECT_EQ(ReserveId(w), j0);
  EXPECT_EQ(ReserveId(w), j1);
  EXPECT_EQ(ReserveId(w), j3a);
  EXPECT_EQ(ReserveId(w), j3b);
  EXPECT_EQ(ReserveId(w), j5a);
  EXPECT_EQ(ReserveId(w), j5b);
}

TEST_F(LocalQueueTest, EqualPrioritiesAcrossTubesGoByLowestId) {
  SessionId p = q_.OpenSession();
  Use(p, "b");
  JobId first = Put(p, 7);
  Use(p, "a");
  JobId second = Put(p, 7);
  SessionId w = q_.OpenSession();
  Watch(w, "a");
  Watch(w, "b");
  EXPECT_EQ(ReserveId(w), first);
  EXPECT_EQ(ReserveId(w), second);
}

TEST_F(LocalQueueTest, PriorityIsComparedUnsigned) {
  SessionId s = q_.OpenSession();
  JobId big = Put(s, 4294967295u);
  JobId small = Put(s, 0);
  EXPECT_EQ(ReserveId(s), small);
  EXPECT_EQ(ReserveId(s), big);
}

TEST_F(LocalQueueTest, ReserveIgnoresUnwatchedTubes) {
  SessionId s = q_.OpenSession();
  Use(s, "other");
  Put(s);
  ReserveResult r = Reserve(s);
  EXPECT_EQ(r.code, Code::kTimedOut);
}

TEST_F(LocalQueueTest, ReleasedJobKeepsItsIdAndGoesAheadOfNewerJobsOfTheSamePriority) {
  SessionId s = q_.OpenSession();
  JobId old_job = Put(s, 10);
  ASSERT_EQ(ReserveId(s), old_job);
  JobId newer = Put(s, 10);
  EXPECT_EQ(Release(s, old_job, 10), Code::kOk);
  EXPECT_EQ(ReserveId(s), old_job);
  EXPECT_EQ(ReserveId(s), newer);
}

TEST_F(LocalQueueTest, TtrBelowOneSecondBecomesOneSecond) {
  SessionId s = q_.OpenSession();
  JobId a = Put(s, 0, {}, Duration::zero());
  JobId b = Put(s, 0, {}, milliseconds(500));
  EXPECT_EQ(StatsJob(a)->ttr, seconds(1));
  EXPECT_EQ(StatsJob(b)->ttr, seconds(1));
}

TEST_F(LocalQueueTest, LargeTtrsAreKeptExactly) {
  // testserv ttrlarge.
  SessionId s = q_.OpenSession();
  for (int64_t ttr : {120LL, 4294LL, 4295LL, 4296LL, 4297LL, 5000LL, 21600LL, 4294967295LL}) {
    JobId id = Put(s, 0, {}, seconds(ttr));
    EXPECT_EQ(StatsJob(id)->ttr, seconds(ttr));
  }
}

// ---------------------------------------------------------------------------
// Delayed jobs

TEST_F(LocalQueueTest, DelayedJobBecomesReadyExactlyAtItsDeadline) {
  SessionId s = q_.OpenSession();
  JobId id = Put(s, 0, seconds(5));
  EXPECT_EQ(StateOf(id), JobState::kDelayed);
  EXPECT_EQ(Reserve(s).code, Code::kTimedOut);
  Advance(seconds(5) - kNs);
  EXPECT_EQ(StateOf(id), JobState::kDelayed);
  EXPECT_EQ(StatsTube("default")->delayed, 1u);
  Advance(kNs);
  EXPECT_EQ(StateOf(id), JobState::kReady);
  EXPECT_EQ(StatsTube("default")->ready, 1u);
  EXPECT_EQ(StatsTube("default")->delayed, 0u);
  EXPECT_EQ(ReserveId(s), id);
}

TEST_F(LocalQueueTest, DelayedJobsBecomeReadyInDeadlineOrder) {
  SessionId s = q_.OpenSession();
  JobId late = Put(s, 0, seconds(3));
  JobId early = Put(s, 9, seconds(1));
  EXPECT_EQ(PeekDelayed(s), early);
  Advance(seconds(1));
  EXPECT_EQ(StateOf(early), JobState::kReady);
  EXPECT_EQ(StateOf(late), JobState::kDelayed);
  EXPECT_EQ(PeekDelayed(s), late);
  Advance(seconds(2));
  EXPECT_EQ(PeekDelayed(s), 0u);
  EXPECT_EQ(ReserveId(s), late);  // pri 0 beats pri 9 once both are ready
  EXPECT_EQ(ReserveId(s), early);
}

TEST_F(LocalQueueTest, PeekDelayedBreaksDeadlineTiesByLowestId) {
  SessionId s = q_.OpenSession();
  JobId a = Put(s, 5, seconds(2));
  Put(s, 1, seconds(2));
  EXPECT_EQ(PeekDelayed(s), a);
}

TEST_F(LocalQueueTest, DelayedJobGoesToAWaitingSessionAtItsDeadline) {
  SessionId p = q_.OpenSession();
  SessionId w = q_.OpenSession();
  JobId id = Put(p, 0, seconds(2));
  auto r = ReserveAsync(w);
  Advance(seconds(2) - kNs);
  EXPECT_EQ(r->calls, 0);
  Advance(kNs);
  ASSERT_EQ(r->calls, 1);
  EXPECT_EQ(r->code, Code::kOk);
  EXPECT_EQ(r->id, id);
}

TEST_F(LocalQueueTest, DelayedJobsDueAtOnceGoToWaitersInDeadlineOrderNotPriority) {
  // beanstalkd #400: each job becomes ready on its own and goes to a waiter.
  SessionId p = q_.OpenSession();
  JobId low_pri_first = Put(p, 100, seconds(1));
  Advance(milliseconds(1));
  JobId high_pri_second = Put(p, 0, milliseconds(999));
  SessionId w = q_.OpenSession();
  auto r = ReserveAsync(w);
  Advance(seconds(1));
  ASSERT_EQ(r->calls, 1);
  EXPECT_EQ(r->id, low_pri_first);
  EXPECT_EQ(StateOf(high_pri_second), JobState::kReady);
}

// ---------------------------------------------------------------------------
// TTR

TEST_F(LocalQueueTest, TtrExpiresExactlyAtTheDeadlineWithNoFurtherCalls) {
  SessionId s = q_.OpenSession();
  JobId id = Put(s, 0, {}, seconds(10));
  ASSERT_EQ(ReserveId(s), id);
  Advance(seconds(10) - kNs);
  EXPECT_EQ(StateOf(id), JobState::kReserved);
  EXPECT_EQ(StatsJob(id)->time_left, kNs);
  Advance(kNs);
  EXPECT_EQ(StateOf(id), JobState::kReady);
  EXPECT_EQ(StatsJob(id)->timeouts, 1u);
  EXPECT_EQ(Stats().job_timeouts, 1u);
  EXPECT_EQ(Stats().reserved, 0u);
  EXPECT_EQ(Stats().ready, 1u);
}

TEST_F(LocalQueueTest, ExpiredJobGoesToAWaitingSession) {
  SessionId holder = q_.OpenSession();
  SessionId w = q_.OpenSession();
  JobId id = Put(holder, 0, {}, seconds(3));
  ASSERT_EQ(ReserveId(holder), id);
  auto r = ReserveAsync(w);
  EXPECT_EQ(r->calls, 0);
  Advance(seconds(3));
  ASSERT_EQ(r->calls, 1);
  EXPECT_EQ(r->id, id);
  EXPECT_EQ(StatsJob(id)->reserves, 2u);
  EXPECT_EQ(StatsJob(id)->timeouts, 1u);
  // The first holder lost it.
  EXPECT_EQ(Delete(holder, id), Code::kNotFound);
  EXPECT_EQ(Delete(w, id), Code::kOk);
}

TEST_F(LocalQueueTest, TouchResetsTheDeadlineToNowPlusTtr) {
  SessionId s = q_.OpenSession();
  JobId id = Put(s, 0, {}, seconds(10));
  ASSERT_EQ(ReserveId(s), id);
  Advance(seconds(8));
  EXPECT_EQ(Touch(s, id), Code::kOk);
  EXPECT_EQ(StatsJob(id)->time_left, seconds(10));
  Advance(seconds(10) - kNs);
  EXPECT_EQ(StateOf(id), JobState::kReserved);
  Advance(kNs);
  EXPECT_EQ(StateOf(id), JobState::kReady);
}

TEST_F(LocalQueueTest, TouchAfterExpiryIsNotFound) {
  SessionId s = q_.OpenSession();
  JobId id = Put(s, 0, {}, seconds(1));
  ASSERT_EQ(ReserveId(s), id);
  Advance(seconds(1));
  EXPECT_EQ(Touch(s, id), Code::kNotFound);
}

TEST_F(LocalQueueTest, EachHeldJobExpiresAtItsOwnDeadline) {
  SessionId s = q_.OpenSession();
  JobId a = Put(s, 0, {}, seconds(5));
  JobId b = Put(s, 1, {}, seconds(2));
  ASSERT_EQ(ReserveId(s), a);
  ASSERT_EQ(ReserveId(s), b);
  Advance(seconds(2));
  EXPECT_EQ(StateOf(b), JobState::kReady);
  EXPECT_EQ(StateOf(a), JobState::kReserved);
  Advance(seconds(3));
  EXPECT_EQ(StateOf(a), JobState::kReady);
  EXPECT_EQ(Stats().job_timeouts, 2u);
}

// ---------------------------------------------------------------------------
// DEADLINE_SOON

TEST_F(LocalQueueTest, ReserveInsideTheSafetyMarginGivesDeadlineSoonAtOnce) {
  // testserv reserve_ttr_deadline_soon.
  SessionId s = q_.OpenSession();
  JobId id = Put(s, 0, {}, seconds(1));
  ASSERT_EQ(ReserveId(s), id);
  auto r = ReserveAsync(s, seconds(1));
  ASSERT_EQ(r->calls, 1);
  EXPECT_EQ(r->code, Code::kDeadlineSoon);
  EXPECT_EQ(StateOf(id), JobState::kReserved);
  EXPECT_EQ(Release(s, id), Code::kOk);
  EXPECT_EQ(StateOf(id), JobState::kReady);
}

TEST_F(LocalQueueTest, DeadlineSoonStartsExactlyOneSecondBeforeTheDeadline) {
  SessionId s = q_.OpenSession();
  JobId id = Put(s, 0, {}, seconds(5));
  ASSERT_EQ(ReserveId(s), id);
  Advance(seconds(4) - kNs);
  EXPECT_EQ(Reserve(s).code, Code::kTimedOut);
  Advance(kNs);
  EXPECT_EQ(Reserve(s).code, Code::kDeadlineSoon);
}

TEST_F(LocalQueueTest, ReserveInsideTheMarginStillTakesAReadyJob) {
  SessionId s = q_.OpenSession();
  JobId held = Put(s, 0, {}, seconds(1));
  ASSERT_EQ(ReserveId(s), held);
  JobId next = Put(s);
  EXPECT_EQ(ReserveId(s), next);
}

TEST_F(LocalQueueTest, ReadyJobInAPausedTubeDoesNotPreventDeadlineSoon) {
  SessionId s = q_.OpenSession();
  JobId held = Put(s, 0, {}, seconds(1));
  ASSERT_EQ(ReserveId(s), held);
  Put(s);
  Pause("default", seconds(100));
  EXPECT_EQ(Reserve(s, std::nullopt).code, Code::kDeadlineSoon);
}

TEST_F(LocalQueueTest, WaitingReserveGetsDeadlineSoonOneSecondBeforeTheDeadline) {
  // Live on 1.12: ttr 3, reserve, a second reserve blocks 2 s then DEADLINE_SOON.
  SessionId s = q_.OpenSession();
  JobId id = Put(s, 0, {}, seconds(3));
  ASSERT_EQ(ReserveId(s), id);
  auto r = ReserveAsync(s);
  EXPECT_EQ(Stats().waiting, 1u);
  Advance(seconds(2) - kNs);
  EXPECT_EQ(r->calls, 0);
  Advance(kNs);
  ASSERT_EQ(r->calls, 1);
  EXPECT_EQ(r->code, Code::kDeadlineSoon);
  EXPECT_EQ(Stats().waiting, 0u);
  EXPECT_EQ(StateOf(id), JobState::kReserved);
  // The job still times out at its own deadline.
  Advance(seconds(1));
  EXPECT_EQ(StateOf(id), JobState::kReady);
  EXPECT_EQ(r->calls, 1);
}

TEST_F(LocalQueueTest, WaitingReserveTimeoutBeforeTheMarginGivesTimedOut) {
  SessionId s = q_.OpenSession();
  JobId id = Put(s, 0, {}, seconds(10));
  ASSERT_EQ(ReserveId(s), id);
  auto r = ReserveAsync(s, seconds(2));
  Advance(seconds(2));
  ASSERT_EQ(r->calls, 1);
  EXPECT_EQ(r->code, Code::kTimedOut);
}

TEST_F(LocalQueueTest, DeadlineSoonWinsOverATimeoutAtTheSameInstant) {
  SessionId s = q_.OpenSession();
  ASSERT_EQ(ReserveId(s), Put(s, 0, {}, seconds(3)));
  auto r = ReserveAsync(s, seconds(2));
  Advance(seconds(2));
  ASSERT_EQ(r->calls, 1);
  EXPECT_EQ(r->code, Code::kDeadlineSoon);
}

TEST_F(LocalQueueTest, TouchBeforeWaitingMovesTheDeadlineSoonPoint) {
  SessionId s = q_.OpenSession();
  JobId id = Put(s, 0, {}, seconds(3));
  ASSERT_EQ(ReserveId(s), id);
  Advance(seconds(1));
  ASSERT_EQ(Touch(s, id), Code::kOk);  // deadline now at t=4 s
  auto r = ReserveAsync(s);
  Advance(seconds(2) - kNs);
  EXPECT_EQ(r->calls, 0);
  Advance(kNs);
  ASSERT_EQ(r->calls, 1);
  EXPECT_EQ(r->code, Code::kDeadlineSoon);
}

TEST_F(LocalQueueTest, ReserveJobNeverGivesDeadlineSoon) {
  SessionId s = q_.OpenSession();
  JobId held = Put(s, 0, {}, seconds(1));
  JobId other = Put(s, 5);
  ASSERT_EQ(ReserveId(s), held);
  ReserveResult r = ReserveJob(s, other);
  EXPECT_EQ(r.code, Code::kOk);
  EXPECT_EQ(r.id, other);
}

TEST_F(LocalQueueTest, ReserveJobReservationLaterGivesDeadlineSoonAndTimesOutToReady) {
  // testserv reserve_job_ttr_deadline_soon.
  SessionId s = q_.OpenSession();
  JobId id = Put(s, 0, seconds(100), seconds(1));
  ASSERT_EQ(ReserveJob(s, id).code, Code::kOk);
  EXPECT_EQ(Reserve(s, seconds(1)).code, Code::kDeadlineSoon);
  Advance(seconds(1));
  EXPECT_EQ(StateOf(id), JobState::kReady);
  EXPECT_EQ(StatsJob(id)->timeouts, 1u);
}

// ---------------------------------------------------------------------------
// Reserve timeouts and waiting

TEST_F(LocalQueueTest, ReserveWithZeroTimeoutAndNoJobTimesOutAtOnce) {
  SessionId s = q_.OpenSession();
  ReserveResult r = Reserve(s, Duration::zero());
  EXPECT_EQ(r.code, Code::kTimedOut);
  EXPECT_EQ(Stats().waiting, 0u);
}

TEST_F(LocalQueueTest, ReserveWithTimeoutTimesOutExactlyAtTheTimeout) {
  SessionId s = q_.OpenSession();
  auto r = ReserveAsync(s, seconds(4));
  EXPECT_EQ(r->calls, 0);
  EXPECT_EQ(StatsTube("default")->waiting_count, 1u);
  Advance(seconds(4) - kNs);
  EXPECT_EQ(r->calls, 0);
  Advance(kNs);
  ASSERT_EQ(r->calls, 1);
  EXPECT_EQ(r->code, Code::kTimedOut);
  EXPECT_EQ(StatsTube("default")->waiting_count, 0u);
  EXPECT_EQ(Stats().waiting, 0u);
  // A job put afterwards is not handed to the session that gave up.
  JobId id = Put(s);
  EXPECT_EQ(StateOf(id), JobState::kReady);
  EXPECT_EQ(r->calls, 1);
}

TEST_F(LocalQueueTest, ReserveWithTimeoutGetsAJobPutWhileWaiting) {
  SessionId w = q_.OpenSession();
  SessionId p = q_.OpenSession();
  auto r = ReserveAsync(w, seconds(10));
  Advance(seconds(3));
  JobId id = Put(p);
  ASSERT_EQ(r->calls, 1);  // before Put returned
  EXPECT_EQ(r->code, Code::kOk);
  EXPECT_EQ(r->id, id);
  Advance(seconds(10));
  EXPECT_EQ(r->calls, 1);  // the timeout is gone
}

TEST_F(LocalQueueTest, ReserveWithoutTimeoutWaitsForever) {
  SessionId w = q_.OpenSession();
  auto r = ReserveAsync(w);
  Advance(hours(24 * 365));
  EXPECT_EQ(r->calls, 0);
  EXPECT_EQ(q_.timer_count(), 0u);
  JobId id = Put(q_.OpenSession());
  ASSERT_EQ(r->calls, 1);
  EXPECT_EQ(r->id, id);
}

TEST_F(LocalQueueTest, WaitTimeoutIsUnaffectedByAnotherSessionsCommands) {
  // testserv reserve_with_timeout_2conns.
  SessionId a = q_.OpenSession();
  SessionId b = q_.OpenSession();
  auto r = ReserveAsync(a, seconds(1));
  Watch(b, "foo");
  Advance(seconds(1));
  ASSERT_EQ(r->calls, 1);
  EXPECT_EQ(r->code, Code::kTimedOut);
}

TEST_F(LocalQueueTest, CancelReserveEndsTheWaitWithTimedOut) {
  SessionId s = q_.OpenSession();
  auto r = ReserveAsync(s);
  q_.CancelReserve(s);
  ASSERT_EQ(r->calls, 1);
  EXPECT_EQ(r->code, Code::kTimedOut);
  EXPECT_EQ(Stats().waiting, 0u);
  q_.CancelReserve(s);  // nothing waiting: no effect
  EXPECT_EQ(r->calls, 1);
  JobId id = Put(s);
  EXPECT_EQ(StateOf(id), JobState::kReady);
}

TEST_F(LocalQueueTest, WaitingSessionsAreServedInArrivalOrder) {
  SessionId w1 = q_.OpenSession();
  SessionId w2 = q_.OpenSession();
  SessionId w3 = q_.OpenSession();
  SessionId p = q_.OpenSession();
  auto r2 = ReserveAsync(w2);
  auto r3 = ReserveAsync(w3);
  auto r1 = ReserveAsync(w1);
  JobId a = Put(p);
  EXPECT_EQ(r2->id, a);
  EXPECT_EQ(r3->calls, 0);
  EXPECT_EQ(r1->calls, 0);
  JobId b = Put(p);
  EXPECT_EQ(r3->id, b);
  EXPECT_EQ(r1->calls, 0);
  auto r2again = ReserveAsync(w2);  // goes to the back of the line
  JobId c = Put(p);
  EXPECT_EQ(r1->id, c);
  EXPECT_EQ(r2again->calls, 0);
  JobId d = Put(p);
  EXPECT_EQ(r2again->id, d);
}

TEST_F(LocalQueueTest, WaiterOnSeveralTubesLeavesAllOfThemWhenServed) {
  SessionId w = q_.OpenSession();
  Watch(w, "a");
  Watch(w, "b");
  SessionId other = q_.OpenSession();
  Watch(other, "b");
  Ignore(other, "default");
  auto rw = ReserveAsync(w);
  auto ro = ReserveAsync(other);
  EXPECT_EQ(StatsTube("a")->waiting_count, 1u);
  EXPECT_EQ(StatsTube("b")->waiting_count, 2u);
  EXPECT_EQ(StatsTube("default")->waiting_count, 1u);
  EXPECT_EQ(Stats().waiting, 2u);
  SessionId p = q_.OpenSession();
  Use(p, "a");
  JobId ja = Put(p);
  EXPECT_EQ(rw->id, ja);
  EXPECT_EQ(StatsTube("a")->waiting_count, 0u);
  EXPECT_EQ(StatsTube("b")->waiting_count, 1u);
  EXPECT_EQ(StatsTube("default")->waiting_count, 0u);
  EXPECT_EQ(Stats().waiting, 1u);
  Use(p, "b");
  JobId jb = Put(p);
  EXPECT_EQ(ro->id, jb);
  EXPECT_EQ(rw->calls, 1);
}

TEST_F(LocalQueueTest, JobInAnUnwatchedTubeDoesNotWakeAWaiter) {
  SessionId w = q_.OpenSession();
  auto r = ReserveAsync(w);
  SessionId p = q_.OpenSession();
  Use(p, "elsewhere");
  Put(p);
  EXPECT_EQ(r->calls, 0);
}

TEST_F(LocalQueueTest, ReleaseKickAndKickJobWakeWaiters) {
  SessionId p = q_.OpenSession();
  SessionId w = q_.OpenSession();
  JobId a = Put(p);
  JobId b = Put(p);
  JobId c = Put(p, 0, seconds(100));
  ASSERT_EQ(ReserveId(p), a);
  ASSERT_EQ(ReserveId(p), b);
  ASSERT_EQ(Bury(p, b), Code::kOk);

  auto r1 = ReserveAsync(w);
  ASSERT_EQ(Release(p, a), Code::kOk);
  EXPECT_EQ(r1->id, a);

  auto r2 = ReserveAsync(w);
  EXPECT_EQ(Kick(p, 10), 1u);
  EXPECT_EQ(r2->id, b);

  auto r3 = ReserveAsync(w);
  EXPECT_EQ(KickJob(p, c), Code::kOk);
  EXPECT_EQ(r3->id, c);
}

TEST_F(LocalQueueTest, WaiterCompletionMayCallBackIntoTheQueue) {
  SessionId w = q_.OpenSession();
  SessionId p = q_.OpenSession();
  int calls = 0;
  Code deleted = Code::kInternalError;
  q_.Reserve(w, std::nullopt, [&](Code code, const JobRef* job) {
    ++calls;
    ASSERT_EQ(code, Code::kOk);
    q_.Delete(w, job->id, [&](Code c) { deleted = c; });
  });
  Put(p);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(deleted, Code::kOk);
  EXPECT_EQ(Stats().reserved, 0u);
  EXPECT_EQ(q_.job_count(), 0u);
}

TEST_F(LocalQueueTest, SessionClosedByAnEarlierCompletionNeverGetsItsJob) {
  SessionId w1 = q_.OpenSession();
  SessionId w2 = q_.OpenSession();
  SessionId w3 = q_.OpenSession();
  SessionId p = q_.OpenSession();
  int w2_calls = 0;
  q_.Reserve(w1, std::nullopt, [&](Code, const JobRef*) { q_.CloseSession(w2); });
  q_.Reserve(w2, std::nullopt, [&](Code, const JobRef*) { ++w2_calls; });
  auto r3 = ReserveAsync(w3);
  // One kick readies two jobs: w1 and w2 are handed one each; then w1's
  // completion closes w2 before w2's completion runs.
  JobId a = Put(p, 0, seconds(10));
  JobId b = Put(p, 0, seconds(10));
  EXPECT_EQ(Kick(p, 2), 2u);
  EXPECT_EQ(w2_calls, 0);
  // w2's job went back to ready and on to w3.
  ASSERT_EQ(r3->calls, 1);
  EXPECT_EQ(r3->id, b);
  EXPECT_EQ(StateOf(a), JobState::kReserved);
}

// ---------------------------------------------------------------------------
// Pause

TEST_F(LocalQueueTest, PausedTubeGivesNoJobToReserveButStillAcceptsPutsAndPeeks) {
  SessionId s = q_.OpenSession();
  JobId id = Put(s);
  ASSERT_EQ(Pause("default", seconds(10)), Code::kOk);
  EXPECT_EQ(Reserve(s).code, Code::kTimedOut);
  JobId id2 = Put(s);
  EXPECT_EQ(PeekReady(s), id);
  EXPECT_EQ(Delete(s, id2), Code::kOk);
  EXPECT_EQ(StateOf(id), JobState::kReady);
}

TEST_F(LocalQueueTest, PausedTubeIsSkippedButOtherWatchedTubesServe) {
  SessionId s = q_.OpenSession();
  Put(s, 0);
  Use(s, "b");
  JobId other = Put(s, 100);
  Watch(s, "b");
  Pause("default", seconds(10));
  EXPECT_EQ(ReserveId(s), other);
}

TEST_F(LocalQueueTest, UnpauseAtTheDeadlineDeliversToAWaiter) {
  SessionId s = q_.OpenSession();
  JobId id = Put(s);
  Pause("default", seconds(2));
  auto r = ReserveAsync(s);
  EXPECT_EQ(r->calls, 0);
  EXPECT_EQ(StatsTube("default")->pause, seconds(2));
  Advance(seconds(1));
  EXPECT_EQ(StatsTube("default")->pause_time_left, seconds(1));
  Advance(seconds(1) - kNs);
  EXPECT_EQ(r->calls, 0);
  Advance(kNs);
  ASSERT_EQ(r->calls, 1);
  EXPECT_EQ(r->id, id);
  EXPECT_EQ(StatsTube("default")->pause, Duration::zero());
  EXPECT_EQ(StatsTube("default")->pause_time_left, Duration::zero());
}

TEST_F(LocalQueueTest, UnpauseServesWaitersOldestFirstWithLowestPriorityFirst) {
  SessionId p = q_.OpenSession();
  JobId low = Put(p, 50);
  JobId high = Put(p, 1);
  Pause("default", seconds(1));
  SessionId w1 = q_.OpenSession();
  SessionId w2 = q_.OpenSession();
  SessionId w3 = q_.OpenSession();
  auto r1 = ReserveAsync(w1);
  auto r2 = ReserveAsync(w2);
  auto r3 = ReserveAsync(w3);
  Advance(seconds(1));
  EXPECT_EQ(r1->id, high);
  EXPECT_EQ(r2->id, low);
  EXPECT_EQ(r3->calls, 0);
  EXPECT_EQ(StatsTube("default")->waiting_count, 1u);
}

TEST_F(LocalQueueTest, PauseWithZeroDelayUnpausesAtOnceAndDeliversToAWaiter) {
  // testserv unpause_tube.
  SessionId p = q_.OpenSession();
  Pause("default", seconds(86400));
  JobId id = Put(p);
  SessionId w = q_.OpenSession();
  auto r = ReserveAsync(w);
  EXPECT_EQ(r->calls, 0);
  ASSERT_EQ(Pause("default", Duration::zero()), Code::kOk);
  ASSERT_EQ(r->calls, 1);
  EXPECT_EQ(r->id, id);
  EXPECT_EQ(StatsTube("default")->pause, Duration::zero());
}

TEST_F(LocalQueueTest, PauseTubeOfAMissingTubeIsNotFoundAndNotCounted) {
  SessionId s = q_.OpenSession();
  EXPECT_EQ(Pause("nope", seconds(1)), Code::kNotFound);
  EXPECT_FALSE(StatsTube("nope").has_value());
  Use(s, "t");
  EXPECT_EQ(Pause("t", seconds(1)), Code::kOk);
  EXPECT_EQ(Pause("t", seconds(1)), Code::kOk);
  EXPECT_EQ(StatsTube("t")->cmd_pause_tube, 2u);
}

TEST_F(LocalQueueTest, PausingAgainRestartsThePause) {
  SessionId s = q_.OpenSession();
  JobId id = Put(s);
  Pause("default", seconds(2));
  Advance(seconds(1));
  Pause("default", seconds(5));
  auto r = ReserveAsync(s);
  Advance(seconds(5) - kNs);
  EXPECT_EQ(r->calls, 0);
  Advance(kNs);
  EXPECT_EQ(r->id, id);
}

TEST_F(LocalQueueTest, ReserveJobIgnoresPause) {
  SessionId s = q_.OpenSession();
  JobId id = Put(s);
  Pause("default", seconds(100));
  EXPECT_EQ(ReserveJob(s, id).code, Code::kOk);
}

TEST_F(LocalQueueTest, DelayedJobInAPausedTubeWaitsForTheUnpause) {
  SessionId s = q_.OpenSession();
  JobId id = Put(s, 0, seconds(1));
  Pause("default", seconds(3));
  auto r = ReserveAsync(s);
  Advance(seconds(1));
  EXPECT_EQ(StateOf(id), JobState::kReady);
  EXPECT_EQ(r->calls, 0);
  Advance(seconds(2));
  EXPECT_EQ(r->id, id);
}

// ---------------------------------------------------------------------------
// Kick

TEST_F(LocalQueueTest, KickTakesOnlyBuriedJobsOldestFirstWhenAnyAreBuried) {
  SessionId s = q_.OpenSession();
  JobId d = Put(s, 0, seconds(100));
  JobId a = Put(s, 5);
  JobId b = Put(s, 1);
  ASSERT_EQ(ReserveId(s), b);
  ASSERT_EQ(ReserveId(s), a);
  ASSERT_EQ(Bury(s, b), Code::kOk);  // buried first
  ASSERT_EQ(Bury(s, a), Code::kOk);
  EXPECT_EQ(PeekBuried(s), b);
  EXPECT_EQ(Kick(s, 1), 1u);
  EXPECT_EQ(StateOf(b), JobState::kReady);
  EXPECT_EQ(StateOf(a), JobState::kBuried);
  EXPECT_EQ(Kick(s, 10), 1u);  // only the buried one, never the delayed
  EXPECT_EQ(StateOf(a), JobState::kReady);
  EXPECT_EQ(StateOf(d), JobState::kDelayed);
  EXPECT_EQ(StatsJob(a)->kicks, 1u);
}

TEST_F(LocalQueueTest, KickTakesDelayedJobsSoonestFirstWhenNoneAreBuried) {
  SessionId s = q_.OpenSession();
  JobId later = Put(s, 0, seconds(50));
  JobId sooner = Put(s, 0, seconds(10));
  JobId latest = Put(s, 0, seconds(90));
  EXPECT_EQ(Kick(s, 2), 2u);
  EXPECT_EQ(StateOf(sooner), JobState::kReady);
  EXPECT_EQ(StateOf(later), JobState::kReady);
  EXPECT_EQ(StateOf(latest), JobState::kDelayed);
  EXPECT_EQ(Kick(s, 5), 1u);
  EXPECT_EQ(Kick(s, 5), 0u);
  // The delay field is the last delay set, not reset by kick.
  EXPECT_EQ(StatsJob(latest)->delay, seconds(90));
  EXPECT_EQ(StatsJob(latest)->kicks, 1u);
}

TEST_F(LocalQueueTest, KickedDelayedJobDoesNotFireItsOldTimer) {
  SessionId s = q_.OpenSession();
  JobId id = Put(s, 0, seconds(10));
  EXPECT_EQ(Kick(s, 1), 1u);
  ASSERT_EQ(ReserveId(s), id);
  Advance(seconds(10));
  EXPECT_EQ(StateOf(id), JobState::kReserved);
  EXPECT_EQ(q_.timer_count(), 1u);  // only the session's TTR
}

TEST_F(LocalQueueTest, KickWorksOnTheUsedTubeOnly) {
  SessionId s = q_.OpenSession();
  Use(s, "a");
  JobId id = Put(s, 0, seconds(10));
  Use(s, "b");
  EXPECT_EQ(Kick(s, 10), 0u);
  EXPECT_EQ(StateOf(id), JobState::kDelayed);
}

TEST_F(LocalQueueTest, KickJobMovesABuriedOrDelayedJobInAnyTube) {
  // testserv kickjob_buried, kickjob_delayed.
  SessionId s = q_.OpenSession();
  Use(s, "a");
  JobId delayed = Put(s, 0, seconds(10));
  JobId buried = Put(s);
  ASSERT_EQ(ReserveJob(s, buried).code, Code::kOk);
  ASSERT_EQ(Bury(s, buried), Code::kOk);
  JobId ready = Put(s);
  Use(s, "b");
  EXPECT_EQ(KickJob(s, 999), Code::kNotFound);
  EXPECT_EQ(KickJob(s, ready), Code::kNotFound);
  EXPECT_EQ(KickJob(s, buried), Code::kOk);
  EXPECT_EQ(KickJob(s, buried), Code::kNotFound);
  EXPECT_EQ(KickJob(s, delayed), Code::kOk);
  EXPECT_EQ(KickJob(s, delayed), Code::kNotFound);
  EXPECT_EQ(StateOf(delayed), JobState::kReady);
  EXPECT_EQ(StatsJob(delayed)->kicks, 1u);
  EXPECT_EQ(StatsJob(buried)->kicks, 1u);
}

TEST_F(LocalQueueTest, KickJobOfAReservedJobIsNotFound) {
  SessionId s = q_.OpenSession();
  JobId id = Put(s);
  ASSERT_EQ(ReserveId(s), id);
  EXPECT_EQ(KickJob(s, id), Code::kNotFound);
}

// ---------------------------------------------------------------------------
// Ownership: delete, release, bury, touch

TEST_F(LocalQueueTest, DeleteWorksOnReadyDelayedAndBuriedJobsOfAnyTube) {
  SessionId s = q_.OpenSession();
  SessionId other = q_.OpenSession();
  JobId ready = Put(s);
  JobId delayed = Put(s, 0, seconds(5));
  JobId buried = Put(s, 10);
  ASSERT_EQ(ReserveId(s), ready);
  ASSERT_EQ(Release(s, ready), Code::kOk);
  ASSERT_EQ(ReserveJob(s, buried).code, Code::kOk);
  ASSERT_EQ(Bury(s, buried), Code::kOk);
  Use(other, "elsewhere");
  EXPECT_EQ(Delete(other, ready), Code::kOk);
  EXPECT_EQ(Delete(other, delayed), Code::kOk);
  EXPECT_EQ(Delete(other, buried), Code::kOk);
  EXPECT_EQ(Delete(other, buried), Code::kNotFound);
  EXPECT_EQ(StatsTube("default")->cmd_delete, 3u);
  EXPECT_EQ(q_.job_count(), 0u);
  Advance(seconds(10));             // the delayed job's timer rings early once, for nothing
  EXPECT_EQ(q_.timer_count(), 1u);  // released: the session TTR timer rings early later
}

TEST_F(LocalQueueTest, DeleteOfAJobReservedByAnotherSessionIsNotFound) {
  // testserv delete_reserved_by_other.
  SessionId holder = q_.OpenSession();
  SessionId other = q_.OpenSession();
  JobId id = Put(holder);
  ASSERT_EQ(ReserveId(holder), id);
  EXPECT_EQ(Delete(other, id), Code::kNotFound);
  EXPECT_EQ(StatsTube("default")->cmd_delete, 0u);
  EXPECT_EQ(Delete(holder, id), Code::kOk);
  EXPECT_EQ(Stats().reserved, 0u);
  Advance(seconds(120));  // the TTR timer rings early once, for nothing
  EXPECT_EQ(q_.timer_count(), 0u);
  EXPECT_EQ(Stats().job_timeouts, 0u);
}

TEST_F(LocalQueueTest, ReleaseBuryAndTouchNeedTheCallersOwnReservation) {
  SessionId holder = q_.OpenSession();
  SessionId other = q_.OpenSession();
  JobId id = Put(holder);
  JobId unreserved = Put(holder);
  ASSERT_EQ(ReserveJob(holder, id).code, Code::kOk);
  EXPECT_EQ(Release(other, id), Code::kNotFound);
  EXPECT_EQ(Bury(other, id), Code::kNotFound);
  EXPECT_EQ(Touch(other, id), Code::kNotFound);
  EXPECT_EQ(Release(holder, unreserved), Code::kNotFound);
  EXPECT_EQ(Bury(holder, unreserved), Code::kNotFound);
  EXPECT_EQ(Touch(holder, unreserved), Code::kNotFound);
  EXPECT_EQ(Release(holder, 12345), Code::kNotFound);
  EXPECT_EQ(StateOf(id), JobState::kReserved);
  EXPECT_EQ(Touch(holder, id), Code::kOk);
  EXPECT_EQ(Release(holder, id), Code::kOk);
}

TEST_F(LocalQueueTest, ReleaseSetsPriorityAndDelayAndCounts) {
  SessionId s = q_.OpenSession();
  JobId id = Put(s, 5);
  ASSERT_EQ(ReserveId(s), id);
  ASSERT_EQ(Release(s, id, 77, seconds(3)), Code::kOk);
  auto info = StatsJob(id);
  EXPECT_EQ(info->state, JobState::kDelayed);
  EXPECT_EQ(info->pri, 77u);
  EXPECT_EQ(info->delay, seconds(3));
  EXPECT_EQ(info->time_left, seconds(3));
  EXPECT_EQ(info->releases, 1u);
  Advance(seconds(3));
  EXPECT_EQ(StateOf(id), JobState::kReady);
  ASSERT_EQ(ReserveId(s), id);
  ASSERT_EQ(Release(s, id, 1, Duration::zero()), Code::kOk);
  EXPECT_EQ(StatsJob(id)->delay, Duration::zero());
  EXPECT_EQ(StatsJob(id)->releases, 2u);
  EXPECT_EQ(StateOf(id), JobState::kReady);
}

TEST_F(LocalQueueTest, BuryAppendsToTheFifoSetsPriorityAndCounts) {
  SessionId s = q_.OpenSession();
  JobId a = Put(s, 1);
  JobId b = Put(s, 2);
  ASSERT_EQ(ReserveId(s), a);
  ASSERT_EQ(ReserveId(s), b);
  ASSERT_EQ(Bury(s, b, 500), Code::kOk);
  ASSERT_EQ(Bury(s, a, 400), Code::kOk);
  EXPECT_EQ(PeekBuried(s), b);  // oldest burial, not lowest id or priority
  EXPECT_EQ(StatsJob(b)->pri, 500u);
  EXPECT_EQ(StatsJob(b)->buries, 1u);
  EXPECT_EQ(StatsJob(b)->time_left, Duration::zero());
  EXPECT_EQ(Stats().buried, 2u);
  EXPECT_EQ(StatsTube("default")->buried, 2u);
  ASSERT_EQ(Delete(s, b), Code::kOk);
  EXPECT_EQ(PeekBuried(s), a);
}

TEST_F(LocalQueueTest, PeekFindsAnyJobInAnyStateAndTube) {
  SessionId s = q_.OpenSession();
  SessionId other = q_.OpenSession();
  Use(s, "x");
  JobId ready = Put(s);
  JobId delayed = Put(s, 0, seconds(9));
  JobId reserved = Put(s);
  ASSERT_EQ(ReserveJob(s, reserved).code, Code::kOk);
  EXPECT_EQ(Peek(other, ready), ready);
  EXPECT_EQ(Peek(other, delayed), delayed);
  EXPECT_EQ(Peek(other, reserved), reserved);
  EXPECT_EQ(Peek(other, 99), 0u);
  EXPECT_EQ(PeekReady(other), 0u);  // other uses default
  EXPECT_EQ(PeekReady(s), ready);
  EXPECT_EQ(PeekDelayed(s), delayed);
  EXPECT_EQ(PeekBuried(s), 0u);
}

TEST_F(LocalQueueTest, PeekReadyReturnsTheLowestPriorityThenId) {
  SessionId s = q_.OpenSession();
  Put(s, 9);
  JobId b = Put(s, 2);
  Put(s, 2);
  EXPECT_EQ(PeekReady(s), b);
}

// ---------------------------------------------------------------------------
// reserve-job

TEST_F(LocalQueueTest, ReserveJobTakesReadyDelayedOrBuriedJobsInAnyTube) {
  SessionId s = q_.OpenSession();
  Use(s, "elsewhere");
  JobId ready = Put(s);
  JobId delayed = Put(s, 0, seconds(9));
  JobId buried = Put(s);
  ASSERT_EQ(ReserveJob(s, buried).code, Code::kOk);
  ASSERT_EQ(Bury(s, buried), Code::kOk);
  SessionId w = q_.OpenSession();  // watches only default
  ReserveResult r = ReserveJob(w, buried);
  EXPECT_EQ(r.code, Code::kOk);
  EXPECT_EQ(r.body, "body");
  EXPECT_EQ(ReserveJob(w, delayed).code, Code::kOk);
  EXPECT_EQ(ReserveJob(w, ready).code, Code::kOk);
  EXPECT_EQ(Stats().reserved, 3u);
  EXPECT_EQ(Stats().buried + Stats().delayed + Stats().ready, 0u);
  EXPECT_EQ(StatsJob(buried)->reserves, 2u);
  Advance(seconds(9));  // the old delay deadline does nothing to a reserved job
  EXPECT_EQ(StateOf(delayed), JobState::kReserved);
  // Released, they are ready (testserv reserve_job_delayed / _buried).
  EXPECT_EQ(Release(w, delayed), Code::kOk);
  EXPECT_EQ(StateOf(delayed), JobState::kReady);
}

TEST_F(LocalQueueTest, ReserveJobOfAReservedOrMissingJobIsNotFound) {
  // testserv reserve_job_already_reserved.
  SessionId s = q_.OpenSession();
  SessionId other = q_.OpenSession();
  JobId id = Put(s);
  ASSERT_EQ(ReserveJob(s, id).code, Code::kOk);
  EXPECT_EQ(ReserveJob(s, id).code, Code::kNotFound);
  EXPECT_EQ(ReserveJob(other, id).code, Code::kNotFound);
  EXPECT_EQ(ReserveJob(s, 42).code, Code::kNotFound);
}

// ---------------------------------------------------------------------------
// Closing sessions

TEST_F(LocalQueueTest, CloseReleasesReservedJobsToReadyAtOnceNotAsTimeouts) {
  SessionId s = q_.OpenSession();
  JobId a = Put(s);
  JobId b = Put(s);
  ASSERT_EQ(ReserveId(s), a);
  ASSERT_EQ(ReserveId(s), b);
  q_.CloseSession(s);
  EXPECT_EQ(StateOf(a), JobState::kReady);
  EXPECT_EQ(StateOf(b), JobState::kReady);
  EXPECT_EQ(StatsJob(a)->timeouts, 0u);
  EXPECT_EQ(Stats().job_timeouts, 0u);
  EXPECT_EQ(Stats().reserved, 0u);
  EXPECT_EQ(q_.timer_count(), 0u);
}

TEST_F(LocalQueueTest, CloseHandsReleasedJobsToWaiters) {
  // testserv close_releases_job.
  SessionId holder = q_.OpenSession();
  SessionId w = q_.OpenSession();
  JobId id = Put(holder);
  ASSERT_EQ(ReserveId(holder), id);
  auto r = ReserveAsync(w);
  q_.CloseSession(holder);
  ASSERT_EQ(r->calls, 1);
  EXPECT_EQ(r->id, id);
}

TEST_F(LocalQueueTest, CloseDropsAPendingReserveWithoutCallingIt) {
  SessionId w = q_.OpenSession();
  auto r = ReserveAsync(w, seconds(5));
  q_.CloseSession(w);
  EXPECT_EQ(Stats().waiting, 0u);
  EXPECT_EQ(StatsTube("default")->waiting_count, 0u);
  Put(q_.OpenSession());
  Advance(seconds(10));
  EXPECT_EQ(r->calls, 0);
  EXPECT_EQ(q_.timer_count(), 0u);
}

TEST_F(LocalQueueTest, OperationsOnAClosedSessionAreInternalErrors) {
  SessionId s = q_.OpenSession();
  q_.CloseSession(s);
  q_.CloseSession(s);  // no effect
  EXPECT_EQ(Reserve(s).code, Code::kInternalError);
  EXPECT_EQ(Use(s, "x"), Code::kInternalError);
}

// ---------------------------------------------------------------------------
// Tubes, use and watch

TEST_F(LocalQueueTest, DefaultTubeAlwaysExists) {
  EXPECT_EQ(Tubes(), std::vector<std::string>{"default"});
  SessionId s = q_.OpenSession();
  Use(s, "x");
  Watch(s, "x");
  Ignore(s, "default");
  q_.CloseSession(s);
  EXPECT_EQ(Tubes(), std::vector<std::string>{"default"});
  EXPECT_TRUE(StatsTube("default").has_value());
}

TEST_F(LocalQueueTest, TubesExistWhileUsedWatchedOrHoldingJobs) {
  SessionId s = q_.OpenSession();
  EXPECT_EQ(Use(s, "u"), Code::kOk);
  EXPECT_EQ(UsedTube(s), "u");
  EXPECT_EQ(Watch(s, "w"), 2u);
  EXPECT_EQ(Tubes(), (std::vector<std::string>{"default", "u", "w"}));
  JobId id = Put(s);  // into u
  Use(s, "default");
  EXPECT_TRUE(StatsTube("u").has_value()) << "the job keeps it";
  ASSERT_EQ(ReserveJob(s, id).code, Code::kOk);
  EXPECT_TRUE(StatsTube("u").has_value()) << "a reserved job keeps it";
  EXPECT_EQ(Delete(s, id), Code::kOk);
  EXPECT_FALSE(StatsTube("u").has_value());
  EXPECT_EQ(Pause("u", seconds(1)), Code::kNotFound);
  EXPECT_EQ(Ignore(s, "w"), std::make_pair(Code::kOk, size_t{1}));
  EXPECT_FALSE(StatsTube("w").has_value());
  EXPECT_EQ(Tubes(), std::vector<std::string>{"default"});
  EXPECT_EQ(Stats().tubes, 1u);
}

TEST_F(LocalQueueTest, FreedPausedTubeLeavesNoTimer) {
  SessionId s = q_.OpenSession();
  Use(s, "p");
  Pause("p", seconds(100));
  EXPECT_EQ(q_.timer_count(), 1u);
  Use(s, "default");
  EXPECT_FALSE(StatsTube("p").has_value());
  EXPECT_EQ(q_.timer_count(), 0u);
  Advance(seconds(200));  // nothing fires on a freed tube
}

TEST_F(LocalQueueTest, ListTubesRemovalMovesTheLastTubeIntoTheGap) {
  SessionId s = q_.OpenSession();
  Watch(s, "a");
  Watch(s, "b");
  Watch(s, "c");
  Watch(s, "d");
  EXPECT_EQ(Tubes(), (std::vector<std::string>{"default", "a", "b", "c", "d"}));
  Ignore(s, "b");
  EXPECT_EQ(Tubes(), (std::vector<std::string>{"default", "a", "d", "c"}));
  Watch(s, "e");
  EXPECT_EQ(Tubes(), (std::vector<std::string>{"default", "a", "d", "c", "e"}));
}

TEST_F(LocalQueueTest, WatchListOrderFollowsBeanstalkd) {
  // Live: after watching o1 and o2 and ignoring default: [o2, o1].
  SessionId s = q_.OpenSession();
  EXPECT_EQ(Watch(s, "o1"), 2u);
  EXPECT_EQ(Watch(s, "o2"), 3u);
  EXPECT_EQ(Ignore(s, "default"), std::make_pair(Code::kOk, size_t{2}));
  EXPECT_EQ(Watched(s), (std::vector<std::string>{"o2", "o1"}));
}

TEST_F(LocalQueueTest, WatchingAWatchedTubeKeepsTheCount) {
  SessionId s = q_.OpenSession();
  EXPECT_EQ(Watch(s, "default"), 1u);
  EXPECT_EQ(Watch(s, "x"), 2u);
  EXPECT_EQ(Watch(s, "x"), 2u);
  EXPECT_EQ(StatsTube("x")->watching_count, 1u);
}

TEST_F(LocalQueueTest, IgnoreRules) {
  // testserv list_tube: ignoring the last tube gives NOT_IGNORED.
  SessionId s = q_.OpenSession();
  EXPECT_EQ(Ignore(s, "default"), std::make_pair(Code::kNotIgnored, size_t{1}));
  EXPECT_EQ(Ignore(s, "never-watched"), std::make_pair(Code::kOk, size_t{1}));
  EXPECT_FALSE(StatsTube("never-watched").has_value()) << "ignore creates nothing";
  Watch(s, "x");
  EXPECT_EQ(Ignore(s, "default"), std::make_pair(Code::kOk, size_t{1}));
  EXPECT_EQ(Ignore(s, "x"), std::make_pair(Code::kNotIgnored, size_t{1}));
  EXPECT_EQ(Watched(s), std::vector<std::string>{"x"});
}

TEST_F(LocalQueueTest, UseAndWatchCountsInStatsTube) {
  // testserv stats_tube.
  SessionId s = q_.OpenSession();
  Use(s, "tubea");
  JobId id = Put(s);
  ASSERT_EQ(Delete(s, id), Code::kOk);
  auto a = StatsTube("tubea");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->name, "tubea");
  EXPECT_EQ(a->total_jobs, 1u);
  EXPECT_EQ(a->cmd_delete, 1u);
  EXPECT_EQ(a->using_count, 1u);
  EXPECT_EQ(a->watching_count, 0u);
  auto d = StatsTube("default");
  EXPECT_EQ(d->using_count, 0u);
  EXPECT_EQ(d->watching_count, 1u);
  Use(s, "tubea");  // same tube again: nothing changes
  EXPECT_EQ(StatsTube("tubea")->using_count, 1u);
}

// ---------------------------------------------------------------------------
// Stats

TEST_F(LocalQueueTest, StatsJobReportsEveryField) {
  SessionId s = q_.OpenSession();
  Use(s, "t");
  JobId id = Put(s, 1500, seconds(4), seconds(30));
  Advance(seconds(1));
  auto info = StatsJob(id);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->id, id);
  EXPECT_EQ(info->tube, "t");
  EXPECT_EQ(info->state, JobState::kDelayed);
  EXPECT_EQ(info->pri, 1500u);
  EXPECT_EQ(info->age, seconds(1));
  EXPECT_EQ(info->delay, seconds(4));
  EXPECT_EQ(info->ttr, seconds(30));
  EXPECT_EQ(info->time_left, seconds(3));
  EXPECT_EQ(info->file, 0u);
  EXPECT_EQ(info->reserves + info->timeouts + info->releases + info->buries + info->kicks, 0u);
  Advance(seconds(3));
  info = StatsJob(id);
  EXPECT_EQ(info->state, JobState::kReady);
  EXPECT_EQ(info->time_left, Duration::zero());  // testserv omit_time_left
  EXPECT_EQ(info->age, seconds(4));
  Watch(s, "t");
  ASSERT_EQ(ReserveId(s), id);
  Advance(seconds(10));
  info = StatsJob(id);
  EXPECT_EQ(info->state, JobState::kReserved);
  EXPECT_EQ(info->time_left, seconds(20));
  EXPECT_EQ(info->reserves, 1u);
  EXPECT_FALSE(StatsJob(id + 1).has_value());
}

TEST_F(LocalQueueTest, CountersFollowJobsThroughEveryState) {
  SessionId s = q_.OpenSession();
  JobId urgent = Put(s, 1023);
  JobId normal = Put(s, 1024);
  JobId delayed = Put(s, 0, seconds(5));
  QueueInfo g = Stats();
  EXPECT_EQ(g.urgent, 1u);
  EXPECT_EQ(g.ready, 2u);
  EXPECT_EQ(g.delayed, 1u);
  EXPECT_EQ(g.total_jobs, 3u);
  TubeInfo t = *StatsTube("default");
  EXPECT_EQ(t.urgent, 1u);
  EXPECT_EQ(t.ready, 2u);
  EXPECT_EQ(t.delayed, 1u);
  EXPECT_EQ(t.total_jobs, 3u);

  ASSERT_EQ(ReserveId(s), urgent);
  g = Stats();
  EXPECT_EQ(g.urgent, 0u);
  EXPECT_EQ(g.ready, 1u);
  EXPECT_EQ(g.reserved, 1u);
  EXPECT_EQ(StatsTube("default")->reserved, 1u);
  EXPECT_EQ(StatsTube("default")->urgent, 0u);

  ASSERT_EQ(Bury(s, urgent, 5), Code::kOk);
  EXPECT_EQ(Stats().buried, 1u);
  EXPECT_EQ(Stats().reserved, 0u);
  EXPECT_EQ(Stats().urgent, 0u) << "buried jobs are not urgent";
  EXPECT_EQ(Kick(s, 1), 1u);
  EXPECT_EQ(Stats().urgent, 1u);
  EXPECT_EQ(StatsTube("default")->urgent, 1u);

  ASSERT_EQ(Delete(s, normal), Code::kOk);
  ASSERT_EQ(Delete(s, delayed), Code::kOk);
  g = Stats();
  EXPECT_EQ(g.ready, 1u);
  EXPECT_EQ(g.delayed, 0u);
  EXPECT_EQ(g.buried, 0u);
  EXPECT_EQ(g.total_jobs, 3u);
  EXPECT_EQ(StatsTube("default")->cmd_delete, 2u);
}

TEST_F(LocalQueueTest, StatsCountsTubesAndWaitingSessions) {
  SessionId a = q_.OpenSession();
  SessionId b = q_.OpenSession();
  Watch(a, "x");
  auto ra = ReserveAsync(a);
  auto rb = ReserveAsync(b, seconds(1));
  QueueInfo g = Stats();
  EXPECT_EQ(g.tubes, 2u);
  EXPECT_EQ(g.waiting, 2u);
  EXPECT_EQ(StatsTube("default")->waiting_count, 2u);
  EXPECT_EQ(StatsTube("x")->waiting_count, 1u);
  Advance(seconds(1));
  EXPECT_EQ(Stats().waiting, 1u);
  EXPECT_EQ(g.binlog_current_index, 0u);
}

}  // namespace
}  // namespace stalk::local::testing
