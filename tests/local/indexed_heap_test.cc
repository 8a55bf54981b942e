#include "local/indexed_heap.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <vector>

namespace stalk::local {
namespace {

struct Item {
  int key = 0;
  int id = 0;
  uint32_t pos = 0;
};

struct ItemOrder {
  static bool Less(const Item& a, const Item& b) {
    return a.key != b.key ? a.key < b.key : a.id < b.id;
  }
  static uint32_t Pos(const Item& x) { return x.pos; }
  static void SetPos(Item& x, uint32_t pos) { x.pos = pos; }
};

using Heap = IndexedHeap<Item, ItemOrder>;

std::vector<std::unique_ptr<Item>> MakeItems(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::unique_ptr<Item>> items;
  for (int i = 0; i < n; ++i) {
    items.push_back(std::make_unique<Item>(Item{static_cast<int>(rng() % 50), i, 0}));
  }
  return items;
}

void ExpectPositionsRecorded(const Heap& h) {
  for (size_t i = 0; i < h.size(); ++i) EXPECT_EQ(h.At(i)->pos, i);
}

TEST(IndexedHeap, PopsInOrderWithTiesBrokenByTheOrder) {
  auto items = MakeItems(1000, 1);
  Heap h;
  for (auto& x : items) h.Push(x.get());
  ExpectPositionsRecorded(h);
  std::vector<Item*> sorted;
  for (auto& x : items) sorted.push_back(x.get());
  std::sort(sorted.begin(), sorted.end(), [](Item* a, Item* b) { return ItemOrder::Less(*a, *b); });
  for (Item* expected : sorted) {
    ASSERT_FALSE(h.empty());
    EXPECT_EQ(h.Pop(), expected);
  }
  EXPECT_TRUE(h.empty());
}

TEST(IndexedHeap, RemoveFromTheMiddleKeepsTheHeapValid) {
  auto items = MakeItems(500, 2);
  Heap h;
  for (auto& x : items) h.Push(x.get());
  for (size_t i = 0; i < items.size(); i += 3) {
    ASSERT_TRUE(h.Contains(items[i].get()));
    h.Remove(items[i].get());
    EXPECT_FALSE(h.Contains(items[i].get()));
  }
  ExpectPositionsRecorded(h);
  Item* prev = nullptr;
  while (!h.empty()) {
    Item* x = h.Pop();
    EXPECT_NE(x->id % 3, 0);
    if (prev != nullptr) {
      EXPECT_TRUE(ItemOrder::Less(*prev, *x));
    }
    prev = x;
  }
}

TEST(IndexedHeap, FixRestoresOrderAfterAKeyChangesEitherWay) {
  auto items = MakeItems(100, 3);
  Heap h;
  for (auto& x : items) h.Push(x.get());
  items[10]->key = -1;
  h.Fix(items[10].get());
  EXPECT_EQ(h.Top(), items[10].get());
  items[10]->key = 1000;
  h.Fix(items[10].get());
  ExpectPositionsRecorded(h);
  Item* last = nullptr;
  while (!h.empty()) last = h.Pop();
  EXPECT_EQ(last, items[10].get());
}

TEST(IndexedHeap, ContainsIsFalseForAStalePositionFromAnotherHeap) {
  Item a{1, 1, 0}, b{2, 2, 0};
  Heap h1, h2;
  h1.Push(&a);
  h2.Push(&b);
  // Both record position 0, but each heap holds only its own.
  EXPECT_TRUE(h1.Contains(&a));
  EXPECT_FALSE(h1.Contains(&b));
  EXPECT_FALSE(h2.Contains(&a));
}

TEST(IndexedHeap, GivesMemoryBackAfterDraining) {
  auto items = MakeItems(10000, 4);
  Heap h;
  for (auto& x : items) h.Push(x.get());
  const size_t full = h.capacity();
  while (h.size() > 10) h.Pop();
  EXPECT_LT(h.capacity(), full / 100);
  ExpectPositionsRecorded(h);
}

}  // namespace
}  // namespace stalk::local
