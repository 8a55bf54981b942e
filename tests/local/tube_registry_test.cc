#include "local/tube_registry.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace stalk::local {
namespace {

std::vector<std::string> Names(const TubeRegistry& r) {
  std::vector<std::string> names;
  for (const Tube* t : r.list()) names.push_back(t->name());
  return names;
}

TEST(TubeRegistry, FindOrCreateAppendsNewTubesAndFindsExistingOnes) {
  TubeRegistry r(0);
  Tube* a = r.FindOrCreate("a");
  Tube* b = r.FindOrCreate("b");
  EXPECT_EQ(r.FindOrCreate("a"), a);
  EXPECT_EQ(r.Find("b"), b);
  EXPECT_EQ(r.Find("c"), nullptr);
  EXPECT_EQ(Names(r), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(a->name(), "a");
}

TEST(TubeRegistry, EraseMovesTheLastTubeIntoTheGap) {
  TubeRegistry r(0);
  for (const char* n : {"a", "b", "c", "d"}) r.FindOrCreate(n);
  r.Erase(r.Find("b"));
  EXPECT_EQ(Names(r), (std::vector<std::string>{"a", "d", "c"}));
  EXPECT_EQ(r.Find("b"), nullptr);
  r.Erase(r.Find("c"));  // the last one
  EXPECT_EQ(Names(r), (std::vector<std::string>{"a", "d"}));
  r.Erase(r.Find("a"));
  EXPECT_EQ(Names(r), std::vector<std::string>{"d"});
  EXPECT_EQ(r.Find("d")->registry_pos(), 0u);
  EXPECT_EQ(r.size(), 1u);
}

TEST(TubeRegistry, LooksUpNamesThatAreNotNulTerminated) {
  TubeRegistry r(0);
  const std::string line = "use foo\r\n";
  Tube* t = r.FindOrCreate(std::string_view(line).substr(4, 3));
  EXPECT_EQ(r.Find("foo"), t);
}

}  // namespace
}  // namespace stalk::local
