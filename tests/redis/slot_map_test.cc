// CLUSTER SLOTS parsing (SlotMap) and the RESP codec on hiredis (resp.h).

#include "redis/slot_map.h"

#include <gtest/gtest.h>

#include "redis/resp.h"

namespace stalk::redis {
namespace {

Value Node(std::string host, int64_t port, std::string id = "id") {
  return Value::Array({Value::String(std::move(host)), Value::Integer(port), Value::String(id)});
}

Value Range(int64_t first, int64_t last, Value primary, std::vector<Value> replicas = {}) {
  std::vector<Value> e = {Value::Integer(first), Value::Integer(last), std::move(primary)};
  for (Value& r : replicas) e.push_back(std::move(r));
  return Value::Array(std::move(e));
}

const Endpoint kAsked{"10.0.0.9", 7009};

TEST(SlotMap, ParsesClusterSlotsWithReplicas) {
  Value reply = Value::Array({
      Range(0, 5460, Node("127.0.0.1", 7000), {Node("127.0.0.1", 7003)}),
      Range(5461, 10922, Node("127.0.0.1", 7001), {Node("127.0.0.1", 7004)}),
      Range(10923, 16383, Node("127.0.0.1", 7002)),
  });
  Result<SlotMap> map = SlotMap::FromClusterSlots(reply, kAsked);
  ASSERT_TRUE(map.ok()) << map.status().ToString();
  EXPECT_EQ(map->covered_slots(), 16384u);
  EXPECT_EQ(*map->OwnerOf(0), (Endpoint{"127.0.0.1", 7000}));
  EXPECT_EQ(*map->OwnerOf(5461), (Endpoint{"127.0.0.1", 7001}));
  EXPECT_EQ(*map->OwnerOf(16383), (Endpoint{"127.0.0.1", 7002}));
  EXPECT_EQ(map->primaries(), (std::vector<Endpoint>{
                                  {"127.0.0.1", 7000}, {"127.0.0.1", 7001}, {"127.0.0.1", 7002}}));
}

TEST(SlotMap, OneNodeWithSeveralRangesIsOnePrimary) {
  Value reply = Value::Array({Range(0, 10, Node("a", 1)), Range(20, 30, Node("b", 2)),
                              Range(11, 19, Node("a", 1))});
  Result<SlotMap> map = SlotMap::FromClusterSlots(reply, kAsked);
  ASSERT_TRUE(map.ok());
  EXPECT_EQ(map->covered_slots(), 31u);
  EXPECT_EQ(map->primaries(), (std::vector<Endpoint>{{"a", 1}, {"b", 2}}));
  EXPECT_EQ(map->OwnerOf(31), nullptr);
}

// Right after cluster creation a shard may have no slots yet: CLUSTER SLOTS then simply
// lacks it (and CLUSTER SHARDS shows it with an empty slots array). The map must be usable
// with what is covered, and say what is not.
TEST(SlotMap, SlotlessShardAndEmptyReplyLeaveSlotsUncovered) {
  Result<SlotMap> empty = SlotMap::FromClusterSlots(Value::Array({}), kAsked);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->covered_slots(), 0u);
  EXPECT_TRUE(empty->primaries().empty());
  EXPECT_EQ(empty->OwnerOf(100), nullptr);

