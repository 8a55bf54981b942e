#include "cli/rates.h"

#include <gtest/gtest.h>

namespace stalk::cli {
namespace {

using namespace std::chrono_literals;

TubeStats Tube(const std::string& name, uint64_t total_jobs, uint64_t deletes) {
  TubeStats s;
  s.name = name;
  s.total_jobs = total_jobs;
  s.cmd_delete = deletes;
  return s;
}

TEST(CounterRate, DeltaOverSecondsClampedAtZero) {
  EXPECT_DOUBLE_EQ(CounterRate(10, 30, 2.0), 10.0);
  EXPECT_DOUBLE_EQ(CounterRate(30, 10, 2.0), 0.0);  // a restarted server
  EXPECT_DOUBLE_EQ(CounterRate(10, 30, 0.0), 0.0);
}

TEST(ComputeRows, FirstSampleHasNoRates) {
  TubeSample now;
  now.at = std::chrono::steady_clock::time_point(10s);
  now.tubes["a"] = Tube("a", 5, 1);
  auto rows = ComputeRows(std::nullopt, now);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_FALSE(rows[0].puts_per_s.has_value());
  EXPECT_FALSE(rows[0].deletes_per_s.has_value());
}

TEST(ComputeRows, RatesFromTotalJobsAndCmdDelete) {
  TubeSample before;
  before.at = std::chrono::steady_clock::time_point(10s);
  before.tubes["a"] = Tube("a", 100, 40);
  before.tubes["gone"] = Tube("gone", 1, 1);
  TubeSample now;
  now.at = std::chrono::steady_clock::time_point(12s);
  now.tubes["a"] = Tube("a", 150, 50);
  now.tubes["new"] = Tube("new", 9, 0);
  auto rows = ComputeRows(before, now);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].stats.name, "a");
  EXPECT_DOUBLE_EQ(*rows[0].puts_per_s, 25.0);
  EXPECT_DOUBLE_EQ(*rows[0].deletes_per_s, 5.0);
  EXPECT_EQ(rows[1].stats.name, "new");
  EXPECT_FALSE(rows[1].puts_per_s.has_value());
}

TEST(ComputeRows, TubeRecreatedWithSmallerCountersGivesZero) {
  TubeSample before;
  before.at = std::chrono::steady_clock::time_point(1s);
  before.tubes["a"] = Tube("a", 100, 100);
  TubeSample now;
  now.at = std::chrono::steady_clock::time_point(2s);
  now.tubes["a"] = Tube("a", 3, 0);
  auto rows = ComputeRows(before, now);
  EXPECT_DOUBLE_EQ(*rows[0].puts_per_s, 0.0);
  EXPECT_DOUBLE_EQ(*rows[0].deletes_per_s, 0.0);
}

}  // namespace
}  // namespace stalk::cli
