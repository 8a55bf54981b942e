// The stalk::Conn facade straight on Redis (Dial("redis://...")): the facade suite's
// behaviours, on one plain redis-server and on a 3 + 3 Redis Cluster, with no stalkd in
// between; plus a job crossing between the facade and a stalkd --redis on the same data,
// TTR expiry, the give-back when a Conn goes away, and bad addresses.
//
// One Redis of each shape serves the whole suite (started on first use, stopped at the
// end); each test works in tubes named after itself, so tests do not see each other's
// jobs.

#include <stdlib.h>

#include <atomic>
#include <map>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "client_fixture.h"
#include "stalk/stalk.h"
#include "support/redis_cluster.h"
#include "support/server_process.h"

namespace stalk::test {
namespace {

using namespace std::chrono_literals;

enum class Shape { kStandalone, kCluster };

std::string ShapeName(Shape s) { return s == Shape::kStandalone ? "Standalone" : "Cluster3x3"; }
void PrintTo(Shape s, std::ostream* os) { *os << ShapeName(s); }

std::string Compressible(size_t n) {
  std::string s;
  while (s.size() < n) s += "stalkd compresses repetitive job bodies well. ";
  s.resize(n);
  return s;
}

class FacadeRedisTest : public ::testing::TestWithParam<Shape> {
 protected:
  static void TearDownTestSuite() { redis_.clear(); }

  void SetUp() override {
    std::unique_ptr<RedisCluster>& r = redis_[GetParam()];
    if (!r) {
      std::string error;
      r = RedisCluster::Start(GetParam() == Shape::kStandalone ? RedisCluster::Standalone()
                                                               : RedisCluster::ThreeByThree(),
                              &error);
      ASSERT_TRUE(r) << error;
    }
    seeds_ = r->seeds();
  }

  static Options ConnOptions() {
    Options o;
    o.connect_timeout = 5s;
    o.call_timeout = 30s;
    return o;
  }

  Conn DialRedis(Options o = ConnOptions()) {
    Result<Conn> c = Dial(seeds_, o);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return std::move(*c);
  }

  // A tube of this test's own (the Redis outlives the test).
  std::string TubeName(std::string_view suffix = "") const {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->name()) + std::string(suffix);
    for (char& c : name) {
      if (c == '/') c = '.';
    }
    return name;
  }

  // Waits (bounded, to turn a hang into a failure) until `n` reserves wait on `tube`.
  static void WaitForWaiting(Tube& tube, uint64_t n) {
    for (int i = 0; i < 4000; ++i) {
      Result<TubeInfo> s = tube.Stats();
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      if (s->current_waiting == n) return;
      std::this_thread::sleep_for(5ms);
    }
    FAIL() << "never saw " << n << " waiting reserves on " << tube.name();
  }

