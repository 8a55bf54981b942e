// ClusterClient against a real 3-primary/3-replica cluster shared by the tests of this file
// (none of them destroys it: slot moves and connection cuts leave it usable), plus a plain
// non-cluster redis-server. Failover tests live in cluster_failover_test.cc.

#include "redis/cluster.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "redis/client_test_util.h"
#include "support/redis_cluster.h"

namespace stalk::redis {
namespace {

using namespace stalk::redis::test_util;
using test::RedisCluster;

class ClusterClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string error;
    cluster_ = RedisCluster::Start(RedisCluster::ThreeByThree(), &error).release();
    if (cluster_ == nullptr) start_error_ = new std::string(error);
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(cluster_, nullptr) << *start_error_;
    client_ = std::make_unique<ClusterClient>(loop_.io(), OptionsFor(cluster_->seeds()));
    ASSERT_TRUE(StartClient(loop_, *client_));
  }

  // A slot owned by the primary on `port`, away from the slots other tests move.
  uint16_t SlotOn(uint16_t port, uint16_t offset = 7) {
    for (uint16_t s = offset; s < kSlotCount; s += 97) {
      if (cluster_->OwnerOfSlot(s) == port) return s;
    }
    ADD_FAILURE() << "no slot on " << port;
    return 0;
  }

  static RedisCluster* cluster_;
  static std::string* start_error_;
  IoLoop loop_;
  std::unique_ptr<ClusterClient> client_;
};

RedisCluster* ClusterClientTest::cluster_ = nullptr;
std::string* ClusterClientTest::start_error_ = nullptr;

TEST_F(ClusterClientTest, ReachesKeysOnEveryPrimary) {
  EXPECT_TRUE(client_->cluster_mode());
  const std::vector<uint16_t> primaries = cluster_->Primaries();
  ASSERT_EQ(primaries.size(), 3u);
  EXPECT_EQ(client_->primaries().size(), 3u);
  for (uint16_t port : primaries) {
    const uint16_t slot = SlotOn(port);
    const std::string key = KeyIn(slot, "every");
    ASSERT_EQ(Text(RunCommand(loop_, *client_, slot, {"SET", key, std::to_string(port)})), "+OK");
    // The value really is on that node.
    EXPECT_EQ(cluster_->Call(port, {"GET", key}).str, std::to_string(port));
    EXPECT_EQ(Text(RunCommand(loop_, *client_, slot, {"GET", key})),
              "\"" + std::to_string(port) + "\"");
  }
  // An empty command is refused by the client (Redis would never answer it).
  Reply empty = RunCommand(loop_, *client_, 0, {});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
  // A Redis error reply other than a redirect arrives as a Value.
  Reply wrong = RunCommand(loop_, *client_, 0, {"NOSUCHCOMMAND"});
  ASSERT_TRUE(wrong.ok());
  EXPECT_TRUE(wrong->is_error());
  EXPECT_EQ(wrong->error_code(), "ERR");
}

TEST_F(ClusterClientTest, PipelinesTenThousandCommandsInOrder) {
  const uint16_t slot = KeySlot("pipeline-counter");
  const int kCount = 10000;
  std::vector<int64_t> seen;
  seen.reserve(kCount);
  int spread_ok = 0;
  // All issued in one loop turn: one write per node, replies in send order.
  for (int i = 0; i < kCount; ++i) {
    client_->Command(slot, {"INCR", "pipeline-counter"}, [&](Reply r) {
      seen.push_back(r.ok() && r->type == Value::Type::kInteger ? r->integer : -1);
    });
    const std::string key = "spread:" + std::to_string(i);
    client_->Command(KeySlot(key), {"SET", key, "x"}, [&](Reply r) {
      spread_ok += r.ok() && r->type == Value::Type::kStatus;
    });
  }
  ASSERT_TRUE(loop_.RunUntil([&] { return seen.size() == kCount && spread_ok == kCount; }))
      << seen.size() << " counter replies, " << spread_ok << " spread replies";
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(seen[i], i + 1) << "reply " << i;
  // The spread keys landed on all three primaries.
  std::vector<Reply> sizes;
  client_->CommandAll({"DBSIZE"}, [&](std::vector<Reply> r) { sizes = std::move(r); });
  ASSERT_TRUE(loop_.RunUntil([&] { return !sizes.empty(); }));
  ASSERT_EQ(sizes.size(), 3u);
  int64_t total = 0;
  for (const Reply& r : sizes) {
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_GT(r->integer, 1000);
    total += r->integer;
  }
  EXPECT_GE(total, kCount);
}

