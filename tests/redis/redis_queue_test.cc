// RedisQueue through the Queue interface, against a real 3 + 3 Redis Cluster (shared by the
// tests of this binary, FLUSHALL between tests) and one plain redis-server.
// TTR and delays run on Redis's own clock (TIME), so the tests that need them wait for real
// seconds (the 1 s minimum TTR); no test asserts on elapsed time.

#include <gtest/gtest.h>

#include <set>

#include "redis_queue/job_key.h"
#include "redis/redis_queue_fixture.h"

namespace stalk::redis_queue::test {
namespace {

using stalk::test::RedisCluster;
using PeekWhich = queue::Queue::PeekWhich;

class RedisQueueTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string error;
    cluster_ = RedisCluster::Start(RedisCluster::ThreeByThree(), &error).release();
    ASSERT_NE(cluster_, nullptr) << error;
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(cluster_, nullptr);
    for (uint16_t p : cluster_->Primaries()) {
      ASSERT_TRUE(cluster_->Call(p, {"FLUSHALL"}).ok());
    }
    a_ = d_.StartNode(cluster_->seeds());
    ASSERT_TRUE(a_);
  }

  // `n` tube names whose slots are owned by `n` different primaries.
  std::vector<std::string> TubesOnDifferentPrimaries(size_t n) {
    std::vector<std::string> out;
    std::set<uint16_t> owners;
    for (int i = 0; out.size() < n && i < 1000; ++i) {
      std::string name = "tube-" + std::to_string(i);
      if (owners.insert(cluster_->OwnerOfSlot(TubeSlot(name))).second) out.push_back(name);
    }
    return out;
  }

  static RedisCluster* cluster_;
  QueueDriver d_;
  std::unique_ptr<Node> a_;
};

RedisCluster* RedisQueueTest::cluster_ = nullptr;

TEST_F(RedisQueueTest, ReserveReturnsLowestPriorityThenOldestFirst) {
  RedisQueue& q = *a_->q;
  const SessionId s = q.OpenSession();
  auto [c1, a] = d_.Put(q, s, "a", 5);
  auto [c2, b] = d_.Put(q, s, "b", 1);
  auto [c3, c] = d_.Put(q, s, "c", 5);
  ASSERT_EQ(c1, Code::kOk);
  ASSERT_EQ(c2, Code::kOk);
  ASSERT_EQ(c3, Code::kOk);
  // Ids carry the tube's slot.
  EXPECT_EQ(a >> kSeqBits, TubeSlot("default"));
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_LT(c, uint64_t{1} << 53);
  EXPECT_EQ(d_.PeekTube(q, s, PeekWhich::kReady).second, "b");
  EXPECT_EQ(d_.Reserve(q, s, std::chrono::seconds(0)).id, b);
  EXPECT_EQ(d_.Reserve(q, s, std::chrono::seconds(0)).id, a);
  Reserved last = d_.Reserve(q, s, std::chrono::seconds(0));
  EXPECT_EQ(last.id, c);
  EXPECT_EQ(last.body, "c");
  EXPECT_EQ(d_.Reserve(q, s, std::chrono::seconds(0)).code, Code::kTimedOut);
  EXPECT_EQ(d_.Delete(q, s, a), Code::kOk);
  EXPECT_EQ(d_.Delete(q, s, a), Code::kNotFound);
  EXPECT_EQ(d_.Peek(q, s, c).second, "c");
  EXPECT_EQ(d_.Peek(q, s, a).first, Code::kNotFound);
}

TEST_F(RedisQueueTest, DelayedJobBecomesReadyAndWakesAWaitingReserve) {
  RedisQueue& q = *a_->q;
  const SessionId s = q.OpenSession();
  auto [code, id] = d_.Put(q, s, "later", 0, /*delay_s=*/1);
  ASSERT_EQ(code, Code::kOk);
  EXPECT_EQ(d_.Reserve(q, s, std::chrono::seconds(0)).code, Code::kTimedOut);
  EXPECT_EQ(d_.PeekTube(q, s, PeekWhich::kDelayed).second, "later");
  auto info = d_.StatsJob(q, s, id);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->state, queue::JobState::kDelayed);
  EXPECT_EQ(info->delay, std::chrono::seconds(1));
  Reserved r = d_.Reserve(q, s, std::chrono::seconds(10));
  EXPECT_EQ(r.code, Code::kOk);
  EXPECT_EQ(r.id, id);
}

