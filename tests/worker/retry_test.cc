// The attempt and backoff arithmetic of the worker (src/worker/retry.h), exactly,
// with the random draw passed in.

#include "worker/retry.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

namespace stalk::detail {
namespace {

using namespace std::chrono_literals;

RetryPolicy Policy(Duration base, Duration max, double jitter) {
  RetryPolicy p;
  p.base_delay = base;
  p.max_delay = max;
  p.jitter = jitter;
  return p;
}

TEST(AttemptInBudget, CountsReservesWhenNeverBuried) {
  EXPECT_EQ(AttemptInBudget(1, 0, 5), 1u);
  EXPECT_EQ(AttemptInBudget(4, 0, 5), 4u);
  EXPECT_EQ(AttemptInBudget(9, 0, 5), 9u);  // over budget: the caller buries
}

TEST(AttemptInBudget, AKickAfterAnExhaustedBudgetStartsAFreshOne) {
  // Buried after 5 failed reserves, kicked, reserved again: attempt 1 of 5.
  EXPECT_EQ(AttemptInBudget(6, 1, 5), 1u);
  EXPECT_EQ(AttemptInBudget(10, 1, 5), 5u);
  EXPECT_EQ(AttemptInBudget(11, 2, 5), 1u);
}

TEST(AttemptInBudget, AnEarlyBuryCarriesTheUnusedAttemptsOver) {
  // Outcome::Bury on attempt 2, kicked: 3 - 5 is below 1, so attempt 1.
  EXPECT_EQ(AttemptInBudget(3, 1, 5), 1u);
}

TEST(AttemptInBudget, UnlimitedAttemptsAreTheReserves) {
  EXPECT_EQ(AttemptInBudget(7, 3, 0), 7u);
  EXPECT_EQ(AttemptInBudget(0, 0, 0), 1u);  // never below 1
}

TEST(AttemptInBudget, SaturatesInsteadOfOverflowing) {
  EXPECT_EQ(AttemptInBudget(5, UINT64_MAX, UINT32_MAX), 1u);
  EXPECT_EQ(AttemptInBudget(UINT64_MAX, 0, 0), UINT32_MAX);
}

TEST(AttemptsExhausted, OnlyTheLastAttemptOfALimitedBudget) {
  EXPECT_FALSE(AttemptsExhausted(4, 5));
  EXPECT_TRUE(AttemptsExhausted(5, 5));
  EXPECT_TRUE(AttemptsExhausted(6, 5));
  EXPECT_FALSE(AttemptsExhausted(1000, 0));
}

TEST(RetryDelay, DoublesFromTheBaseWithoutJitter) {
  const RetryPolicy p = Policy(1s, 1h, 0.0);
  EXPECT_EQ(RetryDelay(p, 1, 0.5), 1s);
  EXPECT_EQ(RetryDelay(p, 2, 0.5), 2s);
  EXPECT_EQ(RetryDelay(p, 3, 0.5), 4s);
  EXPECT_EQ(RetryDelay(p, 11, 0.5), 1024s);
}

TEST(RetryDelay, IsCappedAtMaxDelay) {
  const RetryPolicy p = Policy(1s, 60s, 0.0);
  EXPECT_EQ(RetryDelay(p, 7, 0.5), 60s);
  EXPECT_EQ(RetryDelay(p, 4000000000u, 0.5), 60s);  // no overflow of 2^(n-1)
}

TEST(RetryDelay, JitterSpansPlusMinusItsFractionAndNeverPassesTheCap) {
  const RetryPolicy p = Policy(10s, 1h, 0.2);
  EXPECT_EQ(RetryDelay(p, 1, 0.0), 8s);     // 10 * 0.8
  EXPECT_EQ(RetryDelay(p, 1, 0.5), 10s);    // the middle of the range
  EXPECT_EQ(RetryDelay(p, 1, 0.999), 12s);  // just under 10 * 1.2
  const RetryPolicy capped = Policy(10s, 10s, 0.2);
  EXPECT_EQ(RetryDelay(capped, 1, 0.999), 10s);
  EXPECT_EQ(RetryDelay(capped, 1, 0.0), 8s);
}

TEST(RetryDelay, RoundsUpToWholeSeconds) {
  const RetryPolicy p = Policy(300ms, 1h, 0.0);
  EXPECT_EQ(RetryDelay(p, 1, 0.5), 1s);  // 0.3 s
  EXPECT_EQ(RetryDelay(p, 4, 0.5), 3s);  // 2.4 s
}

TEST(RetryDelay, ZeroBaseMeansRetryAtOnce) {
  EXPECT_EQ(RetryDelay(Policy(0s, 0s, 0.2), 3, 0.9), 0s);
}

TEST(RandomRetryDelay, StaysWithinTheJitterRange) {
  const RetryPolicy p = Policy(10s, 1h, 0.2);
  for (int i = 0; i < 200; ++i) {
    const Duration d = RandomRetryDelay(p, 2);  // 20 s +-20%
    EXPECT_GE(d, 16s);
    EXPECT_LE(d, 24s);
  }
}

TEST(CheckRetryPolicy, NamesWhatIsWrong) {
  EXPECT_EQ(CheckRetryPolicy(RetryPolicy{}), "");
  EXPECT_NE(CheckRetryPolicy(Policy(-1s, 1s, 0.2)), "");
  EXPECT_NE(CheckRetryPolicy(Policy(10s, 1s, 0.2)), "");
  EXPECT_NE(CheckRetryPolicy(Policy(1s, 10s, 1.0)), "");
  EXPECT_NE(CheckRetryPolicy(Policy(1s, 10s, -0.1)), "");
  EXPECT_NE(CheckRetryPolicy(Policy(1s, 10s, std::nan(""))), "");
  EXPECT_NE(CheckRetryPolicy(Policy(1s, std::chrono::hours(1000000), 0.2)), "");
}

}  // namespace
}  // namespace stalk::detail
