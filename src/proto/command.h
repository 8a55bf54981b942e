#pragma once

#include <cstdint>
#include <string_view>

#include "base/time.h"

namespace stalk::proto {

// Every command of beanstalkd 1.13's protocol. See docs/protocol.md.
enum class Verb : uint8_t {
  kPut,
  kPeek,
  kPeekReady,
  kPeekDelayed,
  kPeekBuried,
  kReserve,
  kReserveWithTimeout,
  kReserveJob,
  kDelete,
  kRelease,
  kBury,
  kKick,
  kKickJob,
  kTouch,
  kStatsJob,
  kStatsTube,
  kStats,
  kUse,
  kWatch,
  kIgnore,
  kListTubesWatched,
  kListTubeUsed,
  kListTubes,
  kQuit,
  kPauseTube,
};
inline constexpr int kVerbCount = static_cast<int>(Verb::kPauseTube) + 1;

// The wire name of a verb ("reserve-with-timeout"); used for logs and stats keys.
std::string_view VerbName(Verb verb);

// One parsed command. Only the fields of its verb are meaningful. Seconds from
// the wire are converted to Duration here, once. `tube` and `body` point into the
// parser's input (or its own buffer) and are valid until the next Parser call.
struct Command {
  Verb verb = Verb::kQuit;
  uint64_t id = 0;           // peek, reserve-job, delete, release, bury, kick-job, touch, stats-job
  uint32_t pri = 0;          // put, release, bury
  Duration delay{};          // put, release, pause-tube (its <delay>)
  Duration ttr{};            // put (wire value; the queue raises < 1 s to 1 s)
  Duration timeout{};        // reserve-with-timeout
  uint32_t bound = 0;        // kick
  std::string_view tube;     // use, watch, ignore, stats-tube, pause-tube
  std::string_view body;     // put: exactly <bytes> bytes, without the trailing CRLF
};

// Protocol limits (beanstalkd dat.h).
inline constexpr size_t kMaxLineBytes = 224;  // including the CRLF
inline constexpr size_t kMaxTubeNameBytes = 200;
inline constexpr uint64_t kDefaultMaxJobBytes = 65535;
inline constexpr uint64_t kMaxMaxJobBytes = 1073741824;  // -z is capped here
inline constexpr uint32_t kUrgentPriority = 1024;        // pri < this counts as urgent

// True for a byte allowed in a tube name: A-Za-z0-9 and -+/;.$_() (beanstalkd's
// NAME_CHARS).
bool IsTubeNameChar(char c);

// True for a tube name beanstalkd accepts: 1..200 bytes of A-Za-z0-9-+/;.$_()
// not starting with '-'.
bool IsValidTubeName(std::string_view name);

}  // namespace stalk::proto