TEST_F(RedisQueueTest, ExpiredTtrReturnsTheJobAndFencesOutTheOldHolder) {
  RedisQueue& q = *a_->q;
  const SessionId w1 = q.OpenSession();
  const SessionId w2 = q.OpenSession();
  auto [code, id] = d_.Put(q, w1, "job", 0, 0, /*ttr_s=*/1);
  ASSERT_EQ(code, Code::kOk);
  ASSERT_EQ(d_.Reserve(q, w1, std::chrono::seconds(0)).id, id);
  // Holding a job within 1 s of its deadline: DEADLINE_SOON, at once or while waiting.
  EXPECT_EQ(d_.Reserve(q, w1, std::chrono::seconds(10)).code, Code::kDeadlineSoon);
  // The TTR runs out; the job goes to the other worker.
  Reserved r = d_.Reserve(q, w2, std::chrono::seconds(10));
  ASSERT_EQ(r.code, Code::kOk);
  EXPECT_EQ(r.id, id);
  EXPECT_EQ(d_.Touch(q, w1, id), Code::kNotFound);
  EXPECT_EQ(d_.Release(q, w1, id), Code::kNotFound);
  EXPECT_EQ(d_.Bury(q, w1, id), Code::kNotFound);
  EXPECT_EQ(d_.Delete(q, w1, id), Code::kNotFound);
  auto info = d_.StatsJob(q, w2, id);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->state, queue::JobState::kReserved);
  EXPECT_GE(info->timeouts, 1u);
  EXPECT_EQ(info->reserves, 2u);
  EXPECT_GE(d_.Stats(q).job_timeouts, 1u);
  EXPECT_EQ(d_.Touch(q, w2, id), Code::kOk);
  EXPECT_EQ(d_.Delete(q, w2, id), Code::kOk);
}

TEST_F(RedisQueueTest, BuryKickAndKickJob) {
  RedisQueue& q = *a_->q;
  const SessionId s = q.OpenSession();
  ASSERT_EQ(d_.Use(q, s, "work"), Code::kOk);
  d_.Watch(q, s, "work");
  auto [c1, j1] = d_.Put(q, s, "one");
  auto [c2, j2] = d_.Put(q, s, "two");
  ASSERT_EQ(d_.Reserve(q, s, std::chrono::seconds(0)).id, j1);
  EXPECT_EQ(d_.Bury(q, s, j1, 7), Code::kOk);
  ASSERT_EQ(d_.Reserve(q, s, std::chrono::seconds(0)).id, j2);
  EXPECT_EQ(d_.Bury(q, s, j2, 8), Code::kOk);
  EXPECT_EQ(d_.PeekTube(q, s, PeekWhich::kBuried).second, "one");  // FIFO
  auto t = d_.StatsTube(q, s, "work");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->buried, 2u);
  EXPECT_EQ(d_.KickJob(q, s, j2), Code::kOk);
  EXPECT_EQ(d_.KickJob(q, s, j2), Code::kNotFound);  // ready now
  EXPECT_EQ(d_.Kick(q, s, 10), 1u);
  auto info = d_.StatsJob(q, s, j1);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->pri, 7u);
  EXPECT_EQ(info->buries, 1u);
  EXPECT_EQ(info->kicks, 1u);
  EXPECT_EQ(info->tube, "work");
  // kick takes delayed jobs when none is buried.
  auto [c3, j3] = d_.Put(q, s, "three", 0, 100);
  EXPECT_EQ(d_.Kick(q, s, 10), 1u);
  EXPECT_EQ(d_.StatsJob(q, s, j3)->state, queue::JobState::kReady);
}

TEST_F(RedisQueueTest, PausedTubeHandsOutNothingUntilItUnpauses) {
  RedisQueue& q = *a_->q;
  const SessionId s = q.OpenSession();
  auto [code, id] = d_.Put(q, s, "x");
  ASSERT_EQ(code, Code::kOk);
  EXPECT_EQ(d_.Pause(q, s, "default", 1), Code::kOk);
  auto t = d_.StatsTube(q, s, "default");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->pause, std::chrono::seconds(1));
  EXPECT_EQ(t->cmd_pause_tube, 1u);
  EXPECT_EQ(d_.Reserve(q, s, std::chrono::seconds(0)).code, Code::kTimedOut);
  Reserved r = d_.Reserve(q, s, std::chrono::seconds(10));
  EXPECT_EQ(r.code, Code::kOk);
  EXPECT_EQ(r.id, id);
  EXPECT_EQ(d_.Pause(q, s, "no-such-tube", 1), Code::kNotFound);
}