TEST_F(ClusterClientTest, FollowsMovedAfterASlotMigrationAndUpdatesTheMap) {
  const std::vector<uint16_t> primaries = cluster_->Primaries();
  const uint16_t slot = SlotOn(primaries[0], 11);
  const std::string key = KeyIn(slot, "moved");
  ASSERT_EQ(Text(RunCommand(loop_, *client_, slot, {"SET", key, "before"})), "+OK");
  ASSERT_EQ(client_->OwnerOf(slot)->port, primaries[0]);

  ASSERT_EQ(cluster_->MoveSlot(slot, primaries[1]), "");
  // The client's map is stale: the old owner answers MOVED, the client follows it.
  EXPECT_EQ(Text(RunCommand(loop_, *client_, slot, {"GET", key})), "\"before\"");
  EXPECT_EQ(client_->OwnerOf(slot)->port, primaries[1]);
  EXPECT_EQ(Text(RunCommand(loop_, *client_, slot, {"SET", key, "after"})), "+OK");
  EXPECT_EQ(cluster_->Call(primaries[1], {"GET", key}).str, "after");
  ASSERT_EQ(cluster_->MoveSlot(slot, primaries[0]), "");  // put it back
  EXPECT_EQ(Text(RunCommand(loop_, *client_, slot, {"GET", key})), "\"after\"");
}

