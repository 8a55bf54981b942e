#include "redis/slot.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace stalk::redis {
namespace {

// Values checked against CLUSTER KEYSLOT on redis-server 7.0.15
// (reference/distributed.md §2.3), plus the CRC16 check value of "123456789".
TEST(KeySlot, MatchesRedisForKnownKeys) {
  EXPECT_EQ(KeySlot("foo"), 12182);
  EXPECT_EQ(KeySlot("123456789"), 12739);
  EXPECT_EQ(Crc16("123456789"), 0x31C3);
}

TEST(KeySlot, HashesOnlyTheFirstNonEmptyTag) {
  EXPECT_EQ(KeySlot("{tube:x}:ready"), KeySlot("tube:x"));
  EXPECT_EQ(KeySlot("x{y}{z}"), KeySlot("y"));
  EXPECT_EQ(KeySlot("{user1000}.following"), KeySlot("{user1000}.followers"));
}

TEST(KeySlot, EmptyOrUnclosedBracesHashTheWholeKey) {
  EXPECT_EQ(KeySlot("a{}b"), Crc16("a{}b") & 16383);
  EXPECT_EQ(KeySlot("{}x"), Crc16("{}x") & 16383);
  EXPECT_EQ(KeySlot("{}{x}"), Crc16("{}{x}") & 16383);  // the first '{' decides
  EXPECT_EQ(KeySlot("ab{c"), Crc16("ab{c") & 16383);
  EXPECT_EQ(KeySlot("ab}c{"), Crc16("ab}c{") & 16383);
  EXPECT_EQ(KeySlot(""), 0);
}

TEST(TagForSlot, CoversEverySlotWithShortAlnumTags) {
  std::set<std::string> seen;
  for (int slot = 0; slot < kSlotCount; ++slot) {
    std::string_view tag = TagForSlot(static_cast<uint16_t>(slot));
    ASSERT_GE(tag.size(), 1u) << slot;
    ASSERT_LE(tag.size(), 4u) << slot;
    for (char c : tag) ASSERT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')) << tag;
    ASSERT_EQ(KeySlot(tag), slot) << tag;
    ASSERT_EQ(KeySlot("{" + std::string(tag) + "}:anything"), slot) << tag;
    seen.insert(std::string(tag));
  }
  EXPECT_EQ(seen.size(), size_t{kSlotCount});
}

TEST(TagForSlot, PrefersTheShortestTag) {
  // Single characters land in 36 distinct slots; each must get its one-character tag.
  for (char c : std::string("0123456789abcdefghijklmnopqrstuvwxyz")) {
    const std::string one(1, c);
    EXPECT_EQ(TagForSlot(KeySlot(one)), one);
  }
}

}  // namespace
}  // namespace stalk::redis
