#include "cli/duration.h"

#include <cmath>
#include <utility>

namespace stalk::cli {
namespace {

struct Unit {
  std::string_view name;
  double nanos;
};

// Longest names first so that "ms" is not read as "m" followed by garbage.
constexpr Unit kUnits[] = {
    {"ns", 1.0},          {"us", 1e3},           {"ms", 1e6},          {"s", 1e9},
    {"m", 60.0 * 1e9},    {"h", 3600.0 * 1e9},   {"d", 86400.0 * 1e9},
};

constexpr double kMaxNanos = 100.0 * 365 * 86400 * 1e9;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads "<digits>[.<digits>]" at the front of `*s`; false when there is none.
bool TakeNumber(std::string_view* s, double* out) {
  size_t i = 0;
  double value = 0;
  bool digits = false;
  while (i < s->size() && IsDigit((*s)[i])) {
    value = value * 10 + ((*s)[i] - '0');
    digits = true;
    ++i;
  }
  if (i < s->size() && (*s)[i] == '.') {
    ++i;
    double scale = 0.1;
    while (i < s->size() && IsDigit((*s)[i])) {
      value += scale * ((*s)[i] - '0');
      scale /= 10;
      digits = true;
      ++i;
    }
  }
  if (!digits) return false;
  *out = value;
  s->remove_prefix(i);
  return true;
}

const Unit* TakeUnit(std::string_view* s) {
  for (const Unit& u : kUnits) {
    if (s->starts_with(u.name)) {
      // "m" must not swallow the "m" of "ms": "ms" is listed first, so a match of
      // "m" here means the next byte is not 's'.
      s->remove_prefix(u.name.size());
      return &u;
    }
  }
  return nullptr;
}

}  // namespace

Outcome<Nanos> ParseDuration(std::string_view text, std::string_view what) {
  auto bad = [&](std::string_view why) {
    return UsageError(std::string(what) + ": invalid duration \"" + std::string(text) + "\" (" +
                      std::string(why) + "; e.g. 30, 30s, 250ms, 1m30s)");
  };
  if (text.empty()) return bad("empty");
  if (text.front() == '-') return bad("negative");
  std::string_view rest = text;
  double total = 0;
  double number = 0;
  if (!TakeNumber(&rest, &number)) return bad("expected a number");
  if (rest.empty()) {
    total = number * 1e9;  // a bare number is seconds
  } else {
    while (true) {
      const Unit* unit = TakeUnit(&rest);
      if (unit == nullptr) return bad("unknown unit");
      total += number * unit->nanos;
      if (rest.empty()) break;
      if (!TakeNumber(&rest, &number)) return bad("expected a number after the unit");
    }
  }
  if (!(total <= kMaxNanos)) return bad("too long");
  return Nanos(static_cast<int64_t>(std::llround(total)));
}

WireSeconds ToWireSeconds(Nanos d) {
  if (d.count() <= 0) return {};
  constexpr int64_t kSecond = 1'000'000'000;
  const int64_t n = d.count();
  return {static_cast<uint64_t>((n + kSecond - 1) / kSecond), n % kSecond != 0};
}

Outcome<WireSeconds> ToWireSecondsAtMost(Nanos d, uint64_t max_seconds, std::string_view what) {
  WireSeconds w = ToWireSeconds(d);
  if (w.seconds > max_seconds) {
    return UsageError(std::string(what) + ": " + FormatDuration(d) + " is more than the protocol's " +
                      std::to_string(max_seconds) + " seconds");
  }
  return w;
}

std::string FormatDuration(Nanos d) {
  int64_t n = d.count();
  if (n == 0) return "0s";
  std::string out;
  if (n < 0) {
    out = "-";
    n = -n;
  }
  constexpr int64_t kMs = 1'000'000;
  constexpr int64_t kS = 1000 * kMs;
  if (n % kS != 0) {
    if (n % kMs == 0) return out + std::to_string(n / kMs) + "ms";
    return out + std::to_string(n) + "ns";
  }
  int64_t s = n / kS;
  const int64_t h = s / 3600;
  s %= 3600;
  const int64_t m = s / 60;
  s %= 60;
  if (h) out += std::to_string(h) + "h";
  if (m) out += std::to_string(m) + "m";
  if (s) out += std::to_string(s) + "s";
  return out;
}

std::string RoundingNote(std::string_view what, Nanos d, const WireSeconds& w) {
  if (!w.rounded) return {};
  return "stalk: " + std::string(what) + " " + FormatDuration(d) + " rounded up to " +
         std::to_string(w.seconds) + "s (the protocol counts whole seconds)";
}

}  // namespace stalk::cli
