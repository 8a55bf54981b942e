// Scale-out without failures, on one shared 3-primary/3-replica cluster: two stalkd nodes
// serving the same tubes (producers on one, workers on the other: every job exactly once),
// a stalkd node killed -9 while holding reservations (the jobs come back after their TTR
// through the other node), and a node stopped with SIGTERM (its jobs come back at once).

#include <signal.h>
#include <sys/wait.h>

#include "scale_out_util.h"

namespace stalk::test::scale_out {
namespace {

class ScaleOut : public ::testing::Test {
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
    if (!HaveStalkd()) GTEST_SKIP() << "no stalkd target in this build";
    ASSERT_NE(cluster_, nullptr);
    for (uint16_t p : cluster_->Primaries()) ASSERT_TRUE(cluster_->Call(p, {"FLUSHALL"}).ok());
  }
  static RedisCluster* cluster_;
};

RedisCluster* ScaleOut::cluster_ = nullptr;

TEST_F(ScaleOut, ProducersOnOneNodeWorkersOnAnotherEveryJobExactlyOnce) {
  std::string error;
  auto a = StartStalkd(*cluster_, {}, &error);
  ASSERT_TRUE(a) << error;
  auto b = StartStalkd(*cluster_, {}, &error);
  ASSERT_TRUE(b) << error;
  const std::vector<std::string> tubes = TubesOnEveryPrimary(*cluster_, "once", 2);
  ASSERT_EQ(tubes.size(), 6u);

  constexpr int kProducers = 3, kJobsEach = 400, kWorkers = 4;
  Ledger ledger;
  std::atomic<int> acked{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers, producers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back(Work, WorkerSpec{b->port(), tubes, false}, &ledger, &stop);
  }
  for (int p = 0; p < kProducers; ++p) {
    ProducerSpec spec{a->port(), "p" + std::to_string(p), tubes, kJobsEach};
    producers.emplace_back(Produce, spec, &ledger, &acked);
  }
  for (auto& t : producers) t.join();
  const size_t total = size_t{kProducers} * kJobsEach;
  EXPECT_TRUE(WaitFor([&] { return ledger.delivered_jobs() >= total; },
                      std::chrono::seconds(120)))
      << ledger.delivered_jobs() << " of " << total << " delivered";
  stop = true;
  for (auto& t : workers) t.join();

  EXPECT_EQ(ledger.odd_count(), 0u) << ledger.first_odd();
  EXPECT_EQ(ledger.acked(), total);
  EXPECT_EQ(ledger.Lost().size(), 0u) << "first lost: " << ledger.Lost().front();
  EXPECT_EQ(ledger.Duplicates(), 0u);
  EXPECT_EQ(ledger.total_deliveries(), total);
  ExpectTubesEmpty(a->port(), tubes);
  ExpectTubesEmpty(b->port(), tubes);
}

// Reserves `n` jobs from `tube` through `c`; their ids and bodies.
std::map<std::string, std::string> ReserveN(Conn& c, const std::string& tube, int n,
                                            const std::string& timeout_s) {
  std::map<std::string, std::string> out;
  c.Call("watch " + tube + "\r\n");
  c.Call("ignore default\r\n");
  for (int i = 0; i < n; ++i) {
    auto r = c.Call("reserve-with-timeout " + timeout_s + "\r\n");
    std::string id, body;
    if (!r || !ParseReserved(*r, &id, &body)) {
      ADD_FAILURE() << "reserve " << i << " of " << n << ": " << EscapeBytes(r.value_or("-"));
      break;
    }
    out[id] = body;
  }
  return out;
}

void PutN(uint16_t port, const std::string& tube, int n, int ttr_s) {
  Conn c(port);
  ASSERT_EQ(c.Call("use " + tube + "\r\n").value_or(""), "USING " + tube + "\r\n");
  for (int i = 0; i < n; ++i) {
    auto r = c.Call(PutCommand("job-" + std::to_string(i), 0, 0, static_cast<uint32_t>(ttr_s)));
    ASSERT_TRUE(r && r->rfind("INSERTED ", 0) == 0) << EscapeBytes(r.value_or("-"));
  }
}

TEST_F(ScaleOut, ANodeKilledHoldingReservationsItsJobsComeBackAfterTheirTtr) {
  std::string error;
  auto a = StartStalkd(*cluster_, {}, &error);
  ASSERT_TRUE(a) << error;
  auto b = StartStalkd(*cluster_, {}, &error);
  ASSERT_TRUE(b) << error;
  constexpr int kJobs = 12;
  const std::string tube = "crash";
  PutN(a->port(), tube, kJobs, /*ttr_s=*/2);

  std::map<std::string, std::string> held;
  {
    Conn holder(b->port());
    held = ReserveN(holder, tube, kJobs, "5");
    ASSERT_EQ(held.size(), size_t{kJobs});
    b->Kill();  // -9 while the connection is open: nothing is given back
  }

  // Another worker, on the surviving node: every job comes back once its TTR has run out.
  Conn worker(a->port());
  std::map<std::string, std::string> again = ReserveN(worker, tube, kJobs, "20");
  EXPECT_EQ(again, held);
  for (const auto& [id, body] : again) {
    auto stats = worker.Call("stats-job " + id + "\r\n");
    ASSERT_TRUE(stats);
    EXPECT_EQ(StatField(*stats, "timeouts"), 1) << *stats;
    EXPECT_EQ(StatField(*stats, "reserves"), 2) << *stats;
    EXPECT_EQ(StatField(*stats, "releases"), 0) << *stats;
    EXPECT_EQ(worker.Call("delete " + id + "\r\n").value_or(""), "DELETED\r\n");
  }
  auto stats = worker.Call("stats\r\n");
  ASSERT_TRUE(stats);
  EXPECT_EQ(StatField(*stats, "job-timeouts"), kJobs) << *stats;
  ExpectTubesEmpty(a->port(), {tube});
}

TEST_F(ScaleOut, ANodeStoppedWithSigtermGivesItsReservationsBackAtOnce) {
  std::string error;
  auto a = StartStalkd(*cluster_, {}, &error);
  ASSERT_TRUE(a) << error;
  auto b = StartStalkd(*cluster_, {}, &error);
  ASSERT_TRUE(b) << error;
  constexpr int kJobs = 12;
  const std::string tube = "graceful";
  // A TTR far beyond any deadline below: a job seen again came back by the release.
  PutN(a->port(), tube, kJobs, /*ttr_s=*/3600);

  Conn holder(b->port());
  std::map<std::string, std::string> held = ReserveN(holder, tube, kJobs, "5");
  ASSERT_EQ(held.size(), size_t{kJobs});
  std::optional<int> status = b->Stop(std::chrono::seconds(20));
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << DescribeWaitStatus(*status);

  Conn worker(a->port());
  std::map<std::string, std::string> again = ReserveN(worker, tube, kJobs, "20");
  EXPECT_EQ(again, held);
  for (const auto& [id, body] : again) {
    auto stats = worker.Call("stats-job " + id + "\r\n");
    ASSERT_TRUE(stats);
    // Given back, not timed out; beanstalkd counts a closed connection's jobs as neither.
    EXPECT_EQ(StatField(*stats, "timeouts"), 0) << *stats;
    EXPECT_EQ(StatField(*stats, "reserves"), 2) << *stats;
    EXPECT_EQ(worker.Call("delete " + id + "\r\n").value_or(""), "DELETED\r\n");
  }
  ExpectTubesEmpty(a->port(), {tube});
}

}  // namespace
}  // namespace stalk::test::scale_out