  static std::map<Shape, std::unique_ptr<RedisCluster>> redis_;
  std::string seeds_;
};

std::map<Shape, std::unique_ptr<RedisCluster>> FacadeRedisTest::redis_;

TEST_P(FacadeRedisTest, PutReserveTouchDelete) {
  Conn conn = DialRedis();
  EXPECT_EQ(conn.client(), nullptr);  // no beanstalkd-protocol connection behind it
  EXPECT_EQ(conn.address(), seeds_);
  Result<Tube> tube = conn.Use(TubeName());
  ASSERT_OK(tube);
  Result<JobId> id = tube->Put("payload", 0s, 60s);
  ASSERT_OK(id);
  Result<Job> job = tube->Reserve(5s);
  ASSERT_OK(job);
  EXPECT_EQ(job->id, *id);
  EXPECT_EQ(job->body, "payload");
  ASSERT_OK(tube->Touch(job->id));
  ASSERT_OK(tube->Delete(job->id));
  EXPECT_ERROR(tube->Delete(job->id), Error::kNotFound);
  EXPECT_ERROR(tube->Touch(job->id), Error::kNotFound);
  EXPECT_ERROR(tube->Reserve(0s), Error::kTimedOut);
  // The same refusals as over the wire.
  EXPECT_ERROR(tube->Put("x", -1s), Error::kInvalidArgument);
  EXPECT_ERROR(tube->Reserve(-1s), Error::kInvalidArgument);
  EXPECT_ERROR(conn.Use("bad name"), Error::kInvalidArgument);
}

TEST_P(FacadeRedisTest, ReleaseBuryPeekBuriedKickJob) {
  Conn conn = DialRedis();
  Tube tube = *conn.Use(TubeName());
  Result<JobId> id = tube.Put("x");
  ASSERT_OK(id);
  ASSERT_OK(tube.Reserve(5s));
  ASSERT_OK(tube.Release(*id, 0s, 3));
  Result<Job> again = tube.Reserve(5s);
  ASSERT_OK(again);
  EXPECT_EQ(again->id, *id);
  ASSERT_OK(tube.Bury(*id));
  Result<Job> buried = tube.PeekBuried();
  ASSERT_OK(buried);
  EXPECT_EQ(buried->id, *id);
  EXPECT_EQ(buried->body, "x");
  ASSERT_OK(tube.KickJob(*id));
  EXPECT_ERROR(tube.PeekBuried(), Error::kNotFound);
  EXPECT_ERROR(tube.KickJob(*id), Error::kNotFound);
  // Release and Bury of a job this Conn does not hold.
  EXPECT_ERROR(tube.Release(*id), Error::kNotFound);
  EXPECT_ERROR(tube.Bury(*id), Error::kNotFound);
  Result<TubeInfo> s = tube.Stats();
  ASSERT_OK(s);
  EXPECT_EQ(s->name, tube.name());
  EXPECT_EQ(s->current_jobs_ready, 1u);
  EXPECT_EQ(s->total_jobs, 1u);
}

TEST_P(FacadeRedisTest, DelayedJobsWaitAndCanBeKicked) {
  Conn conn = DialRedis();
  Tube tube = *conn.Use(TubeName());
  Result<JobId> later = tube.Put("later", 3600s);
  ASSERT_OK(later);
  Result<TubeInfo> s = tube.Stats();
  ASSERT_OK(s);
  EXPECT_EQ(s->current_jobs_delayed, 1u);
  EXPECT_EQ(s->current_jobs_ready, 0u);
  EXPECT_ERROR(tube.Reserve(0s), Error::kTimedOut);
  ASSERT_OK(tube.KickJob(*later));
  Result<Job> kicked = tube.Reserve(5s);
  ASSERT_OK(kicked);
  EXPECT_EQ(kicked->id, *later);
  ASSERT_OK(tube.Delete(*later));
  // A short delay runs out on its own (the deadline only turns a hang into a failure).
  Result<JobId> soon = tube.Put("soon", 1s);
  ASSERT_OK(soon);
  Result<Job> got = tube.Reserve(60s);
  ASSERT_OK(got);
  EXPECT_EQ(got->id, *soon);
  ASSERT_OK(tube.Delete(*soon));
}

// A blocked Reserve never delays a Put of another thread. Proven by order, not by time:
// every put completes while the reserve is still waiting (the queue counts it waiting,
// and it has not returned).
TEST_P(FacadeRedisTest, ProducerNeverWaitsBehindABlockedReserve) {
  Conn conn = DialRedis();
  Tube work = *conn.Use(TubeName("-work"));
  Tube other = *conn.Use(TubeName("-other"));
  std::atomic<bool> reserve_returned{false};
  Result<Job> reserved = Status(Error::kClosed);
  std::thread consumer([&] {
    reserved = work.Reserve();  // no timeout: blocks until a job comes
    reserve_returned = true;
  });
  WaitForWaiting(work, 1);
  for (int i = 0; i < 50; ++i) {
    ASSERT_OK(other.Put("p" + std::to_string(i)));
    ASSERT_OK(other.Stats());
  }
  EXPECT_FALSE(reserve_returned.load()) << "the reserve returned without a job in its tube";
  EXPECT_EQ(work.Stats()->current_waiting, 1u);
  EXPECT_EQ(other.Stats()->current_jobs_ready, 50u);
  Result<JobId> id = work.Put("wake up");
  ASSERT_OK(id);
  consumer.join();
  ASSERT_OK(reserved);
  EXPECT_EQ(reserved->id, *id);
  // Job commands go to the lane that holds the job.
  ASSERT_OK(work.Touch(*id));
  ASSERT_OK(work.Delete(*id));
}

TEST_P(FacadeRedisTest, ConcurrentReservesEachGetALane) {
  Conn conn = DialRedis();
  Tube tube = *conn.Use(TubeName());
  constexpr int kWorkers = 4;
  std::vector<std::thread> workers;
  std::vector<Result<Job>> got(kWorkers, Result<Job>(Status(Error::kClosed)));
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] { got[w] = tube.Reserve(60s); });
  }
  WaitForWaiting(tube, kWorkers);
  for (int i = 0; i < kWorkers; ++i) ASSERT_OK(tube.Put("j" + std::to_string(i)));
  for (auto& t : workers) t.join();
  for (auto& r : got) {
    ASSERT_OK(r);
    ASSERT_OK(tube.Delete(r->id));  // each through the lane holding it
  }
  Result<TubeInfo> s = tube.Stats();
  ASSERT_OK(s);
  EXPECT_EQ(s->current_jobs_reserved, 0u);
  EXPECT_EQ(s->total_jobs, static_cast<uint64_t>(kWorkers));
}

