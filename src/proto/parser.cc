#include "proto/parser.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <climits>
#include <cstring>
#include <limits>

namespace stalk::proto {
namespace {

using std::chrono::seconds;

constexpr uint64_t kU32Max = std::numeric_limits<uint32_t>::max();
constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();

// beanstalkd's which_cmd: the first entry whose text is a prefix of the line
// wins, so the order matters ("reserve-with-timeout " before "reserve"). The
// prefixes that end in a space need an argument; the others are checked for
// trailing bytes by the verb itself (or, for quit, not at all). Matching whole
// words would be cleaner, but clients and beanstalkd's tests observe these
// prefix quirks ("quitx" quits, "pause-tubedefault 1" pauses), so we keep them.
struct Prefix {
  std::string_view text;
  Verb verb;
};
constexpr std::array<Prefix, kVerbCount> kPrefixes = {{
    {"put ", Verb::kPut},
    {"peek ", Verb::kPeek},
    {"peek-ready", Verb::kPeekReady},
    {"peek-delayed", Verb::kPeekDelayed},
    {"peek-buried", Verb::kPeekBuried},
    {"reserve-with-timeout ", Verb::kReserveWithTimeout},
    {"reserve-job ", Verb::kReserveJob},
    {"reserve", Verb::kReserve},
    {"delete ", Verb::kDelete},
    {"release ", Verb::kRelease},
    {"bury ", Verb::kBury},
    {"kick ", Verb::kKick},
    {"kick-job ", Verb::kKickJob},
    {"touch ", Verb::kTouch},
    {"stats-job ", Verb::kStatsJob},
    {"stats-tube ", Verb::kStatsTube},
    {"stats", Verb::kStats},
    {"use ", Verb::kUse},
    {"watch ", Verb::kWatch},
    {"ignore ", Verb::kIgnore},
    {"list-tubes-watched", Verb::kListTubesWatched},
    {"list-tube-used", Verb::kListTubeUsed},
    {"list-tubes", Verb::kListTubes},
    {"quit", Verb::kQuit},
    {"pause-tube", Verb::kPauseTube},
}};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// C-locale isspace(), as strtoul() uses it.
bool IsCSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// Accumulates the run of decimal digits at the start of `s` (at least one must
// be there). Returns the number of digits; *overflow is set when the value
// does not fit in 64 bits (strtoumax's ERANGE).
size_t ReadDigits(std::string_view s, uint64_t* value, bool* overflow) {
  uint64_t v = 0;
  bool over = false;
  size_t i = 0;
  for (; i < s.size() && IsDigit(s[i]); ++i) {
    const uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (kU64Max - d) / 10) {
      over = true;
    } else {
      v = v * 10 + d;
    }
  }
  *value = v;
  *overflow = over;
  return i;
}

// beanstalkd's read_u32()/read_u64(): skips spaces (only ' '), then needs a
// digit, so signs are refused; reads every following digit and fails when the
// value exceeds `max`. On success advances *rest past the digits; whatever
// follows is left for the caller (who refuses it where beanstalkd passes a NULL
// end pointer, i.e. for the last argument).
bool ReadNumber(std::string_view* rest, uint64_t max, uint64_t* out) {
  std::string_view s = *rest;
  size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  if (i == s.size() || !IsDigit(s[i])) return false;
  uint64_t v = 0;
  bool overflow = false;
  i += ReadDigits(s.substr(i), &v, &overflow);
  if (overflow || v > max) return false;
  *out = v;
  rest->remove_prefix(i);
  return true;
}

// The last argument of a command: a number with nothing after it.
bool ReadLastNumber(std::string_view rest, uint64_t max, uint64_t* out) {
  return ReadNumber(&rest, max, out) && rest.empty();
}

// `kick`'s bound: strtoul(3) into a 32-bit unsigned, as beanstalkd does.
// Leading white space and a sign are accepted, trailing bytes are ignored, a
// negative value wraps (-1 → 4294967295), and a value beyond 32 bits keeps its
// low 32 bits. Fails only when there is no digit or the magnitude overflows
// unsigned long (64 bits).
bool ReadKickBound(std::string_view s, uint32_t* out) {
  size_t i = 0;
  while (i < s.size() && IsCSpace(s[i])) ++i;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    negative = s[i] == '-';
    ++i;
  }
  if (i == s.size() || !IsDigit(s[i])) return false;
  uint64_t v = 0;
  bool overflow = false;
  ReadDigits(s.substr(i), &v, &overflow);
  if (overflow) return false;
  if (negative) v = 0 - v;  // unsigned negation, as strtoul does
  *out = static_cast<uint32_t>(v);
  return true;
}