TEST_F(RedisQueueTest, ReserveAcrossWatchedTubesOnDifferentShardsTakesTheBest) {
  RedisQueue& q = *a_->q;
  std::vector<std::string> tubes = TubesOnDifferentPrimaries(3);
  ASSERT_EQ(tubes.size(), 3u);
  const SessionId p = q.OpenSession();
  d_.Use(q, p, tubes[0]);
  auto [c1, low] = d_.Put(q, p, "pri5", 5);
  d_.Use(q, p, tubes[1]);
  auto [c2, first3] = d_.Put(q, p, "pri3-first", 3);
  d_.Use(q, p, tubes[2]);
  auto [c3, second3] = d_.Put(q, p, "pri3-second", 3);
  const SessionId w = q.OpenSession();
  for (const std::string& t : tubes) d_.Watch(q, w, t);
  ASSERT_EQ(d_.Ignore(q, w, "default"), Code::kOk);
  EXPECT_EQ(d_.Reserve(q, w, std::chrono::seconds(0)).id, first3);
  EXPECT_EQ(d_.Reserve(q, w, std::chrono::seconds(0)).id, second3);
  EXPECT_EQ(d_.Reserve(q, w, std::chrono::seconds(0)).id, low);
  // A paused tube is skipped.
  EXPECT_EQ(d_.Release(q, w, low, 1), Code::kOk);
  EXPECT_EQ(d_.Pause(q, w, tubes[0], 60), Code::kOk);
  EXPECT_EQ(d_.Reserve(q, w, std::chrono::seconds(0)).code, Code::kTimedOut);
  std::vector<std::string> listed = d_.Tubes(q);
  EXPECT_EQ(listed.front(), "default");
  for (const std::string& t : tubes) {
    EXPECT_NE(std::find(listed.begin(), listed.end(), t), listed.end()) << t;
  }
}

// Consumers that read the same heads and race for the same job: the losers take the next
// job of their tube when its priority is still no worse than the other tubes' best, and pick
// again when it is worse. Priority order across tubes holds; nobody falls back to waiting.
TEST_F(RedisQueueTest, ConsumersRacingForOneHeadKeepPriorityOrderAndNeverWait) {
  RedisQueue& q = *a_->q;
  std::vector<std::string> tubes = TubesOnDifferentPrimaries(2);
  ASSERT_EQ(tubes.size(), 2u);
  const SessionId p = q.OpenSession();
  d_.Use(q, p, tubes[0]);
  auto [c1, x1] = d_.Put(q, p, "x1", 5);
  auto [c2, x2] = d_.Put(q, p, "x2", 5);
  auto [c3, x3] = d_.Put(q, p, "x3", 9);
  d_.Use(q, p, tubes[1]);
  auto [c4, y1] = d_.Put(q, p, "y1", 7);
  ASSERT_EQ(c1, Code::kOk);
  ASSERT_EQ(c4, Code::kOk);

  // Three consumers start their reserves in one loop turn, so they read the heads together
  // and all pick x1 first.
  std::vector<SessionId> consumers;
  std::vector<Reserved> got(3);
  for (int i = 0; i < 3; ++i) {
    consumers.push_back(q.OpenSession());
    for (const std::string& t : tubes) d_.Watch(q, consumers.back(), t);
    ASSERT_EQ(d_.Ignore(q, consumers.back(), "default"), Code::kOk);
  }
  for (int i = 0; i < 3; ++i) d_.StartReserve(q, consumers[i], std::chrono::seconds(10), &got[i]);
  ASSERT_TRUE(d_.RunUntil([&] { return got[0].done && got[1].done && got[2].done; }));

  std::set<JobId> taken;
  for (const Reserved& r : got) {
    EXPECT_EQ(r.code, Code::kOk);
    taken.insert(r.id);
  }
  // The three best by priority: x1 and x2 (5), then y1 (7); x3 (9) stays ready.
  EXPECT_EQ(taken, (std::set<JobId>{x1, x2, y1}));
  EXPECT_EQ(q.safety_polls(), 0u);
  EXPECT_EQ(d_.Reserve(q, consumers[0], std::chrono::seconds(0)).id, x3);
}

