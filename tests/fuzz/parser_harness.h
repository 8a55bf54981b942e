#pragma once

// Drives proto::Parser the way a server does (append what arrived, call Next()
// until kNeedMore, drop what was consumed) and checks the parser's contract on
// every call. Shared by the unit tests, the deterministic random-split test
// and the libFuzzer target, so all three hold the parser to the same rules.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "proto/command.h"
#include "proto/parser.h"

namespace stalk::proto::testing {

// A one-line rendering of an event, with the fields of the command's verb:
// "put pri=1 delay=2s ttr=3s body=abc", "kick bound=5", "BAD_FORMAT".
inline std::string Describe(Parser::Event ev, const Command& c) {
  auto secs = [](Duration d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + "s";
  };
  switch (ev) {
    case Parser::Event::kNeedMore:
      return "NEED_MORE";
    case Parser::Event::kBadFormat:
      return "BAD_FORMAT";
    case Parser::Event::kUnknownCommand:
      return "UNKNOWN_COMMAND";
    case Parser::Event::kExpectedCrlf:
      return "EXPECTED_CRLF";
    case Parser::Event::kJobTooBig:
      return "JOB_TOO_BIG";
    case Parser::Event::kCommand:
      break;
  }
  std::string s(VerbName(c.verb));
  switch (c.verb) {
    case Verb::kPut:
      s += " pri=" + std::to_string(c.pri) + " delay=" + secs(c.delay) + " ttr=" + secs(c.ttr) +
           " body=" + std::string(c.body);
      break;
    case Verb::kPeek:
    case Verb::kReserveJob:
    case Verb::kDelete:
    case Verb::kKickJob:
    case Verb::kTouch:
    case Verb::kStatsJob:
      s += " id=" + std::to_string(c.id);
      break;
    case Verb::kRelease:
      s += " id=" + std::to_string(c.id) + " pri=" + std::to_string(c.pri) +
           " delay=" + secs(c.delay);
      break;
    case Verb::kBury:
      s += " id=" + std::to_string(c.id) + " pri=" + std::to_string(c.pri);
      break;
    case Verb::kKick:
      s += " bound=" + std::to_string(c.bound);
      break;
    case Verb::kReserveWithTimeout:
      s += " timeout=" + secs(c.timeout);
      break;
    case Verb::kUse:
    case Verb::kWatch:
    case Verb::kIgnore:
    case Verb::kStatsTube:
      s += " tube=" + std::string(c.tube);
      break;
    case Verb::kPauseTube:
      s += " tube=" + std::string(c.tube) + " delay=" + secs(c.delay);
      break;
    default:
      break;
  }
  return s;
}

struct FeedResult {
  std::vector<std::string> events;  // every event but kNeedMore, described
  std::string leftover;             // bytes still buffered at the end
  size_t bytes_wanted = 0;          // the parser's bytes_wanted() at the end
  std::string violation;            // empty when every invariant held
};

namespace detail {

inline bool HasCompleteLine(std::string_view buf) {
  const size_t window = buf.size() < kMaxLineBytes ? buf.size() : kMaxLineBytes;
  for (size_t i = 0; i + 1 < window; ++i) {
    if (buf[i] == '\r' && buf[i + 1] == '\n') return true;
  }
  return false;
}

inline bool Within(std::string_view part, std::string_view whole) {
  if (part.empty()) return true;
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

}  // namespace detail

// Feeds `input` to a fresh parser in chunks of the given sizes (an empty list
// means all at once; the last chunk takes whatever remains), and checks:
//  - *consumed never exceeds the input given;
//  - every event other than kNeedMore consumes at least one byte, so a caller
//    that loops until kNeedMore always terminates;
//  - kNeedMore with nothing consumed is stable: asked again about the same
//    bytes, the parser says the same thing;
//  - a command's tube and body point into the bytes just given;
//  - the caller never has to hold more than one incomplete line (< 224 bytes,
//    with no CRLF in its window) or one incomplete put (< bytes_wanted()).
inline FeedResult Feed(std::string_view input, const std::vector<size_t>& chunks,
                       uint64_t max_job_bytes = kDefaultMaxJobBytes) {
  FeedResult r;
  Parser parser(max_job_bytes);
  std::string buf;
  size_t fed = 0;
  size_t chunk_index = 0;
  auto fail = [&](std::string what) {
    if (r.violation.empty()) {
      r.violation = what + " (after " + std::to_string(fed) + " of " +
                    std::to_string(input.size()) + " bytes fed)";
    }
  };
  while (fed < input.size() || chunk_index == 0) {
    size_t n = input.size() - fed;
    if (chunk_index < chunks.size() && chunks[chunk_index] < n) n = chunks[chunk_index];
    ++chunk_index;
    buf.append(input.substr(fed, n));
    fed += n;
    // Every event but kNeedMore consumes a byte, so this bounds the loop.
    const size_t buffered = buf.size();
    for (size_t guard = 0;; ++guard) {
      if (guard > buffered + 1) {
        fail("no progress: more events than buffered bytes");
        return r;
      }
      size_t used = 12345678;
      const std::string_view view(buf);
      const Parser::Event ev = parser.Next(view, &used);
      if (used > view.size()) {
        fail("consumed " + std::to_string(used) + " > size " + std::to_string(view.size()));
        return r;
      }
      if (ev == Parser::Event::kNeedMore) {
        if (used == 0) {
          size_t again = 1;
          if (parser.Next(view, &again) != Parser::Event::kNeedMore || again != 0) {
            fail("kNeedMore with zero consumption is not stable");
            return r;
          }
        }
        buf.erase(0, used);
        break;
      }
      if (used == 0) {
        fail("event " + Describe(ev, parser.command()) + " consumed nothing");
        return r;
      }
      if (ev == Parser::Event::kCommand && (!detail::Within(parser.command().tube, view) ||
                                            !detail::Within(parser.command().body, view))) {
        fail("command fields point outside the input");
        return r;
      }
      r.events.push_back(Describe(ev, parser.command()));
      buf.erase(0, used);
    }
    // Bounded buffering: what is left must really be incomplete.
    const size_t wanted = parser.bytes_wanted();
    if (wanted > 0 ? wanted <= buf.size()
                   : (buf.size() >= kMaxLineBytes || detail::HasCompleteLine(buf))) {
      fail("parser asks for more while holding " + std::to_string(buf.size()) +
           " bytes (bytes_wanted " + std::to_string(wanted) + ")");
      return r;
    }
    if (input.empty()) break;
  }
  r.leftover = buf;
  r.bytes_wanted = parser.bytes_wanted();
  return r;
}

inline FeedResult FeedAll(std::string_view input, uint64_t max_job_bytes = kDefaultMaxJobBytes) {
  return Feed(input, {}, max_job_bytes);
}

inline FeedResult FeedBytewise(std::string_view input,
                               uint64_t max_job_bytes = kDefaultMaxJobBytes) {
  return Feed(input, std::vector<size_t>(input.size(), 1), max_job_bytes);
}

// Random chunk sizes covering `n` bytes: mostly small (1..8), sometimes larger,
// so CRLFs, numbers and bodies are split at every kind of place.
inline std::vector<size_t> RandomChunks(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<size_t> chunks;
  size_t total = 0;
  while (total < n) {
    size_t c = (rng() % 4 == 0) ? 1 + rng() % 300 : 1 + rng() % 8;
    if (rng() % 16 == 0) c = 0;  // an empty read
    chunks.push_back(c);
    total += c;
  }
  return chunks;
}

// Feeds `input` all at once and in random chunks chosen by `seed`; returns an
// empty string when both runs satisfy Feed()'s invariants and produce the same
// events and leftover, otherwise what went wrong.
inline std::string CheckSplitInvariance(std::string_view input, uint32_t seed,
                                        uint64_t max_job_bytes = kDefaultMaxJobBytes) {
  const FeedResult whole = FeedAll(input, max_job_bytes);
  if (!whole.violation.empty()) return "all at once: " + whole.violation;
  const FeedResult split = Feed(input, RandomChunks(input.size(), seed), max_job_bytes);
  if (!split.violation.empty()) return "split: " + split.violation;
  if (whole.events != split.events) {
    std::string msg = "events differ between all-at-once and split feeding:";
    const size_t n = std::max(whole.events.size(), split.events.size());
    for (size_t i = 0; i < n; ++i) {
      const std::string a = i < whole.events.size() ? whole.events[i] : "<none>";
      const std::string b = i < split.events.size() ? split.events[i] : "<none>";
      if (a != b) {
        msg += " #" + std::to_string(i) + " [" + a + "] vs [" + b + "]";
        break;
      }
    }
    return msg;
  }
  if (whole.leftover != split.leftover) return "leftover differs between the runs";
  return "";
}

}  // namespace stalk::proto::testing