TEST_P(FacadeRedisTest, DeleteTubeEmptiesReadyDelayedAndBuried) {
  Conn conn = DialRedis();
  const std::string doomed = TubeName("-doomed");
  Tube tube = *conn.Use(doomed);
  Tube keep = *conn.Use(TubeName("-kept"));
  for (int i = 0; i < 5; ++i) ASSERT_OK(tube.Put("ready"));
  for (int i = 0; i < 3; ++i) ASSERT_OK(tube.Put("delayed", 3600s));
  Result<Job> r = tube.Reserve(5s);
  ASSERT_OK(r);
  ASSERT_OK(tube.Bury(r->id));
  Result<Job> reserved = tube.Reserve(5s);  // stays reserved through the Delete
  ASSERT_OK(reserved);
  ASSERT_OK(keep.Put("other tube"));

  Result<uint64_t> n = conn.Delete(doomed);
  ASSERT_OK(n);
  EXPECT_EQ(*n, 7u);  // 3 ready, 3 delayed, 1 buried
  Result<TubeInfo> s = tube.Stats();
  ASSERT_OK(s);
  EXPECT_EQ(s->current_jobs_ready, 0u);
  EXPECT_EQ(s->current_jobs_delayed, 0u);
  EXPECT_EQ(s->current_jobs_buried, 0u);
  EXPECT_EQ(s->current_jobs_reserved, 1u);
  EXPECT_EQ(keep.Stats()->current_jobs_ready, 1u);
  ASSERT_OK(tube.Delete(reserved->id));
  EXPECT_ERROR(conn.Delete("-bad"), Error::kInvalidArgument);
}

