// ClusterClient through failovers of a real 3-primary/3-replica cluster (each test starts
// its own: they destroy it), and through a stopped node.

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "redis/client_test_util.h"
#include "redis/cluster.h"
#include "support/redis_cluster.h"

namespace stalk::redis {
namespace {

using namespace stalk::redis::test_util;
using test::RedisCluster;

uint16_t SlotOn(RedisCluster& cluster, uint16_t port) {
  for (uint16_t s = 5; s < kSlotCount; s += 101) {
    if (cluster.OwnerOfSlot(s) == port) return s;
  }
  ADD_FAILURE() << "no slot on " << port;
  return 0;
}

// Publishes on `port` until `heard()` (a subscription completes asynchronously).
bool PublishUntilHeard(IoLoop& loop, RedisCluster& cluster, uint16_t port,
                       const std::string& channel, const std::string& message,
                       const std::function<bool()>& heard) {
  return loop.RunUntil([&] {
    cluster.Call(port, {"SPUBLISH", channel, message});
    loop.RunFor(std::chrono::milliseconds(30));
    return heard();
  });
}

// kill -9 of a primary: commands issued during the failover complete after the replica's
// promotion, within the retry budget, and the sharded subscription moves to the new primary
// (with an on_gap call).
TEST(ClusterFailover, KilledPrimaryCommandsCompleteAfterPromotion) {
  std::string error;
  auto cluster = RedisCluster::Start(RedisCluster::ThreeByThree(), &error);
  ASSERT_TRUE(cluster) << error;
  IoLoop loop;
  ClusterClient client(loop.io(), OptionsFor(cluster->seeds()));
  ASSERT_TRUE(StartClient(loop, client));
  int gaps = 0;
  client.OnGap([&] { ++gaps; });

  const uint16_t victim = cluster->Primaries()[0];
  const uint16_t heir = cluster->ReplicaOf(victim);
  ASSERT_NE(heir, 0);
  const uint16_t slot = SlotOn(*cluster, victim);
  const std::string channel = KeyIn(slot, "wake");
  std::vector<std::string> heard;
  client.Subscribe(channel, [&](std::string_view m) { heard.emplace_back(m); });
  ASSERT_TRUE(PublishUntilHeard(loop, *cluster, victim, channel, "before",
                                [&] { return !heard.empty(); }));
  CallOptions synced;
  synced.wait_replicas = 1;
  synced.wait_timeout = std::chrono::seconds(5);
  ASSERT_EQ(Text(RunCommand(loop, client, slot, {"SET", KeyIn(slot, "old"), "kept"}, synced)), "+OK");

  cluster->Kill(victim);
  const int kCommands = 20;
  int ok = 0;
  std::vector<std::string> failures;
  for (int i = 0; i < kCommands; ++i) {
    client.Command(slot, {"INCR", KeyIn(slot, "during")}, [&](Reply r) {
      if (r.ok() && r->type == Value::Type::kInteger) {
        ++ok;
      } else {
        failures.push_back(Text(r));
      }
    });
  }
  ASSERT_TRUE(loop.RunUntil([&] { return ok + static_cast<int>(failures.size()) == kCommands; }));
  EXPECT_EQ(ok, kCommands) << (failures.empty() ? "" : failures.front());
  EXPECT_EQ(client.OwnerOf(slot)->port, heir);
  EXPECT_EQ(Text(RunCommand(loop, client, slot, {"GET", KeyIn(slot, "old")})), "\"kept\"");
  EXPECT_EQ(Text(RunCommand(loop, client, slot, {"GET", KeyIn(slot, "during")})),
            "\"" + std::to_string(kCommands) + "\"");

  // The subscription followed the slot to the promoted replica.
  ASSERT_TRUE(loop.RunUntil([&] { return gaps > 0; })) << "on_gap never called";
  ASSERT_TRUE(PublishUntilHeard(loop, *cluster, heir, channel, "after",
                                [&] { return heard.back() == "after"; }));
}

// A manual failover demotes the old primary while it keeps running: it answers MOVED and
// drops the sharded subscription (sunsubscribe), which the client re-creates on the new
// primary.
TEST(ClusterFailover, ManualFailoverMovesCommandsAndSubscriptions) {
  std::string error;
  auto cluster = RedisCluster::Start(RedisCluster::ThreeByThree(), &error);
  ASSERT_TRUE(cluster) << error;
  IoLoop loop;
  ClusterClient client(loop.io(), OptionsFor(cluster->seeds()));
  ASSERT_TRUE(StartClient(loop, client));
  int gaps = 0;
  client.OnGap([&] { ++gaps; });

  const uint16_t old_primary = cluster->Primaries()[1];
  const uint16_t heir = cluster->ReplicaOf(old_primary);
  const uint16_t slot = SlotOn(*cluster, old_primary);
  const std::string channel = KeyIn(slot, "wake");
  std::vector<std::string> heard;
  client.Subscribe(channel, [&](std::string_view m) { heard.emplace_back(m); });
  ASSERT_TRUE(PublishUntilHeard(loop, *cluster, old_primary, channel, "before",
                                [&] { return !heard.empty(); }));
  ASSERT_EQ(Text(RunCommand(loop, client, slot, {"SET", KeyIn(slot, "k"), "v"})), "+OK");

  ASSERT_EQ(cluster->Failover(heir), "");
  EXPECT_EQ(Text(RunCommand(loop, client, slot, {"GET", KeyIn(slot, "k")})), "\"v\"");
  EXPECT_EQ(client.OwnerOf(slot)->port, heir);
  ASSERT_TRUE(loop.RunUntil([&] { return gaps > 0; })) << "on_gap never called";
  ASSERT_TRUE(PublishUntilHeard(loop, *cluster, heir, channel, "after",
                                [&] { return heard.back() == "after"; }));
}

// A SIGSTOPped node accepts connections but never answers: the command fails once the
// retry budget is spent instead of hanging, and the client recovers after SIGCONT.
TEST(ClusterFailover, StoppedNodeGivesAFailedStatusNotAHang) {
  std::string error;
  auto redis = RedisCluster::Start(RedisCluster::Standalone(), &error);
  ASSERT_TRUE(redis) << error;
  IoLoop loop;
  ClusterOptions options = OptionsFor(redis->seeds());
  options.command_timeout = std::chrono::milliseconds(300);
  options.retry_budget = std::chrono::seconds(1);
  ClusterClient client(loop.io(), options);
  ASSERT_TRUE(StartClient(loop, client));
  ASSERT_EQ(Text(RunCommand(loop, client, 1, {"PING"})), "+PONG");

  const uint16_t port = redis->ports()[0];
  redis->Pause(port);
  Reply stuck = RunCommand(loop, client, 1, {"SET", "x", "1"});
  ASSERT_FALSE(stuck.ok());
  EXPECT_EQ(stuck.status().code(), StatusCode::kIOError);
  EXPECT_NE(stuck.status().message().find("timed out"), std::string::npos)
      << stuck.status().ToString();
  redis->Resume(port);
  EXPECT_EQ(Text(RunCommand(loop, client, 1, {"GET", "x"})).substr(0, 1), "\"")
      << "the client works again after SIGCONT";
}

}  // namespace
}  // namespace stalk::redis
