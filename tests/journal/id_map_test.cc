#include "journal/id_map.h"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>

namespace stalk::journal::detail {
namespace {

TEST(IdMap, AgreesWithUnorderedMapUnderRandomPutsAndErases) {
  IdMap m;
  std::unordered_map<uint64_t, uint32_t> ref;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000; ++i) {
    uint64_t id = rng() % 5000 + 1;  // dense ids: long probe runs, many collisions
    if (rng() % 3 == 0) {
      EXPECT_EQ(m.Erase(id), ref.erase(id) == 1);
    } else {
      uint32_t seg = static_cast<uint32_t>(rng() % 100);
      m.Put(id, Placement{seg, 1});
      ref[id] = seg;
    }
  }
  ASSERT_EQ(m.size(), ref.size());
  size_t seen = 0;
  m.ForEach([&](uint64_t id, Placement p) {
    ++seen;
    ASSERT_EQ(ref.count(id), 1u);
    EXPECT_EQ(ref[id], p.segment);
  });
  EXPECT_EQ(seen, ref.size());
  for (uint64_t id = 1; id <= 5000; ++id) EXPECT_EQ(m.Contains(id), ref.count(id) == 1);
}

}  // namespace
}  // namespace stalk::journal::detail