// Index of the first "\r\n" in `s`, or npos.
size_t FindCrlf(std::string_view s) {
  size_t i = 0;
  while (i + 1 < s.size()) {
    const void* p = std::memchr(s.data() + i, '\r', s.size() - 1 - i);
    if (p == nullptr) return std::string_view::npos;
    const size_t j = static_cast<size_t>(static_cast<const char*>(p) - s.data());
    if (s[j + 1] == '\n') return j;
    i = j + 1;
  }
  return std::string_view::npos;
}

}  // namespace

Parser::Parser(uint64_t max_job_bytes) : max_job_bytes_(max_job_bytes) {}

Parser::Event Parser::Next(std::string_view in, size_t* consumed) {
  *consumed = 0;
  bytes_wanted_ = 0;
  error_counted_ = false;
  switch (state_) {
    case State::kDiscardLine:
      return DiscardLine(in, 0, consumed);
    case State::kDiscardBody:
      return DiscardBody(in, 0, consumed);
    case State::kLine:
      break;
  }
  return ParseLine(in, consumed);
}

Parser::Event Parser::DiscardLine(std::string_view in, size_t done, size_t* consumed) {
  // A '\r' that ended the previous input may pair with a '\n' starting this one.
  if (discard_saw_cr_ && !in.empty() && in.front() == '\n') {
    *consumed = done + 1;
    discard_saw_cr_ = false;
    state_ = State::kLine;
    return Event::kBadFormat;
  }
  const size_t eol = FindCrlf(in);
  if (eol != std::string_view::npos) {
    *consumed = done + eol + 2;
    discard_saw_cr_ = false;
    state_ = State::kLine;
    return Event::kBadFormat;
  }
  *consumed = done + in.size();
  if (!in.empty()) discard_saw_cr_ = in.back() == '\r';
  return Event::kNeedMore;
}

Parser::Event Parser::DiscardBody(std::string_view in, size_t done, size_t* consumed) {
  const uint64_t n = std::min<uint64_t>(discard_left_, in.size());
  discard_left_ -= n;
  *consumed = done + static_cast<size_t>(n);
  if (discard_left_ > 0) return Event::kNeedMore;
  state_ = State::kLine;
  return CountedError(Event::kJobTooBig, Verb::kPut);
}

Parser::Event Parser::ParseLine(std::string_view in, size_t* consumed) {
  const size_t eol = FindCrlf(in.substr(0, std::min(in.size(), kMaxLineBytes)));
  if (eol == std::string_view::npos) {
    if (in.size() < kMaxLineBytes) return Event::kNeedMore;
    // No CRLF within the first 224 bytes: the line is too long. Throw it away
    // up to and including its CRLF, which may start at the very last byte of
    // the window (beanstalkd misses that case; we do not).
    discard_saw_cr_ = in[kMaxLineBytes - 1] == '\r';
    state_ = State::kDiscardLine;
    return DiscardLine(in.substr(kMaxLineBytes), kMaxLineBytes, consumed);
  }

  const std::string_view line = in.substr(0, eol);
  const size_t line_bytes = eol + 2;
  *consumed = line_bytes;

  // beanstalkd NUL-terminates the line and compares strlen() with its length.
  if (line.find('\0') != std::string_view::npos) return Event::kBadFormat;

  const Prefix* match = nullptr;
  for (const Prefix& p : kPrefixes) {
    if (line.substr(0, p.text.size()) == p.text) {
      match = &p;
      break;
    }
  }
  if (match == nullptr) return Event::kUnknownCommand;

  command_ = Command{};
  command_.verb = match->verb;
  const std::string_view args = line.substr(match->text.size());
  uint64_t a = 0;
  uint64_t b = 0;
  uint64_t c = 0;

  switch (match->verb) {
    case Verb::kPut:
      return ParsePut(in, args, line_bytes, consumed);

    // Commands without arguments must be exactly their name.
    case Verb::kPeekReady:
    case Verb::kPeekDelayed:
    case Verb::kPeekBuried:
    case Verb::kReserve:
    case Verb::kStats:
    case Verb::kListTubesWatched:
    case Verb::kListTubeUsed:
    case Verb::kListTubes:
      return args.empty() ? Event::kCommand : Event::kBadFormat;

    case Verb::kQuit:  // never length-checked: "quitx" quits
      return Event::kCommand;

    case Verb::kPeek:
    case Verb::kReserveJob:
    case Verb::kDelete:
    case Verb::kKickJob:
    case Verb::kTouch:
    case Verb::kStatsJob:
      if (!ReadLastNumber(args, kU64Max, &a)) return Event::kBadFormat;
      command_.id = a;
      return Event::kCommand;

    case Verb::kReserveWithTimeout:
      // beanstalkd 1.13 (PR #607): read_u32 with no trailing bytes, and the
      // value must fit in an int.
      if (!ReadLastNumber(args, kU32Max, &a) || a > static_cast<uint64_t>(INT_MAX)) {
        return Event::kBadFormat;
      }
      command_.timeout = seconds(a);
      return Event::kCommand;

    case Verb::kRelease: {
      std::string_view rest = args;
      if (!ReadNumber(&rest, kU64Max, &a) || !ReadNumber(&rest, kU32Max, &b) ||
          !ReadLastNumber(rest, kU32Max, &c)) {
        return Event::kBadFormat;
      }
      command_.id = a;
      command_.pri = static_cast<uint32_t>(b);
      command_.delay = seconds(c);
      return Event::kCommand;
    }

    case Verb::kBury: {
      std::string_view rest = args;
      if (!ReadNumber(&rest, kU64Max, &a) || !ReadLastNumber(rest, kU32Max, &b)) {
        return Event::kBadFormat;
      }
      command_.id = a;
      command_.pri = static_cast<uint32_t>(b);
      return Event::kCommand;
    }

    case Verb::kKick: {
      uint32_t bound = 0;
      if (!ReadKickBound(args, &bound)) return Event::kBadFormat;
      command_.bound = bound;
      return Event::kCommand;
    }

    case Verb::kUse:
    case Verb::kWatch:
    case Verb::kIgnore:
    case Verb::kStatsTube:
      // The name is everything after the single space of the prefix, so
      // "use  foo" (two spaces) names " foo" and is refused.
      if (!IsValidTubeName(args)) return Event::kBadFormat;
      command_.tube = args;
      return Event::kCommand;

    case Verb::kPauseTube:
      return ParsePauseTube(args);
  }
  return Event::kUnknownCommand;  // not reached
}

