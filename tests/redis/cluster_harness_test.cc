// The test harness itself (tests/support/redis_cluster.h): it must start the shapes the
// Redis suites need, move slots and fail over on request, and leave no process behind.

#include "support/redis_cluster.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>

#include "redis/slot.h"

namespace stalk::test {
namespace {

using Kind = RedisCluster::Reply::Kind;

bool ProcessGone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

TEST(RedisClusterHarness, ThreeByThreeMovesSlotsFailsOverAndCleansUp) {
  std::string error;
  auto cluster = RedisCluster::Start(RedisCluster::ThreeByThree(), &error);
  ASSERT_TRUE(cluster) << error;
  ASSERT_EQ(cluster->ports().size(), 6u);
  EXPECT_EQ(cluster->seeds().rfind("redis://127.0.0.1:", 0), 0u) << cluster->seeds();
  for (uint16_t port : cluster->ports()) {
    EXPECT_LT(port + 10000, 32768) << "bus port inside the ephemeral range";
  }
  std::vector<uint16_t> primaries = cluster->Primaries();
  ASSERT_EQ(primaries.size(), 3u);
  EXPECT_EQ(cluster->Replicas().size(), 3u);
  EXPECT_EQ(cluster->OwnerOfSlot(0), primaries[0]);
  EXPECT_EQ(cluster->OwnerOfSlot(16383), primaries[2]);

  // A key moves with its slot.
  const uint16_t slot = 100;
  const std::string key = "{" + std::string(redis::TagForSlot(slot)) + "}:k";
  ASSERT_EQ(cluster->Call(primaries[0], {"SET", key, "v"}).str, "OK");
  ASSERT_EQ(cluster->MoveSlot(slot, primaries[1]), "");
  EXPECT_EQ(cluster->OwnerOfSlot(slot), primaries[1]);
  EXPECT_EQ(cluster->Call(primaries[1], {"GET", key}).str, "v");
  RedisCluster::Reply moved = cluster->Call(primaries[0], {"GET", key});
  EXPECT_EQ(moved.kind, Kind::kError);
  EXPECT_EQ(moved.str.rfind("MOVED 100 ", 0), 0u) << moved.ToString();

  // A manual failover swaps the roles.
  const uint16_t replica = cluster->ReplicaOf(primaries[2]);
  ASSERT_NE(replica, 0);
  ASSERT_EQ(cluster->Failover(replica), "");
  EXPECT_EQ(cluster->OwnerOfSlot(16383), replica);

  std::vector<pid_t> pids;
  for (uint16_t port : cluster->ports()) pids.push_back(cluster->pid(port));
  cluster->Pause(primaries[0]);  // a paused node must not block the destructor
  cluster.reset();
  for (pid_t pid : pids) EXPECT_TRUE(ProcessGone(pid)) << pid;
}

TEST(RedisClusterHarness, StandaloneIsOnePlainRedis) {
  std::string error;
  auto redis = RedisCluster::Start(RedisCluster::Standalone(), &error);
  ASSERT_TRUE(redis) << error;
  ASSERT_EQ(redis->ports().size(), 1u);
  RedisCluster::Reply r = redis->Call(redis->ports()[0], {"CLUSTER", "SLOTS"});
  EXPECT_EQ(r.kind, Kind::kError);
  EXPECT_NE(r.str.find("cluster support disabled"), std::string::npos) << r.str;
  EXPECT_EQ(redis->Primaries(), redis->ports());
}

TEST(RedisClusterHarness, KilledNodeRestartsOnItsPort) {
  std::string error;
  auto cluster = RedisCluster::Start(RedisCluster::OnePrimary(), &error);
  ASSERT_TRUE(cluster) << error;
  const uint16_t port = cluster->ports()[0];
  cluster->Kill(port);
  EXPECT_FALSE(cluster->IsRunning(port));
  EXPECT_EQ(cluster->Call(port, {"PING"}).kind, Kind::kTransportError);
  ASSERT_EQ(cluster->Restart(port), "");
  ASSERT_EQ(cluster->WaitForStableMap(), "");
  EXPECT_EQ(cluster->OwnerOfSlot(5), port);
}

TEST(RedisClusterHarness, RejectsImpossibleShapes) {
  RedisCluster::Options options = RedisCluster::Standalone();
  options.replicas_per_primary = 1;
  std::string error;
  EXPECT_FALSE(RedisCluster::Start(options, &error));
  EXPECT_NE(error.find("primaries=1"), std::string::npos) << error;
  options = RedisCluster::ThreeByThree();
  options.redis_server = "/nonexistent/redis-server";
  EXPECT_FALSE(RedisCluster::Start(options, &error));
  EXPECT_NE(error.find("not executable"), std::string::npos) << error;
}

}  // namespace
}  // namespace stalk::test
