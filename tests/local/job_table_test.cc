#include "local/job_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <unordered_map>
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

TEST_F(JobTableTest, RandomEraseOrderOfSparseIds) {
  JobTable t;
  constexpr int kN = 100000;
  std::vector<Job*> live;
  for (int i = 1; i <= kN; ++i) {
    live.push_back(Make(static_cast<queue::JobId>(i) * 7919));  // one id per page or so
    t.Insert(live.back());
  }
  EXPECT_EQ(t.size(), static_cast<size_t>(kN));
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
  EXPECT_EQ(t.overflow_size(), 0u);
  EXPECT_LE(t.page_count(), 1u) << "only the top page is kept";
  EXPECT_LE(t.capacity(), JobPage::kPageSize + 32) << "memory is given back when the table drains";
}

TEST_F(JobTableTest, SparseIdsCostNoMoreThanTheOverflow) {
  JobTable t;
  for (int i = 1; i <= 10000; ++i) t.Insert(Make(static_cast<queue::JobId>(i) * 7919));
  // Every page but the top holds fewer than kRetireBelow jobs, so it is retired.
  EXPECT_EQ(t.page_count(), 1u);
  EXPECT_EQ(t.overflow_size(), 9999u);
}

TEST_F(JobTableTest, DenseRunLivesInPages) {
  JobTable t;
  std::vector<Job*> live;
  for (int i = 1; i <= 5000; ++i) {
    live.push_back(Make(i));
    t.Insert(live.back());
  }
  EXPECT_EQ(t.size(), 5000u);
  EXPECT_EQ(t.page_count(), 5000 / JobPage::kPageSize + 1);
  EXPECT_EQ(t.overflow_size(), 0u);
  for (Job* j : live) ASSERT_EQ(t.Find(j->id()), j);
  EXPECT_EQ(t.Find(0), nullptr);
  EXPECT_EQ(t.Find(5001), nullptr);
  EXPECT_EQ(t.Find(uint64_t{1} << 40), nullptr);
  size_t visited = 0;
  t.ForEach([&](Job*) { ++visited; });
  EXPECT_EQ(visited, 5000u);
}

TEST_F(JobTableTest, PagesAreFreedAsAFifoBacklogDrains) {
  JobTable t;
  constexpr size_t kPages = 10;
  std::vector<Job*> live;
  for (queue::JobId id = 0; id < kPages * JobPage::kPageSize; ++id) {
    live.push_back(Make(id));
    t.Insert(live.back());
  }
  EXPECT_EQ(t.page_count(), kPages);
  size_t max_overflow = 0;
  for (size_t i = 0; i < live.size(); ++i) {
    t.Erase(live[i]);
    max_overflow = std::max(max_overflow, t.overflow_size());
    const size_t page = i / JobPage::kPageSize;  // the page being drained
    const size_t left = JobPage::kPageSize - (i % JobPage::kPageSize + 1);  // in that page
    if (page + 1 < kPages) {
      ASSERT_EQ(t.page_count(), kPages - page - (left < JobTable::kRetireBelow ? 1 : 0)) << i;
    }
    if (i + 1 < live.size()) {
      ASSERT_EQ(t.Find(live[i + 1]->id()), live[i + 1]);
    }
  }
  EXPECT_EQ(max_overflow, JobTable::kRetireBelow - 1);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.overflow_size(), 0u);
  EXPECT_EQ(t.page_count(), 1u) << "the top page is kept";
}

TEST_F(JobTableTest, EmptiedPageIsFreedAtOnce) {
  JobTable t;
  Job* a = Make(1);
  Job* b = Make(JobPage::kPageSize * 5);
  t.Insert(a);
  t.Insert(b);
  EXPECT_EQ(t.page_count(), 1u) << "page 0 has one job, below kRetireBelow: retired";
  EXPECT_EQ(t.overflow_size(), 1u);
  t.Erase(a);
  EXPECT_EQ(t.overflow_size(), 0u);

  std::vector<Job*> run;
  for (queue::JobId id = JobPage::kPageSize * 5 + 1; id < JobPage::kPageSize * 7; ++id) {
    run.push_back(Make(id));
    t.Insert(run.back());
  }
  EXPECT_EQ(t.page_count(), 2u);
  t.Erase(b);
  for (size_t i = 0; i < JobPage::kPageSize - 1; ++i) t.Erase(run[i]);  // all of page 5
  EXPECT_EQ(t.page_count(), 1u);
  EXPECT_EQ(t.overflow_size(), 0u);
  EXPECT_EQ(t.size(), JobPage::kPageSize);
}

TEST_F(JobTableTest, RetiredPageJobsStayFindable) {
  JobTable t;
  std::vector<Job*> live;
  for (queue::JobId id = 1; id <= 3 * JobPage::kPageSize; ++id) {
    live.push_back(Make(id));
    t.Insert(live.back());
  }
  // Leave 10 jobs in page 0 (ids 1..511): it is retired once below kRetireBelow.
  for (queue::JobId id = 1; id < JobPage::kPageSize - 10; ++id) t.Erase(live[id - 1]);
  EXPECT_EQ(t.overflow_size(), 10u);
  EXPECT_EQ(t.page_count(), 3u);  // pages 1, 2, 3
  for (queue::JobId id = JobPage::kPageSize - 10; id <= 3 * JobPage::kPageSize; ++id) {
    ASSERT_EQ(t.Find(id), live[id - 1]) << id;
  }
  for (queue::JobId id = 1; id < JobPage::kPageSize - 10; ++id) ASSERT_EQ(t.Find(id), nullptr);
  // A re-insert below the top (journal recovery does this) goes to the overflow.
  t.Insert(live[0]);
  EXPECT_EQ(t.Find(1), live[0]);
  EXPECT_EQ(t.overflow_size(), 11u);
  EXPECT_EQ(t.size(), 3 * JobPage::kPageSize - (JobPage::kPageSize - 12));
}