TEST_F(ClusterClientTest, FollowsAskDuringAMigration) {
  const std::vector<uint16_t> primaries = cluster_->Primaries();
  const uint16_t slot = SlotOn(primaries[1], 13);
  const std::string old_key = KeyIn(slot, "old");
  const std::string new_key = KeyIn(slot, "new");
  ASSERT_EQ(Text(RunCommand(loop_, *client_, slot, {"SET", old_key, "o"})), "+OK");

  ASSERT_EQ(cluster_->BeginSlotMigration(slot, primaries[2]), "");
  // A key still on the source is served there; a key the source does not have is ASKed to
  // the target, where it is created.
  EXPECT_EQ(Text(RunCommand(loop_, *client_, slot, {"GET", old_key})), "\"o\"");
  EXPECT_EQ(Text(RunCommand(loop_, *client_, slot, {"SET", new_key, "n"})), "+OK");
  EXPECT_EQ(cluster_->Call(primaries[2], {"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)})
                .integer,
            1);
  EXPECT_EQ(client_->OwnerOf(slot)->port, primaries[1]) << "ASK must not change the map";
  // Half-way: the old key moved too; both are now reached through ASK.
  int moved = 0;
  ASSERT_EQ(cluster_->MigrateSlotKeys(slot, &moved), "");
  EXPECT_EQ(moved, 1);
  EXPECT_EQ(Text(RunCommand(loop_, *client_, slot, {"GET", old_key})), "\"o\"");
  EXPECT_EQ(Text(RunCommand(loop_, *client_, slot, {"GET", new_key})), "\"n\"");
  ASSERT_EQ(cluster_->FinishSlotMigration(slot), "");
  EXPECT_EQ(Text(RunCommand(loop_, *client_, slot, {"GET", new_key})), "\"n\"");
  EXPECT_EQ(client_->OwnerOf(slot)->port, primaries[2]);
  ASSERT_EQ(cluster_->MoveSlot(slot, primaries[1]), "");  // put it back
}

TEST_F(ClusterClientTest, EvalUsesEvalshaAndSurvivesScriptFlush) {
  const ScriptId incr = client_->AddScript("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  const uint16_t slot = SlotOn(cluster_->Primaries()[2], 17);
  const std::string key = KeyIn(slot, "script");
  auto eval = [&](const char* by) {
    std::optional<Reply> reply;
    client_->Eval(slot, incr, {key}, {by}, [&](Reply r) { reply = std::move(r); });
    EXPECT_TRUE(loop_.RunUntil([&] { return reply.has_value(); }));
    return reply ? Text(*reply) : "no reply";
  };
  EXPECT_EQ(eval("1"), "1");    // EVAL with the source; the SHA is learned meanwhile
  loop_.RunFor(std::chrono::milliseconds(50));
  EXPECT_EQ(eval("2"), "3");    // EVALSHA
  const uint16_t owner = cluster_->OwnerOfSlot(slot);
  EXPECT_NE(cluster_->Call(owner, {"INFO", "commandstats"}).str.find("cmdstat_evalsha:calls="),
            std::string::npos);
  ASSERT_TRUE(cluster_->Call(owner, {"SCRIPT", "FLUSH"}).ok());
  EXPECT_EQ(eval("4"), "7");    // NOSCRIPT -> EVAL again
  EXPECT_EQ(eval("1"), "8");

  // Script errors are Values; an unknown script id is a clear error.
  const ScriptId broken = client_->AddScript("return redis.call('NOPE')");
  std::optional<Reply> reply;
  client_->Eval(slot, broken, {key}, {}, [&](Reply r) { reply = std::move(r); });
  ASSERT_TRUE(loop_.RunUntil([&] { return reply.has_value(); }));
  ASSERT_TRUE(reply->ok());
  EXPECT_TRUE((*reply)->is_error()) << Text(*reply);
  reply.reset();
  client_->Eval(slot, 999, {key}, {}, [&](Reply r) { reply = std::move(r); });
  ASSERT_TRUE(loop_.RunUntil([&] { return reply.has_value(); }));
  ASSERT_FALSE(reply->ok());
  EXPECT_EQ(reply->status().code(), StatusCode::kInvalidArgument);
}

// A node that has not answered a script yet gets EVAL with the source, never an EVALSHA that
// could come back NOSCRIPT: a resend after NOSCRIPT would run after the commands pipelined
// behind it, reordering one session's effects whenever another client loaded the script on
// that node in between.
TEST_F(ClusterClientTest, ANodeNewToAScriptGetsItsSourceSoPipelinedCallsKeepTheirOrder) {
  const ScriptId incr = client_->AddScript("return redis.call('INCR', KEYS[1])");
  const uint16_t first = SlotOn(cluster_->Primaries()[0], 23);
  const uint16_t second = SlotOn(cluster_->Primaries()[1], 23);
  const uint16_t second_port = cluster_->OwnerOfSlot(second);
  for (uint16_t p : cluster_->Primaries()) {
    ASSERT_TRUE(cluster_->Call(p, {"SCRIPT", "FLUSH"}).ok());
    ASSERT_TRUE(cluster_->Call(p, {"CONFIG", "RESETSTAT"}).ok());
  }
  // The client learns the script's SHA1 on the first primary...
  std::optional<Reply> learned;
  client_->Eval(first, incr, {KeyIn(first, "order")}, {}, [&](Reply r) { learned = std::move(r); });
  ASSERT_TRUE(loop_.RunUntil([&] { return learned.has_value(); }));
  loop_.RunFor(std::chrono::milliseconds(50));  // and the SCRIPT LOAD reply with the SHA1
  // ...then pipelines calls to the second, which has never seen it.
  const std::string key = KeyIn(second, "order");
  std::vector<std::string> got;
  constexpr int kCalls = 100;
  for (int i = 0; i < kCalls; ++i) {
    client_->Eval(second, incr, {key}, {}, [&](Reply r) { got.push_back(Text(r)); });
  }
  ASSERT_TRUE(loop_.RunUntil([&] { return got.size() == kCalls; }));
  for (int i = 0; i < kCalls; ++i) EXPECT_EQ(got[i], std::to_string(i + 1)) << i;
  const std::string errors = cluster_->Call(second_port, {"INFO", "errorstats"}).str;
  EXPECT_EQ(errors.find("NOSCRIPT"), std::string::npos) << errors;
}

TEST_F(ClusterClientTest, WaitReportsReplicaAcks) {
  const uint16_t slot = SlotOn(cluster_->Primaries()[0], 19);
  CallOptions opts;
  opts.wait_replicas = 1;
  opts.wait_timeout = std::chrono::seconds(5);
  std::optional<Reply> reply;
  int acks = -2;
  client_->Command(slot, {"SET", KeyIn(slot, "waited"), "v"},
                   [&](Reply r) {
                     reply = std::move(r);
                     acks = client_->last_wait_acks();
                   },
                   opts);
  ASSERT_TRUE(loop_.RunUntil([&] { return reply.has_value(); }));
  EXPECT_EQ(Text(*reply), "+OK");
  EXPECT_EQ(acks, 1);
  EXPECT_EQ(client_->last_wait_acks(), -1);
}

TEST_F(ClusterClientTest, DeliversShardedMessagesFromEveryPrimary) {
  std::map<std::string, std::vector<std::string>> got;
  std::vector<std::pair<std::string, uint16_t>> channels;
  for (uint16_t port : cluster_->Primaries()) {
    const std::string channel = KeyIn(SlotOn(port, 23), "wake");
    channels.emplace_back(channel, port);
    client_->Subscribe(channel, [&got, channel](std::string_view m) {
      got[channel].push_back(std::string(m));
    });
  }
  // Subscriptions complete asynchronously: publish until each channel hears one.
  for (auto& [channel, port] : channels) {
    ASSERT_TRUE(loop_.RunUntil(
        [&, ch = channel, p = port] {
          if (!got[ch].empty()) return true;
          cluster_->Call(p, {"SPUBLISH", ch, "hello"});
          loop_.RunFor(std::chrono::milliseconds(20));
          return !got[ch].empty();
        },
        std::chrono::seconds(30)))
        << channel;
    EXPECT_EQ(got[channel].front(), "hello");
  }
  // Two subscriptions to one channel both hear it; an unsubscribed one does not.
  const auto [channel, port] = channels[0];
  int second = 0;
  const auto id = client_->Subscribe(channel, [&](std::string_view) { ++second; });
  ASSERT_TRUE(loop_.RunUntil([&, ch = channel, p = port] {
    cluster_->Call(p, {"SPUBLISH", ch, "again"});
    loop_.RunFor(std::chrono::milliseconds(20));
    return second > 0;
  }));
  client_->Unsubscribe(id);
  const int before = second;
  const size_t first_before = got[channel].size();
  cluster_->Call(port, {"SPUBLISH", channel, "last"});
  ASSERT_TRUE(loop_.RunUntil([&, ch = channel] { return got[ch].size() > first_before; }));
  EXPECT_EQ(got[channel].back(), "last");
  EXPECT_EQ(second, before);
}

// A blocked BLPOP is cut by CLIENT KILL: with idempotent=false the caller hears "outcome
// unknown"; with idempotent=true the client reconnects and sends it again.
TEST_F(ClusterClientTest, ConnectionCutGivesOutcomeUnknownOnlyForNonIdempotentCommands) {
  const uint16_t slot = SlotOn(cluster_->Primaries()[1], 29);
  const uint16_t port = cluster_->OwnerOfSlot(slot);
  const std::string list = KeyIn(slot, "list");
  // Blocking commands need a command timeout longer than their block.
  ClusterOptions options = OptionsFor(cluster_->seeds());
  options.command_timeout = std::chrono::seconds(60);
  ClusterClient client(loop_.io(), options);
  ASSERT_TRUE(StartClient(loop_, client));
  std::optional<Reply> unsafe, safe;
  CallOptions once;
  once.idempotent = false;
  client.Command(slot, {"BLPOP", list, "20"}, [&](Reply r) { unsafe = std::move(r); }, once);
  client.Command(slot, {"BLPOP", list + "2", "20"}, [&](Reply r) { safe = std::move(r); });
  // Wait until both are blocked on the node, then cut every client connection.
  ASSERT_TRUE(loop_.RunUntil([&] {
    loop_.RunFor(std::chrono::milliseconds(20));
    auto info = cluster_->Call(port, {"INFO", "clients"}).str;
    return info.find("blocked_clients:1") != std::string::npos;
  }));
  // Both share one connection: only one of them can block at a time; the second waits
  // behind it. Cut now.
  ASSERT_TRUE(cluster_->Call(port, {"CLIENT", "KILL", "TYPE", "normal"}).ok());
  ASSERT_TRUE(loop_.RunUntil([&] { return unsafe.has_value(); }));
  ASSERT_FALSE(unsafe->ok());
  EXPECT_NE(unsafe->status().message().find("outcome unknown"), std::string::npos)
      << unsafe->status().ToString();
  EXPECT_FALSE(safe.has_value());
  // The idempotent one was resent on a new connection and completes normally.
  ASSERT_TRUE(loop_.RunUntil([&] {
    if (!safe) cluster_->Call(port, {"RPUSH", list + "2", "item"});
    loop_.RunFor(std::chrono::milliseconds(20));
    return safe.has_value();
  }));
  EXPECT_EQ(Text(*safe), "[\"" + list + "2\", \"item\"]");
}

TEST_F(ClusterClientTest, StopFailsPendingAndLaterCalls) {
  const uint16_t slot = SlotOn(cluster_->Primaries()[0], 31);
  std::optional<Reply> pending, later;
  client_->Command(slot, {"BLPOP", KeyIn(slot, "never"), "20"},
                   [&](Reply r) { pending = std::move(r); });
  loop_.RunFor(std::chrono::milliseconds(50));
  client_->Stop();
  ASSERT_TRUE(pending.has_value());
  EXPECT_EQ(pending->status().message(), "client stopped");
  client_->Command(slot, {"PING"}, [&](Reply r) { later = std::move(r); });
  EXPECT_FALSE(later.has_value()) << "callbacks never run inside the call";
  ASSERT_TRUE(loop_.RunUntil([&] { return later.has_value(); }));
  EXPECT_EQ(later->status().message(), "client stopped");
}

// ---- start-up errors (no cluster needed) ----

TEST(ClusterClientStart, FailsClearlyWithoutSeedsOrWithDeadSeeds) {
  IoLoop loop;
  {
    ClusterClient client(loop.io(), ClusterOptions{});
    auto started = StartClient(loop, client);
    ASSERT_FALSE(started);
    EXPECT_NE(std::string(started.message()).find("no Redis seed"), std::string::npos);
  }
  ClusterOptions options = OptionsFor("redis://127.0.0.1:1,127.0.0.1:2");
  ClusterClient client(loop.io(), options);
  // Commands issued before Start completes fail with Start's error.
  std::optional<Reply> early;
  client.Command(0, {"PING"}, [&](Reply r) { early = std::move(r); });
  auto started = StartClient(loop, client);
  ASSERT_FALSE(started);
  EXPECT_NE(std::string(started.message()).find("127.0.0.1:1"), std::string::npos)
      << started.message();
  EXPECT_NE(std::string(started.message()).find("127.0.0.1:2"), std::string::npos);
  ASSERT_TRUE(loop.RunUntil([&] { return early.has_value(); }));
  EXPECT_FALSE(early->ok());
}

// ---- a plain redis-server (cluster support disabled) ----

TEST(ClusterClientSingleNode, EverySlotGoesToTheOneNode) {
  std::string error;
  auto redis = RedisCluster::Start(RedisCluster::Standalone(), &error);
  ASSERT_TRUE(redis) << error;
  IoLoop loop;
  ClusterClient client(loop.io(), OptionsFor(redis->seeds()));
  ASSERT_TRUE(StartClient(loop, client));
  EXPECT_FALSE(client.cluster_mode());
  for (uint16_t slot : {0, 5000, 16383}) {
    const std::string key = KeyIn(slot, "single");
    EXPECT_EQ(Text(RunCommand(loop, client, slot, {"SET", key, "v"})), "+OK");
    EXPECT_EQ(redis->Call(redis->ports()[0], {"GET", key}).str, "v");
  }
  const ScriptId echo = client.AddScript("return ARGV[1]");
  std::optional<Reply> reply;
  client.Eval(3, echo, {}, {"hi"}, [&](Reply r) { reply = std::move(r); });
  ASSERT_TRUE(loop.RunUntil([&] { return reply.has_value(); }));
  EXPECT_EQ(Text(*reply), "\"hi\"");

  std::vector<std::string> got;
  client.Subscribe("news", [&](std::string_view m) { got.emplace_back(m); });
  ASSERT_TRUE(loop.RunUntil([&] {
    redis->Call(redis->ports()[0], {"SPUBLISH", "news", "m"});
    loop.RunFor(std::chrono::milliseconds(20));
    return !got.empty();
  }));
  EXPECT_EQ(got.front(), "m");
}

}  // namespace
}  // namespace stalk::redis