  Result<SlotMap> partial =
      SlotMap::FromClusterSlots(Value::Array({Range(0, 8191, Node("a", 1))}), kAsked);
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(partial->covered_slots(), 8192u);
  EXPECT_EQ(partial->OwnerOf(8192), nullptr);
}

TEST(SlotMap, EmptyHostMeansTheAskedNodeAndUnknownEndpointIsSkipped) {
  Value reply = Value::Array({Range(0, 99, Node("", 7100)), Range(100, 199, Node("?", 7200))});
  Result<SlotMap> map = SlotMap::FromClusterSlots(reply, kAsked);
  ASSERT_TRUE(map.ok());
  EXPECT_EQ(*map->OwnerOf(5), (Endpoint{"10.0.0.9", 7100}));
  EXPECT_EQ(map->OwnerOf(150), nullptr);
}

TEST(SlotMap, AcceptsSlotNumbersAsStrings) {
  Value range = Value::Array({Value::String("0"), Value::String("16383"), Node("h", 9)});
  Result<SlotMap> map = SlotMap::FromClusterSlots(Value::Array({range}), kAsked);
  ASSERT_TRUE(map.ok()) << map.status().ToString();
  EXPECT_EQ(map->covered_slots(), 16384u);
}

TEST(SlotMap, RejectsMalformedReplies) {
  const std::vector<Value> bad = {
      Value::Error("ERR This instance has cluster support disabled"),
      Value::Array({Value::Integer(3)}),
      Value::Array({Value::Array({Value::Integer(0), Value::Integer(5)})}),
      Value::Array({Range(5, 4, Node("h", 1))}),
      Value::Array({Range(0, 16384, Node("h", 1))}),
      Value::Array({Range(-1, 4, Node("h", 1))}),
      Value::Array({Range(0, 4, Value::Array({Value::String("h")}))}),
      Value::Array({Range(0, 4, Node("h", 70000))}),
      Value::Array({Range(0, 4, Value::String("h:1"))}),
      Value::Array({Value::Array({Value::String("x"), Value::Integer(4), Node("h", 1)})}),
  };
  for (const Value& v : bad) {
    Result<SlotMap> map = SlotMap::FromClusterSlots(v, kAsked);
    EXPECT_FALSE(map.ok()) << v.ToString();
    if (!map.ok()) {
      EXPECT_EQ(map.status().code(), StatusCode::kCorruption);
    }
  }
}

TEST(SlotMap, MovedUpdatesOneSlot) {
  SlotMap map = SlotMap::SingleNode({"a", 1});
  EXPECT_EQ(map.covered_slots(), 16384u);
  map.SetOwner(42, {"b", 2});
  EXPECT_EQ(*map.OwnerOf(42), (Endpoint{"b", 2}));
  EXPECT_EQ(*map.OwnerOf(43), (Endpoint{"a", 1}));
  EXPECT_EQ(map.primaries(), (std::vector<Endpoint>{{"a", 1}, {"b", 2}}));
}

TEST(Resp, EncodesBinarySafeBulkStrings) {
  static constexpr char kWire[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\na\r\n\0b\r\n";
  EXPECT_EQ(EncodeCommand({"SET", "k", std::string("a\r\n\0b", 5)}),
            std::string(kWire, sizeof kWire - 1));
}

TEST(Resp, DecodesEveryTypeAcrossSplitInput) {
  const std::string wire =
      "+OK\r\n-MOVED 1 h:2\r\n:42\r\n$3\r\nabc\r\n$-1\r\n*2\r\n:1\r\n*1\r\n$0\r\n\r\n*-1\r\n";
  RespReader reader;
  std::vector<Value> got;
  for (char c : wire) {  // one byte at a time: every split point
    reader.Feed(std::string_view(&c, 1));
    for (;;) {
      auto next = reader.Next();
      ASSERT_TRUE(next.ok()) << next.status().ToString();
      if (!next->has_value()) break;
      got.push_back(std::move(**next));
    }
  }
  ASSERT_EQ(got.size(), 7u);
  EXPECT_EQ(got[0], Value::Status("OK"));
  EXPECT_EQ(got[1], Value::Error("MOVED 1 h:2"));
  EXPECT_EQ(got[1].error_code(), "MOVED");
  EXPECT_EQ(got[2], Value::Integer(42));
  EXPECT_EQ(got[3], Value::String("abc"));
  EXPECT_TRUE(got[4].is_nil());
  EXPECT_EQ(got[5], Value::Array({Value::Integer(1), Value::Array({Value::String("")})}));
  EXPECT_TRUE(got[6].is_nil());
}

TEST(Resp, ReportsProtocolErrors) {
  RespReader reader;
  reader.Feed("?what\r\n");
  auto next = reader.Next();
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace stalk::redis