TEST_F(JobTableTest, IdsBelowTheFirstPageGoToTheOverflow) {
  JobTable t;
  Job* high = Make(1000000);
  t.Insert(high);
  std::vector<Job*> low;
  for (queue::JobId id = 1; id <= 1000; ++id) {
    low.push_back(Make(id));
    t.Insert(low.back());
  }
  EXPECT_EQ(t.page_count(), 1u);
  EXPECT_EQ(t.overflow_size(), 1000u);
  for (Job* j : low) ASSERT_EQ(t.Find(j->id()), j);
  EXPECT_EQ(t.Find(1000000), high);
  for (Job* j : low) t.Erase(j);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.overflow_size(), 0u);
}

TEST_F(JobTableTest, IdsFarApartAndNearTheTopOfTheRange) {
  JobTable t;
  constexpr uint64_t kMax = UINT64_MAX;
  const std::vector<queue::JobId> ids = {0,          1,           2,
                                         511,        512,         uint64_t{1} << 32,
                                         uint64_t{1} << 55,       kMax - 512,
                                         kMax - 511, kMax - 1,    kMax};
  std::vector<Job*> live;
  for (queue::JobId id : ids) {
    live.push_back(Make(id));
    t.Insert(live.back());
  }
  EXPECT_EQ(t.size(), ids.size());
  EXPECT_LE(t.page_count(), 2u) << "no directory span, sparse pages retired";
  for (Job* j : live) ASSERT_EQ(t.Find(j->id()), j);
  EXPECT_EQ(t.Find(3), nullptr);
  EXPECT_EQ(t.Find(kMax - 2), nullptr);
  EXPECT_EQ(t.Find(uint64_t{1} << 33), nullptr);
  size_t visited = 0;
  t.ForEach([&](Job*) { ++visited; });
  EXPECT_EQ(visited, ids.size());
  std::mt19937 rng(11);
  std::shuffle(live.begin(), live.end(), rng);
  for (size_t i = 0; i < live.size(); ++i) {
    t.Erase(live[i]);
    for (size_t k = i + 1; k < live.size(); ++k) ASSERT_EQ(t.Find(live[k]->id()), live[k]);
    ASSERT_EQ(t.Find(live[i]->id()), nullptr);
  }
  EXPECT_EQ(t.size(), 0u);
}

// Increasing ids with gaps and jumps, random erases, occasional re-inserts of old
// ids (as journal recovery does), checked against std::unordered_map.
TEST(JobTableRandomTest, AgreesWithUnorderedMap) {
  JobTable t;
  std::unordered_map<queue::JobId, Job*> model;
  std::vector<queue::JobId> live;  // ids in the model, unordered
  std::mt19937_64 rng(20240611);
  queue::JobId next = 1;
  auto make = [](queue::JobId id) {
    return Job::Create(id, nullptr, 0, {}, {}, TimePoint{}, "x");
  };
  auto insert = [&](queue::JobId id) {
    Job* j = make(id);
    t.Insert(j);
    model.emplace(id, j);
    live.push_back(id);
  };
  auto check = [&](queue::JobId id) {
    const auto it = model.find(id);
    ASSERT_EQ(t.Find(id), it == model.end() ? nullptr : it->second) << id;
  };
  constexpr int kSteps = 400000;
  for (int step = 0; step < kSteps; ++step) {
    const uint64_t r = rng() % 1000;
    // Phases: grow a backlog, then mostly drain it.
    const bool growing = (step / 50000) % 2 == 0;
    if (r < (growing ? 600u : 350u)) {
      const uint64_t gap = rng() % 100;
      if (gap < 80) next += 1;
      else if (gap < 97) next += 1 + rng() % 2000;
      else if (gap < 99) next += rng() % 10000000;
      else next += rng() % (uint64_t{1} << 40);
      insert(next);
    } else if (r < 990 && !live.empty()) {
      // Mostly old ids first (FIFO-ish), sometimes any.
      size_t i = rng() % live.size();
      if (rng() % 2 == 0) i = std::min(i, static_cast<size_t>(rng() % 16) % live.size());
      const queue::JobId id = live[i];
      live[i] = live.back();
      live.pop_back();
      Job* j = model.at(id);
      model.erase(id);
      t.Erase(j);
      ASSERT_EQ(t.Find(id), nullptr);
      Job::Destroy(j);
    } else if (next > 1) {
      const queue::JobId id = 1 + rng() % (next - 1);  // an old id, if not live
      if (!model.contains(id)) insert(id);
    }
    ASSERT_EQ(t.size(), model.size());
    check(next);
    check(next + 1);
    check(1 + rng() % next);
    if (!live.empty()) check(live[rng() % live.size()]);
    if (step % 20000 == 0) {
      size_t visited = 0;
      t.ForEach([&](Job* j) {
        ++visited;
        ASSERT_EQ(model.at(j->id()), j);
      });
      ASSERT_EQ(visited, model.size());
    }
  }
  for (const auto& [id, j] : model) {
    ASSERT_EQ(t.Find(id), j);
    t.Erase(j);
    Job::Destroy(j);
  }
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.overflow_size(), 0u);
  EXPECT_LE(t.page_count(), 1u);
}

}  // namespace
}  // namespace stalk::local
