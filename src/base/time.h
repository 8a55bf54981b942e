#pragma once

#include <chrono>

namespace stalk {

// All internal time is kept in nanoseconds on a monotonic clock; the wire speaks
// whole seconds and converts in proto/. Wall-clock time never drives a timer.
using Duration = std::chrono::nanoseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

}  // namespace stalk
