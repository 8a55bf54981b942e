#include "local/job_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace stalk::local {
namespace {

class JobTableTest : public ::testing::Test {
 protected:
  ~JobTableTest() override {
    for (Job* j : jobs_) Job::Destroy(j);
  }
  Job* Make(queue::JobId id) {
    Job* j = Job::Create(id, nullptr, 0, {}, {}, TimePoint{}, "x");
    jobs_.push_back(j);
    return j;
  }
  std::vector<Job*> jobs_;
};

TEST_F(JobTableTest, FindsInsertedJobsAndForgetsErasedOnes) {
  JobTable t;
  Job* a = Make(1);
  Job* b = Make(2);
  EXPECT_EQ(t.Find(1), nullptr);
  t.Insert(a);
  t.Insert(b);
  EXPECT_EQ(t.Find(1), a);
  EXPECT_EQ(t.Find(2), b);
  EXPECT_EQ(t.Find(3), nullptr);
  t.Erase(a);
  EXPECT_EQ(t.Find(1), nullptr);
  EXPECT_EQ(t.Find(2), b);
  EXPECT_EQ(t.size(), 1u);
}

TEST_F(JobTableTest, RandomEraseOrderKeepsEveryProbeChainIntact) {
  JobTable t;
  constexpr int kN = 100000;
  std::vector<Job*> live;
  for (int i = 1; i <= kN; ++i) {
    live.push_back(Make(static_cast<queue::JobId>(i) * 7919));  // sparse ids too
    t.Insert(live.back());
  }
  EXPECT_GE(t.capacity() * 4, t.size() * 5) << "load above 4/5";
  std::mt19937 rng(5);
  std::shuffle(live.begin(), live.end(), rng);
  for (int i = 0; i < kN; ++i) {
    t.Erase(live[i]);
    if (i % 997 == 0) {
      for (int k = i + 1; k < kN; k += 37) ASSERT_EQ(t.Find(live[k]->id()), live[k]);
      ASSERT_EQ(t.Find(live[i]->id()), nullptr);
    }
  }
  EXPECT_EQ(t.size(), 0u);
  EXPECT_LE(t.capacity(), 32u) << "memory is given back when the table drains";
}

TEST_F(JobTableTest, SequentialIdsGrowAndShrinkWithinTheLoadBounds) {
  JobTable t;
  std::vector<Job*> live;
  for (int i = 1; i <= 5000; ++i) {
    live.push_back(Make(i));
    t.Insert(live.back());
    ASSERT_LE(t.size() * 5, t.capacity() * 4);
  }
  size_t visited = 0;
  t.ForEach([&](Job*) { ++visited; });
  EXPECT_EQ(visited, 5000u);
  for (Job* j : live) {
    t.Erase(j);
    ASSERT_TRUE(t.capacity() <= 16 || t.size() * 8 >= t.capacity());
  }
}

}  // namespace
}  // namespace stalk::local
