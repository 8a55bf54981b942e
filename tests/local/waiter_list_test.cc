#include "local/waiter_list.h"

#include <gtest/gtest.h>

#include <vector>

namespace stalk::local {
namespace {

std::vector<WatchEntry*> Contents(const WaiterList& l) {
  std::vector<WatchEntry*> out;
  for (WatchEntry* e = l.empty() ? nullptr : l.front(); e != nullptr; e = e->next) out.push_back(e);
  return out;
}

TEST(WaiterList, IsFirstInFirstOutAndRemovesFromAnywhere) {
  WatchEntry a, b, c, d;
  WaiterList l;
  l.PushBack(&a);
  l.PushBack(&b);
  l.PushBack(&c);
  l.PushBack(&d);
  EXPECT_EQ(l.size(), 4u);
  EXPECT_EQ(l.front(), &a);
  l.Remove(&c);  // middle
  EXPECT_EQ(Contents(l), (std::vector<WatchEntry*>{&a, &b, &d}));
  l.Remove(&a);  // head
  EXPECT_EQ(l.front(), &b);
  l.Remove(&d);  // tail
  EXPECT_EQ(Contents(l), std::vector<WatchEntry*>{&b});
  l.PushBack(&a);
  EXPECT_EQ(Contents(l), (std::vector<WatchEntry*>{&b, &a}));
  l.Remove(&b);
  l.Remove(&a);
  EXPECT_TRUE(l.empty());
  EXPECT_EQ(l.size(), 0u);
}

}  // namespace
}  // namespace stalk::local