Parser::Event Parser::ParsePauseTube(std::string_view args) {
  // The prefix "pause-tube" has no space, so the name may follow it directly
  // ("pause-tubedefault 1"). beanstalkd skips spaces, takes the longest run of
  // name characters, reads the delay (nothing may follow it), counts the
  // command, and only then validates the name (length, leading '-').
  size_t start = 0;
  while (start < args.size() && args[start] == ' ') ++start;
  size_t end = start;
  while (end < args.size() && IsTubeNameChar(args[end])) ++end;
  if (end == start) return Event::kBadFormat;
  uint64_t delay = 0;
  if (!ReadLastNumber(args.substr(end), kU32Max, &delay)) return Event::kBadFormat;
  const std::string_view name = args.substr(start, end - start);
  if (!IsValidTubeName(name)) return CountedError(Event::kBadFormat, Verb::kPauseTube);
  command_.tube = name;
  command_.delay = seconds(delay);
  return Event::kCommand;
}

Parser::Event Parser::ParsePut(std::string_view in, std::string_view args, size_t line_bytes,
                               size_t* consumed) {
  // Order of checks as in beanstalkd: the four numbers; then the put counts in
  // cmd-put; then the size limit (JOB_TOO_BIG, even with trailing garbage);
  // then trailing garbage (BAD_FORMAT). After a BAD_FORMAT only the line is
  // consumed, so the body that follows is parsed as commands, as beanstalkd does.
  std::string_view rest = args;
  uint64_t pri = 0;
  uint64_t delay = 0;
  uint64_t ttr = 0;
  uint64_t bytes = 0;
  if (!ReadNumber(&rest, kU32Max, &pri) || !ReadNumber(&rest, kU32Max, &delay) ||
      !ReadNumber(&rest, kU32Max, &ttr) || !ReadNumber(&rest, kU32Max, &bytes)) {
    return Event::kBadFormat;
  }
  if (bytes > max_job_bytes_) {
    state_ = State::kDiscardBody;
    discard_left_ = bytes + 2;
    return DiscardBody(in.substr(line_bytes), line_bytes, consumed);
  }
  if (!rest.empty()) return CountedError(Event::kBadFormat, Verb::kPut);

  const size_t need = line_bytes + static_cast<size_t>(bytes) + 2;
  if (in.size() < need) {
    *consumed = 0;
    bytes_wanted_ = need;
    return Event::kNeedMore;
  }
  *consumed = need;
  if (in.substr(need - 2, 2) != "\r\n") return CountedError(Event::kExpectedCrlf, Verb::kPut);
  command_.pri = static_cast<uint32_t>(pri);
  command_.delay = seconds(delay);
  command_.ttr = seconds(ttr);
  command_.body = in.substr(line_bytes, static_cast<size_t>(bytes));
  return Event::kCommand;
}

}  // namespace stalk::proto
