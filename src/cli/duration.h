#pragma once

// Durations as people type them ("30", "30s", "1m", "250ms", "1m30s", "1.5h") and
// as the wire needs them (whole seconds). Pure functions; thread-safe.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "cli/exit_code.h"

namespace stalk::cli {

using Nanos = std::chrono::nanoseconds;

// Parses a non-negative duration: a bare number is seconds ("30", "2.5"); otherwise
// one or more <number><unit> terms with unit ns, us, ms, s, m, h or d ("1m30s").
// Fails with a usage error naming `what` (e.g. "--delay") on anything else, on a
// negative value, or beyond 100 years.
Outcome<Nanos> ParseDuration(std::string_view text, std::string_view what);

// The duration in whole seconds for the wire, rounded UP (a 250 ms delay becomes
// 1 s: the job is never ready before it was asked to be).
struct WireSeconds {
  uint64_t seconds = 0;
  bool rounded = false;  // true when `d` was not a whole number of seconds
};
WireSeconds ToWireSeconds(Nanos d);

// Like ToWireSeconds, but fails (usage error naming `what`) above `max_seconds`;
// the protocol's delay, ttr and pause fields are 32-bit.
Outcome<WireSeconds> ToWireSecondsAtMost(Nanos d, uint64_t max_seconds, std::string_view what);

// "250ms", "30s", "1m30s", "2h", "0s": the shortest exact rendering for messages.
std::string FormatDuration(Nanos d);

// The note printed on stderr when a value was rounded up, or "" when it was not:
// "stalk: --delay 250ms rounded up to 1s (the protocol counts whole seconds)".
std::string RoundingNote(std::string_view what, Nanos d, const WireSeconds& w);

}  // namespace stalk::cli