TEST_P(FacadeRedisTest, CompressionRoundTripAndCounters) {
  Conn conn = DialRedis();
  Tube tube = *conn.Use(TubeName());
  const std::string big = Compressible(20000);
  Result<JobId> id = tube.Put(big, 0s, 60s, /*compress=*/true);
  ASSERT_OK(id);
  std::mt19937 rng(3);
  std::string noise(4096, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  ASSERT_OK(tube.Put(noise, 0s, 60s, true));                                // does not shrink
  ASSERT_OK(tube.Put(Compressible(kMinCompressBytes - 1), 0s, 60s, true));  // too small

  // A Conn that does not decompress sees what Redis stores: the frame.
  Options raw_options = ConnOptions();
  raw_options.decompress = false;
  Conn raw = DialRedis(raw_options);
  Tube raw_tube = *raw.Use(tube.name());
  Result<Job> stored = raw_tube.Reserve(5s);
  ASSERT_OK(stored);
  ASSERT_EQ(stored->id, *id);
  EXPECT_EQ(stored->body.substr(0, 4), std::string("\0SZ4", 4));
  EXPECT_LT(stored->body.size(), big.size());
  ASSERT_OK(raw_tube.Release(stored->id));

  Result<Job> job = tube.Reserve(5s);
  ASSERT_OK(job);
  EXPECT_EQ(job->id, *id);
  EXPECT_EQ(job->body, big);
  ASSERT_OK(tube.Bury(job->id));
  Result<Job> buried = tube.PeekBuried();
  ASSERT_OK(buried);
  EXPECT_EQ(buried->body, big);
  Result<Job> second = tube.Reserve(5s);
  ASSERT_OK(second);
  EXPECT_EQ(second->body, noise);

  Result<TubeInfo> s = tube.Stats();
  ASSERT_OK(s);
  EXPECT_EQ(s->jobs_compressed, 1u);
  EXPECT_EQ(s->jobs_skipped, 2u);
  EXPECT_EQ(s->bytes_saved, big.size() - stored->body.size());
  EXPECT_EQ(s->current_jobs_buried, 1u);  // Redis's half is there too
  EXPECT_EQ(s->current_jobs_reserved, 1u);
}

// A job whose TTR runs out goes back to ready and is reserved again, and the Conn still
// routes its commands to the lane that holds it now.
TEST_P(FacadeRedisTest, TtrExpiryReturnsTheJob) {
  Conn conn = DialRedis();
  Tube tube = *conn.Use(TubeName());
  Result<JobId> id = tube.Put("slow worker", 0s, 1s);
  ASSERT_OK(id);
  Result<Job> first = tube.Reserve(5s);
  ASSERT_OK(first);
  // Not touched: the reservation lapses, and the job comes back.
  Result<Job> again = tube.Reserve(60s);
  ASSERT_OK(again);
  EXPECT_EQ(again->id, *id);
  ASSERT_OK(tube.Delete(*id));
  EXPECT_ERROR(tube.Delete(*id), Error::kNotFound);
}

// Destroying the last handle of a Conn gives its reservations back at once (as a closed
// beanstalkd connection does), not after their TTR: the TTR here is an hour.
TEST_P(FacadeRedisTest, ClosingTheConnGivesReservedJobsBack) {
  Conn conn = DialRedis();
  Tube tube = *conn.Use(TubeName());
  Result<JobId> id = tube.Put("held", 0s, 3600s);
  ASSERT_OK(id);
  {
    Conn other = DialRedis();
    Tube t = *other.Use(tube.name());
    Result<Job> held = t.Reserve(5s);
    ASSERT_OK(held);
    ASSERT_EQ(held->id, *id);
    EXPECT_EQ(tube.Stats()->current_jobs_reserved, 1u);
  }
  Result<Job> back = tube.Reserve(60s);
  ASSERT_OK(back);
  EXPECT_EQ(back->id, *id);
  ASSERT_OK(tube.Delete(*id));
}

// Same data: a job put through the facade on Redis is reserved through a stalkd --redis
// on the same Redis, and the other way round. Bodies compressed by the facade reach a
// libstalk reader of stalkd as they were put.
TEST_P(FacadeRedisTest, JobsCrossBetweenTheFacadeAndStalkdOnTheSameRedis) {
  ServerProcess::Options so;
  so.binary = STALKD_BIN;
  so.args = {"--redis", seeds_};
  std::string error;
  std::unique_ptr<ServerProcess> stalkd = ServerProcess::Start(so, &error);
  ASSERT_TRUE(stalkd) << error;
  Options co;
  co.host = "127.0.0.1";
  co.port = stalkd->port();
  co.call_timeout = 30s;
  Result<std::unique_ptr<Client>> client = Client::Connect(co);
  ASSERT_OK(client);
  Client& c = **client;

  Conn conn = DialRedis();
  Tube tube = *conn.Use(TubeName());
  const std::string big = Compressible(10000);
  Result<JobId> id = tube.Put(big, 0s, 60s, /*compress=*/true);
  ASSERT_OK(id);
  ASSERT_OK(c.Watch(tube.name()));
  ASSERT_OK(c.Ignore("default"));
  Result<Job> via_stalkd = c.Reserve(10s);
  ASSERT_OK(via_stalkd);
  EXPECT_EQ(via_stalkd->id, *id);
  EXPECT_EQ(via_stalkd->body, big);
  Result<JobStats> js = c.StatsJob(*id);
  ASSERT_OK(js);
  EXPECT_EQ(js->tube, tube.name());
  EXPECT_EQ(js->state, "reserved");
  ASSERT_OK(c.Delete(*id));
  EXPECT_ERROR(tube.KickJob(*id), Error::kNotFound);  // gone for the facade too

  Result<JobId> back = c.PutIn(tube.name(), "from stalkd");
  ASSERT_OK(back);
  Result<Job> via_facade = tube.Reserve(10s);
  ASSERT_OK(via_facade);
  EXPECT_EQ(via_facade->id, *back);
  EXPECT_EQ(via_facade->body, "from stalkd");
  ASSERT_OK(tube.Delete(*back));
  EXPECT_ERROR(c.Peek(*back), Error::kNotFound);
}

// setenv/unsetenv for the length of a test.
class EnvGuard {
 public:
  EnvGuard() { Clear(); }
  ~EnvGuard() { Clear(); }
  void Set(const char* name, const std::string& value) { ::setenv(name, value.c_str(), 1); }

 private:
  static void Clear() {
    ::unsetenv("STALKD_HOST");
    ::unsetenv("STALKD_PORT");
  }
};

TEST_P(FacadeRedisTest, DialDefaultTakesARedisAddressFromStalkdHost) {
  EnvGuard env;
  env.Set("STALKD_HOST", seeds_);
  env.Set("STALKD_PORT", "1");  // ignored: the address is whole
  Result<Conn> c = DialDefault(ConnOptions());
  ASSERT_OK(c);
  EXPECT_EQ(c->address(), seeds_);
  EXPECT_EQ(c->client(), nullptr);
  Tube tube = *c->Use(TubeName());
  Result<JobId> id = tube.Put("x");
  ASSERT_OK(id);
  ASSERT_OK(tube.Delete(*id));
}

INSTANTIATE_TEST_SUITE_P(Redis, FacadeRedisTest,
                         ::testing::Values(Shape::kStandalone, Shape::kCluster),
                         [](const ::testing::TestParamInfo<Shape>& p) {
                           return ShapeName(p.param);
                         });

// Bad addresses: a clear error, at once, never a hang.
TEST(FacadeRedisDial, BadAddressesAreInvalidArguments) {
  for (const char* bad : {"redis://", "redis://h:0", "redis://h:99999", "redis://h:port",
                          "redis://127.0.0.1:7000,", "redis://user@h:1", "redis://h:1/0"}) {
    Result<Conn> c = Dial(bad);
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_EQ(c.error(), Error::kInvalidArgument) << bad << ": " << c.status().ToString();
    EXPECT_NE(c.status().message().find(bad), std::string::npos) << c.status().ToString();
  }
}

TEST(FacadeRedisDial, NothingListeningIsConnectFailed) {
  Options o;
  o.connect_timeout = 2s;
  Result<Conn> c = Dial("redis://127.0.0.1:1", o);  // port 1: nothing listens
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error(), Error::kConnectFailed) << c.status().ToString();
  EXPECT_NE(c.status().message().find("127.0.0.1:1"), std::string::npos);
  c = Dial("redis://no-such-host.invalid:7000", o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error(), Error::kConnectFailed) << c.status().ToString();
}

}  // namespace
}  // namespace stalk::test