// --redis-wait-replicas: a write that fewer replicas acknowledged than asked is not reported
// as done. The put happened on the primary (the job is there and will be delivered), but its
// reply is INTERNAL_ERROR, so a client that retries makes a duplicate rather than trusting a
// write that a failover could lose.
TEST_F(RedisQueueTest, WaitForReplicasAnswersInternalErrorWhenTheReplicaDoesNotAcknowledge) {
  RedisQueueOptions options;
  options.wait_replicas = 1;
  options.wait_timeout = std::chrono::milliseconds(200);
  std::unique_ptr<Node> b = d_.StartNode(cluster_->seeds(), options);
  ASSERT_TRUE(b);
  RedisQueue& q = *b->q;
  const SessionId s = q.OpenSession();
  const uint16_t replica = cluster_->ReplicaOf(cluster_->OwnerOfSlot(TubeSlot("default")));
  ASSERT_NE(replica, 0);
  EXPECT_EQ(d_.Put(q, s, "replicated").first, Code::kOk);

  struct ResumeOnExit {
    RedisCluster* cluster;
    uint16_t port;
    ~ResumeOnExit() { cluster->Resume(port); }
  } resume{cluster_, replica};
  cluster_->Pause(replica);
  EXPECT_EQ(d_.Put(q, s, "not replicated").first, Code::kInternalError);
  auto t = d_.StatsTube(q, s, "default");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->ready, 2u);  // the job exists on the primary all the same
  cluster_->Resume(replica);

  // Once the replica catches up, writes are acknowledged again.
  Code code = Code::kInternalError;
  for (int i = 0; i < 50 && code != Code::kOk; ++i) code = d_.Put(q, s, "again").first;
  EXPECT_EQ(code, Code::kOk);
}

TEST_F(RedisQueueTest, ReserveJobAndCloseSessionPutJobsBackWithoutTimeouts) {
  RedisQueue& q = *a_->q;
  const SessionId s = q.OpenSession();
  auto [c1, delayed] = d_.Put(q, s, "d", 0, 100);
  auto [c2, ready] = d_.Put(q, s, "r");
  Reserved r = d_.ReserveJob(q, s, delayed);
  ASSERT_EQ(r.code, Code::kOk);
  EXPECT_EQ(r.body, "d");
  EXPECT_EQ(d_.ReserveJob(q, s, delayed).code, Code::kNotFound);  // reserved already
  ASSERT_EQ(d_.Reserve(q, s, std::chrono::seconds(0)).id, ready);
  const SessionId other = q.OpenSession();
  EXPECT_EQ(d_.Delete(q, other, ready), Code::kNotFound);  // not its reservation
  // A waiting reserve on the closing session is dropped without its completion.
  const SessionId waiter = q.OpenSession();
  d_.Watch(q, waiter, "empty-tube");
  d_.Ignore(q, waiter, "default");
  Reserved never;
  d_.StartReserve(q, waiter, std::nullopt, &never);
  d_.RunFor(std::chrono::milliseconds(100));
  q.CloseSession(waiter);
  q.CloseSession(s);
  ASSERT_TRUE(d_.RunUntil([&] { return d_.Stats(q).ready == 2; }));
  EXPECT_FALSE(never.done);
  auto info = d_.StatsJob(q, other, delayed);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->state, queue::JobState::kReady);
  EXPECT_EQ(info->timeouts, 0u);
  EXPECT_EQ(info->reserves, 1u);
}

TEST_F(RedisQueueTest, StatsSumEveryTubeAndCountLocalSessions) {
  RedisQueue& q = *a_->q;
  std::vector<std::string> tubes = TubesOnDifferentPrimaries(2);
  const SessionId s = q.OpenSession();
  d_.Use(q, s, tubes[0]);
  d_.Put(q, s, "a", 1);
  d_.Put(q, s, "b", 2000, 100);
  d_.Use(q, s, tubes[1]);
  auto [c, id] = d_.Put(q, s, "c", 2000);
  d_.Watch(q, s, tubes[1]);
  d_.Ignore(q, s, "default");
  ASSERT_EQ(d_.Reserve(q, s, std::chrono::seconds(0)).id, id);
  queue::QueueInfo info = d_.Stats(q);
  EXPECT_EQ(info.urgent, 1u);
  EXPECT_EQ(info.ready, 1u);
  EXPECT_EQ(info.delayed, 1u);
  EXPECT_EQ(info.reserved, 1u);
  EXPECT_EQ(info.total_jobs, 3u);
  EXPECT_EQ(info.tubes, 3u);  // default + the two
  auto t = d_.StatsTube(q, s, tubes[1]);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->using_count, 1u);
  EXPECT_EQ(t->watching_count, 1u);
  EXPECT_EQ(t->reserved, 1u);
  EXPECT_EQ(t->total_jobs, 1u);
  EXPECT_FALSE(d_.StatsTube(q, s, "never-seen"));
}

