#pragma once

// The arithmetic of attempts and backoff, with the randomness passed in so that it
// can be tested exactly. The rules are stated in include/stalk/worker.h.

#include <cstdint>
#include <string>

#include "stalk/worker.h"

namespace stalk::detail {

// The attempt number of a job within its current budget: reserves -
// max_attempts * buries, at least 1. With max_attempts 0 (unlimited) it is reserves.
uint32_t AttemptInBudget(uint64_t reserves, uint64_t buries, uint32_t max_attempts);

// True when a failure on `attempt` must bury the job rather than release it.
bool AttemptsExhausted(uint32_t attempt, uint32_t max_attempts);

// The delay after the failure of `attempt` (1-based): min(max_delay, base_delay *
// 2^(attempt-1)), times 1 + jitter * (2 * unit - 1), capped at max_delay, rounded up
// to whole seconds. `unit` is a uniform random number in [0, 1).
Duration RetryDelay(const RetryPolicy& policy, uint32_t attempt, double unit);

// RetryDelay with a random `unit` (a per-thread generator).
Duration RandomRetryDelay(const RetryPolicy& policy, uint32_t attempt);

// An empty string for a usable policy, else what is wrong with it.
std::string CheckRetryPolicy(const RetryPolicy& policy);

}  // namespace stalk::detail
