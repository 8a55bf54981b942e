#pragma once

// What `top` shows per tube: the current counts and the rates derived from two
// samples of the tube's counters (puts/s from total-jobs, deletes/s from
// cmd-delete). Pure; thread-safe.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <stalk/stats.h>

namespace stalk::cli {

struct TubeRow {
  TubeStats stats;
  std::optional<double> puts_per_s;     // nullopt: no earlier sample of this tube
  std::optional<double> deletes_per_s;
};

// One sample of every tube, taken at `at` (a steady clock).
struct TubeSample {
  std::chrono::steady_clock::time_point at;
  std::map<std::string, TubeStats> tubes;
};

// Rows for `now`, in tube-name order. Rates need `before` to hold the same tube
// and a positive interval; a counter that went backwards (a restarted server, a
// tube that vanished and came back) gives a rate of 0, never a negative one.
std::vector<TubeRow> ComputeRows(const std::optional<TubeSample>& before, const TubeSample& now);

// The rate of a counter from `then` to `now` over `seconds`, clamped at 0.
double CounterRate(uint64_t then, uint64_t now, double seconds);

}  // namespace stalk::cli
