#include "local/job.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace stalk::local {
namespace {

using queue::JobState;

TEST(Job, StoresItsBodyInlineRightAfterTheHeader) {
  const std::string body(1000, 'z');
  Job* j = Job::Create(7, nullptr, 3, std::chrono::seconds(2), std::chrono::seconds(9),
                       TimePoint(std::chrono::seconds(100)), body);
  ASSERT_NE(j, nullptr);
  EXPECT_EQ(j->body(), body);
  EXPECT_EQ(static_cast<const void*>(j->body().data()),
            static_cast<const void*>(reinterpret_cast<const char*>(j) + sizeof(Job)));
  EXPECT_EQ(j->id(), 7u);
  EXPECT_EQ(j->pri(), 3u);
  EXPECT_EQ(j->delay(), std::chrono::seconds(2));
  EXPECT_EQ(j->ttr(), std::chrono::seconds(9));
  EXPECT_EQ(j->created(), TimePoint(std::chrono::seconds(100)));
  EXPECT_EQ(j->state(), JobState::kReady);
  Job::Destroy(j);
}

// glibc's chunk for a request of n bytes: n + 8 bytes of header, rounded up to 16, at
// least 32.
constexpr size_t GlibcChunkBytes(size_t n) {
  return n + 8 + 15 < 32 ? 32 : (n + 8 + 15) & ~size_t{15};
}

TEST(Job, TheJournalSegmentKeepsAHundredByteJobInItsMallocSizeClass) {
  // The header was 80 bytes before the journal segment (a u32) was added; packed to
  // 4-byte alignment it is 84, not 88, and a job of 100 body bytes still takes one
  // 192-byte chunk (88 would take 208).
  static_assert(sizeof(Job) == 84);
  static_assert(GlibcChunkBytes(80 + 100) == 192);
  static_assert(GlibcChunkBytes(sizeof(Job) + 100) == 192);
  Job* j = Job::Create(1, nullptr, 0, {}, {}, TimePoint{}, std::string(100, 'x'));
  ASSERT_NE(j, nullptr);
  j->set_segment(4000000000u);
  EXPECT_EQ(j->segment(), 4000000000u);
  EXPECT_EQ(j->body(), std::string(100, 'x'));
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
  void* before = std::malloc(80 + 100);  // what a job took without the segment
  EXPECT_EQ(malloc_usable_size(j), malloc_usable_size(before));
  std::free(before);
#endif
  Job::Destroy(j);
}

TEST(Job, StateAndHeapPositionShareAWordWithoutClobberingEachOther) {
  Job* j = Job::Create(1, nullptr, 0, {}, {}, TimePoint{}, "");
  j->set_heap_pos(Job::kMaxHeapPos);
  j->set_state(JobState::kBuried);
  EXPECT_EQ(j->heap_pos(), Job::kMaxHeapPos);
  EXPECT_EQ(j->state(), JobState::kBuried);
  j->set_heap_pos(12345);
  EXPECT_EQ(j->state(), JobState::kBuried);
  j->set_state(JobState::kReserved);
  EXPECT_EQ(j->heap_pos(), 12345u);
  EXPECT_EQ(j->state(), JobState::kReserved);
  Job::Destroy(j);
}

TEST(Job, OrdersBreakTiesByIdOrBurySequence) {
  Job* a = Job::Create(1, nullptr, 5, {}, {}, TimePoint{}, "");
  Job* b = Job::Create(2, nullptr, 5, {}, {}, TimePoint{}, "");
  EXPECT_TRUE(Job::ReadyOrder::Less(*a, *b));
  EXPECT_FALSE(Job::ReadyOrder::Less(*b, *a));
  b->set_pri(4);
  EXPECT_TRUE(Job::ReadyOrder::Less(*b, *a));
  a->set_deadline(TimePoint(std::chrono::seconds(3)));
  b->set_deadline(TimePoint(std::chrono::seconds(3)));
  EXPECT_TRUE(Job::DeadlineOrder::Less(*a, *b));
  a->set_bury_seq(9);
  b->set_bury_seq(8);
  EXPECT_TRUE(Job::BuriedOrder::Less(*b, *a));
  Job::Destroy(a);
  Job::Destroy(b);
}

}  // namespace
}  // namespace stalk::local
