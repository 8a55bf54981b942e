#include "worker/retry.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace stalk::detail {

uint32_t AttemptInBudget(uint64_t reserves, uint64_t buries, uint32_t max_attempts) {
  uint64_t spent = 0;
  if (max_attempts > 0 && buries > 0) {
    // Saturate rather than overflow: a huge product only means "all spent".
    spent = buries > UINT64_MAX / max_attempts ? UINT64_MAX : buries * max_attempts;
  }
  const uint64_t attempt = reserves > spent ? reserves - spent : 1;
  return static_cast<uint32_t>(std::min<uint64_t>(attempt, UINT32_MAX));
}

bool AttemptsExhausted(uint32_t attempt, uint32_t max_attempts) {
  return max_attempts > 0 && attempt >= max_attempts;
}

Duration RetryDelay(const RetryPolicy& policy, uint32_t attempt, double unit) {
  using Seconds = std::chrono::duration<double>;
  const double base = std::chrono::duration_cast<Seconds>(policy.base_delay).count();
  const double cap = std::chrono::duration_cast<Seconds>(policy.max_delay).count();
  // In double seconds so that 2^(attempt-1) cannot overflow; the exponent is capped
  // where any base has long passed any sane cap.
  const int exponent = static_cast<int>(std::min<uint32_t>(attempt == 0 ? 0 : attempt - 1, 60));
  double delay = std::min(cap, std::ldexp(base, exponent));
  delay *= 1.0 + policy.jitter * (2.0 * unit - 1.0);
  delay = std::clamp(delay, 0.0, cap);
  // The protocol's delay is whole seconds; rounding up keeps a short delay a delay.
  return std::chrono::seconds(static_cast<int64_t>(std::ceil(delay - 1e-9)));
}

Duration RandomRetryDelay(const RetryPolicy& policy, uint32_t attempt) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  return RetryDelay(policy, attempt, unit(rng));
}

std::string CheckRetryPolicy(const RetryPolicy& policy) {
  if (policy.base_delay < Duration::zero()) return "base_delay is negative";
  if (policy.max_delay < policy.base_delay) return "max_delay is below base_delay";
  // The wire's delay is a 32-bit count of seconds; stay well inside it.
  if (policy.max_delay > std::chrono::seconds(INT32_MAX)) return "max_delay is over 2^31-1 s";
  if (!(policy.jitter >= 0.0 && policy.jitter < 1.0)) return "jitter is not in [0, 1)";
  return {};
}

}  // namespace stalk::detail