TEST_F(RedisQueueTest, BadIdsAreNotFound) {
  RedisQueue& q = *a_->q;
  const SessionId s = q.OpenSession();
  for (JobId id : {JobId{0}, JobId{1}, ~JobId{0}, (JobId{16384} << kSeqBits) + 1}) {
    EXPECT_EQ(d_.Delete(q, s, id), Code::kNotFound) << id;
    EXPECT_EQ(d_.Peek(q, s, id).first, Code::kNotFound) << id;
    EXPECT_EQ(d_.KickJob(q, s, id), Code::kNotFound) << id;
    EXPECT_FALSE(d_.StatsJob(q, s, id)) << id;
    EXPECT_EQ(d_.ReserveJob(q, s, id).code, Code::kNotFound) << id;
  }
}

TEST_F(RedisQueueTest, APutOnOneNodeWakesAWaitingReserveOnAnotherWithoutPolling) {
  RedisQueueOptions slow;
  slow.safety_poll = std::chrono::hours(1);  // only a wake-up can end the wait
  std::unique_ptr<Node> b = d_.StartNode(cluster_->seeds(), slow);
  ASSERT_TRUE(b);
  const SessionId waiter = b->q->OpenSession();
  Reserved r;
  d_.StartReserve(*b->q, waiter, std::nullopt, &r);
  d_.RunFor(std::chrono::milliseconds(300));  // waiting, subscribed
  ASSERT_FALSE(r.done);
  const SessionId producer = a_->q->OpenSession();
  auto [code, id] = d_.Put(*a_->q, producer, "wake up");
  ASSERT_EQ(code, Code::kOk);
  ASSERT_TRUE(d_.RunUntil([&] { return r.done; }));
  EXPECT_EQ(r.code, Code::kOk);
  EXPECT_EQ(r.id, id);
  EXPECT_EQ(b->q->safety_polls(), 0u);
}

TEST_F(RedisQueueTest, JobsHeldThroughANodeThatDiedComeBackAfterTheirTtr) {
  std::unique_ptr<Node> b = d_.StartNode(cluster_->seeds());
  ASSERT_TRUE(b);
  const SessionId s = b->q->OpenSession();
  auto [code, id] = d_.Put(*b->q, s, "orphan", 0, 0, /*ttr_s=*/1);
  ASSERT_EQ(code, Code::kOk);
  ASSERT_EQ(d_.Reserve(*b->q, s, std::chrono::seconds(0)).id, id);
  b.reset();  // dies: no CloseSession, nothing released
  const SessionId w = a_->q->OpenSession();
  Reserved r = d_.Reserve(*a_->q, w, std::chrono::seconds(15));
  EXPECT_EQ(r.code, Code::kOk);
  EXPECT_EQ(r.id, id);
  EXPECT_EQ(d_.StatsJob(*a_->q, w, id)->timeouts, 1u);
}

TEST_F(RedisQueueTest, TheSweepReturnsJobsOfTubesThisNodeNeverTouched) {
  std::unique_ptr<Node> b = d_.StartNode(cluster_->seeds());
  ASSERT_TRUE(b);
  const SessionId s = b->q->OpenSession();
  d_.Use(*b->q, s, "elsewhere");
  d_.Watch(*b->q, s, "elsewhere");
  auto [code, id] = d_.Put(*b->q, s, "x", 0, 0, 1);
  ASSERT_EQ(code, Code::kOk);
  ASSERT_EQ(d_.Reserve(*b->q, s, std::chrono::seconds(0)).id, id);
  b.reset();
  // Node A never saw the tube and runs nothing on it: only its sweep over the registry can
  // move the job (checked straight in Redis, since every script on the tube would promote).
  const uint16_t owner = cluster_->OwnerOfSlot(TubeSlot("elsewhere"));
  EXPECT_TRUE(d_.RunUntil([&] {
    return cluster_->Call(owner, {"ZCARD", TubeKey("elsewhere", "ready")}).integer == 1;
  }));
}

// One plain redis-server (cluster support disabled): the same queue works.
TEST(RedisQueueStandalone, PutReserveDeleteOnOnePlainRedis) {
  std::string error;
  auto redis = RedisCluster::Start(RedisCluster::Standalone(), &error);
  ASSERT_TRUE(redis) << error;
  QueueDriver d;
  std::unique_ptr<Node> n = d.StartNode(redis->seeds());
  ASSERT_TRUE(n);
  RedisQueue& q = *n->q;
  const SessionId s = q.OpenSession();
  auto [code, id] = d.Put(q, s, "hello", 3);
  ASSERT_EQ(code, Code::kOk);
  Reserved r = d.Reserve(q, s, std::chrono::seconds(0));
  EXPECT_EQ(r.id, id);
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(d.Delete(q, s, id), Code::kOk);
  EXPECT_EQ(d.Stats(q).total_jobs, 1u);
}

}  // namespace
}  // namespace stalk::redis_queue::test
