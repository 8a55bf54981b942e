// stalkd --redis as a process: a smoke test over the wire (byte-exact replies), two stalkd
// nodes sharing one cluster, and the start-up errors (unreachable Redis, bad flags).

#include <gtest/gtest.h>

#include <string>

#include "redis_queue/job_key.h"
#include "support/redis_cluster.h"
#include "support/server_process.h"
#include "support/wire_client.h"

namespace stalk::test {
namespace {

#ifndef STALKD_BIN
#define STALKD_BIN ""
#endif

std::unique_ptr<ServerProcess> StartStalkd(std::vector<std::string> args, std::string* error) {
  ServerProcess::Options o;
  o.binary = STALKD_BIN;
  o.args = std::move(args);
  return ServerProcess::Start(o, error);
}

// The id of the n-th job put into `tube` of a fresh Redis.
std::string IdOf(const std::string& tube, uint64_t n) {
  return std::to_string(redis_queue::MakeJobId(redis_queue::TubeSlot(tube), n));
}

class StalkdOnRedis : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string error;
    cluster_ = RedisCluster::Start(RedisCluster::OnePrimary(), &error).release();
    ASSERT_NE(cluster_, nullptr) << error;
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override {
    if (std::string(STALKD_BIN).empty()) GTEST_SKIP() << "no stalkd target in this build";
    ASSERT_NE(cluster_, nullptr);
    for (uint16_t p : cluster_->Primaries()) ASSERT_TRUE(cluster_->Call(p, {"FLUSHALL"}).ok());
  }
  static RedisCluster* cluster_;
};

RedisCluster* StalkdOnRedis::cluster_ = nullptr;

TEST_F(StalkdOnRedis, PutReserveDeleteStatsByteForByte) {
  std::string error;
  auto server = StartStalkd({"--redis", cluster_->seeds()}, &error);
  ASSERT_TRUE(server) << error;
  WireClient c(server->port());
  const std::string id = IdOf("default", 1);
  c.Roundtrip(PutCommand("hello", 5), "INSERTED " + id + "\r\n");
  c.Roundtrip("reserve-with-timeout 0\r\n", "RESERVED " + id + " 5\r\nhello\r\n");
  c.Roundtrip("reserve-with-timeout 0\r\n", "TIMED_OUT\r\n");
  c.Roundtrip("touch " + id + "\r\n", "TOUCHED\r\n");
  c.Roundtrip("delete " + id + "\r\n", "DELETED\r\n");
  c.Roundtrip("delete " + id + "\r\n", "NOT_FOUND\r\n");
  c.Roundtrip("delete 1\r\n", "NOT_FOUND\r\n");
  c.Roundtrip("use other\r\n", "USING other\r\n");
  c.Roundtrip(PutCommand("x", 0, 100), "INSERTED " + IdOf("other", 1) + "\r\n");
  c.Roundtrip("peek-delayed\r\n", "FOUND " + IdOf("other", 1) + " 1\r\nx\r\n");
  c.Roundtrip("pause-tube nowhere 1\r\n", "NOT_FOUND\r\n");
  ASSERT_TRUE(c.Send("stats\r\n"));
  std::optional<std::string> stats = c.ReadReply();
  ASSERT_TRUE(stats);
  EXPECT_NE(stats->find("\ncurrent-jobs-delayed: 1\n"), std::string::npos) << *stats;
  EXPECT_NE(stats->find("\ntotal-jobs: 2\n"), std::string::npos) << *stats;
  EXPECT_NE(stats->find("\ncmd-delete: 3\n"), std::string::npos) << *stats;
  ASSERT_TRUE(c.Send("stats-tube other\r\n"));
  std::optional<std::string> tube = c.ReadReply();
  ASSERT_TRUE(tube);
  EXPECT_NE(tube->find("\ncurrent-jobs-delayed: 1\n"), std::string::npos) << *tube;
  EXPECT_NE(tube->find("\ncurrent-using: 1\n"), std::string::npos) << *tube;
}

TEST_F(StalkdOnRedis, TwoNodesServeTheSameTubes) {
  std::string error;
  auto a = StartStalkd({"--redis", cluster_->seeds()}, &error);
  ASSERT_TRUE(a) << error;
  auto b = StartStalkd({"--redis", cluster_->seeds(), "--redis-wait-replicas", "0"}, &error);
  ASSERT_TRUE(b) << error;
  WireClient worker(b->port());
  ASSERT_TRUE(worker.Send("reserve\r\n"));
  WireClient producer(a->port());
  const std::string id = IdOf("default", 1);
  producer.Roundtrip(PutCommand("shared"), "INSERTED " + id + "\r\n");
  worker.Expect("RESERVED " + id + " 6\r\nshared\r\n");
  // Only the holder may delete it.
  producer.Roundtrip("delete " + id + "\r\n", "NOT_FOUND\r\n");
  worker.Roundtrip("delete " + id + "\r\n", "DELETED\r\n");
}

TEST(StalkdRedisFlags, AnUnreachableRedisIsAClearErrorAtStart) {
  if (std::string(STALKD_BIN).empty()) GTEST_SKIP() << "no stalkd target in this build";
  std::string error;
  // Port 1 on loopback: nothing listens there.
  auto server = StartStalkd({"--redis", "redis://127.0.0.1:1"}, &error);
  EXPECT_FALSE(server);
  EXPECT_NE(error.find("cannot reach Redis"), std::string::npos) << error;
}

TEST(StalkdRedisFlags, BadRedisFlagsAreUsageErrors) {
  if (std::string(STALKD_BIN).empty()) GTEST_SKIP() << "no stalkd target in this build";
  std::string error;
  EXPECT_FALSE(StartStalkd({"--redis", "redis://127.0.0.1:1", "-b", "/tmp"}, &error));
  EXPECT_NE(error.find("exclude each other"), std::string::npos) << error;
  EXPECT_FALSE(StartStalkd({"--redis", "redis://:::"}, &error));
  EXPECT_NE(error.find("--redis"), std::string::npos) << error;
  EXPECT_FALSE(StartStalkd({"--redis-wait-replicas", "1"}, &error));
  EXPECT_NE(error.find("needs --redis"), std::string::npos) << error;
}

}  // namespace
}  // namespace stalk::test
