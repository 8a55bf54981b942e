#include "proto/stats.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <variant>

namespace stalk::proto {
namespace {

// ---------------------------------------------------------------------------
// Scalars

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Plain words a YAML 1.1 reader (PyYAML, Ruby Psych) or a YAML 1.2 core
// reader turns into null, a bool, or a special key. Psych compares null and the
// bools case-insensitively, so we do too.
bool IsReservedWord(std::string_view v) {
  static constexpr std::string_view kWords[] = {"null", "yes", "no", "true", "false", "on", "off"};
  if (v == "~" || v == "y" || v == "Y" || v == "n" || v == "N" || v == "=" || v == "<<") {
    return true;
  }
  for (std::string_view w : kWords) {
    if (EqualsIgnoreCase(v, w)) return true;
  }
  return false;
}

// Numbers and timestamps: the union of what PyYAML's and Psych's YAML 1.1
// resolvers and the YAML 1.2 core schema read as non-strings. As a regular
// expression over the whole value (hand-matched below, with no backtracking
// needed):
//
//   [-+]? ( 0b[01_,]+ | 0o?[0-7_,]+ | 0x[0-9a-fA-F_,]+      binary, octal, hex
//         | [0-9][0-9_,]*                                     decimal ('_' and Psych's ',')
//         | [0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?           sexagesimal (1.1)
//         | ([0-9][0-9_,]*\.[0-9_]*|\.[0-9][0-9_]*|\.(?=[eE]))([eE][-+]?[0-9]+)?   float
//         | [0-9][0-9_]*[eE][-+]?[0-9]+                       1e3 (1.2)
//         | \.inf )                                           any case (Psych)
//   | \.nan                                                   any case (Psych)
//   | -?[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}                        date, optionally a time:
//     (([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]*)?([
//     \t]*(Z|[-+][0-9]{1,2}(:?[0-9]{2})?))?)?
//
// It errs towards quoting where the readers differ (a value one reader takes
// for a number is quoted even if another would not).
constexpr std::string_view kDigits = "0123456789";
constexpr std::string_view kDecimalChars = "0123456789_,";
constexpr std::string_view kFractionChars = "0123456789_";

// A cursor over a value for the hand-written matchers below.
class Matcher {
 public:
  explicit Matcher(std::string_view s) : s_(s) {}

  bool AtEnd() const { return i_ == s_.size(); }
  // The byte `ahead` positions on, or '\0' past the end.
  char Peek(size_t ahead = 0) const { return i_ + ahead < s_.size() ? s_[i_ + ahead] : '\0'; }
  bool Eat(char c) { return EatAny(std::string_view(&c, 1)); }
  bool EatAny(std::string_view set) {
    if (AtEnd() || set.find(s_[i_]) == std::string_view::npos) return false;
    ++i_;
    return true;
  }
  size_t EatRun(std::string_view set) {
    size_t n = 0;
    while (EatAny(set)) ++n;
    return n;
  }
  size_t EatDigits() { return EatRun(kDigits); }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

bool IsDigitChar(char c) { return c >= '0' && c <= '9'; }

bool IsPrefixedInt(std::string_view b) {
  if (b.size() < 2 || b[0] != '0') return false;
  Matcher m(b.substr(1));
  if (m.Eat('b')) return m.EatRun("01_,") > 0 && m.AtEnd();
  if (m.Eat('x')) return m.EatRun("0123456789abcdefABCDEF_,") > 0 && m.AtEnd();
  m.Eat('o');
  return m.EatRun("01234567_,") > 0 && m.AtEnd();
}

bool IsDecimalInt(std::string_view b) {
  Matcher m(b);
  if (!m.EatAny(kDigits)) return false;
  m.EatRun(kDecimalChars);
  return m.AtEnd();
}

bool IsSexagesimal(std::string_view b) {
  Matcher m(b);
  if (!m.EatAny(kDigits)) return false;
  m.EatRun(kFractionChars);
  size_t groups = 0;
  while (m.Eat(':')) {
    // [0-5]?[0-9], and what follows must be ':', '.' or the end (no digit).
    if (!IsDigitChar(m.Peek())) return false;
    if (m.Peek() <= '5' && IsDigitChar(m.Peek(1))) {
      m.EatAny(kDigits);
    }
    m.EatAny(kDigits);
    ++groups;
  }
  if (groups == 0) return false;
  if (m.Eat('.')) m.EatRun(kFractionChars);
  return m.AtEnd();
}

bool IsExponentEnd(Matcher& m) {  // ([eE][-+]?[0-9]+)? then the end
  if (m.EatAny("eE")) {
    m.EatAny("+-");
    if (m.EatDigits() == 0) return false;
  }
  return m.AtEnd();
}

bool IsFloat(std::string_view b) {
  Matcher m(b);
  if (m.EatAny(kDigits)) {
    m.EatRun(kDecimalChars);
    if (!m.Eat('.')) return false;
    m.EatRun(kFractionChars);
    return IsExponentEnd(m);
  }
  if (!m.Eat('.')) return false;
  if (m.EatAny(kDigits)) {
    m.EatRun(kFractionChars);
    return IsExponentEnd(m);
  }
  // ".e5": only with an exponent (a bare "." is a string everywhere).
  return (m.Peek() == 'e' || m.Peek() == 'E') && IsExponentEnd(m);
}

bool IsExponentInt(std::string_view b) {
  Matcher m(b);
  if (!m.EatAny(kDigits)) return false;
  m.EatRun(kFractionChars);
  if (!m.EatAny("eE")) return false;
  m.EatAny("+-");
  return m.EatDigits() > 0 && m.AtEnd();
}

bool IsTimestamp(std::string_view v) {
  Matcher m(v);
  m.Eat('-');
  if (m.EatDigits() != 4 || !m.Eat('-')) return false;
  size_t n = m.EatDigits();
  if (n < 1 || n > 2 || !m.Eat('-')) return false;
  n = m.EatDigits();
  if (n < 1 || n > 2) return false;
  if (m.AtEnd()) return true;  // a date
  if (!m.EatAny("Tt") && m.EatRun(" \t") == 0) return false;
  n = m.EatDigits();
  if (n < 1 || n > 2 || !m.Eat(':') || m.EatDigits() != 2 || !m.Eat(':') || m.EatDigits() != 2) {
    return false;
  }
  if (m.Eat('.')) m.EatDigits();
  if (m.AtEnd()) return true;
  m.EatRun(" \t");
  if (m.Eat('Z')) return m.AtEnd();
  if (!m.EatAny("+-")) return false;
  n = m.EatDigits();  // [0-9]{1,2}(:?[0-9]{2})?
  if (m.Eat(':')) return n >= 1 && n <= 2 && m.EatDigits() == 2 && m.AtEnd();
  return n >= 1 && n <= 4 && m.AtEnd();
}

bool LooksNumericOrTimestamp(std::string_view v) {
  if (EqualsIgnoreCase(v, ".nan")) return true;
  if (IsTimestamp(v)) return true;
  std::string_view b = v;
  if (!b.empty() && (b[0] == '-' || b[0] == '+')) b.remove_prefix(1);
  if (b.empty() || !(IsDigitChar(b[0]) || b[0] == '.')) return false;
  return EqualsIgnoreCase(b, ".inf") || IsPrefixedInt(b) || IsDecimalInt(b) || IsSexagesimal(b) ||
         IsFloat(b) || IsExponentInt(b);
}

bool IsIndicator(char c) {
  switch (c) {
    case '-':
    case '?':
    case ':':
    case ',':
    case '[':
    case ']':
    case '{':
    case '}':
    case '#':
    case '&':
    case '*':
    case '!':
    case '|':
    case '>':
    case '\'':
    case '"':
    case '%':
    case '@':
    case '`':
    case ' ':
      return true;
    default:
      return false;
  }
}

void AppendQuoted(std::string* out, std::string_view v) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\0':
        out->append("\\0");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out->append("\\x");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xf]);
        } else {
          out->push_back(ch);  // printable ASCII, or a UTF-8 byte left as is
        }
    }
  }
  out->push_back('"');
}

void AppendScalar(std::string* out, std::string_view v) {
  if (YamlNeedsQuotes(v)) {
    AppendQuoted(out, v);
  } else {
    out->append(v);
  }
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

bool ParseHex(std::string_view s, uint32_t* out) {
  uint32_t v = 0;
  for (char c : s) {
    v <<= 4;
    if (c >= '0' && c <= '9') {
      v |= static_cast<uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      v |= static_cast<uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      v |= static_cast<uint32_t>(c - 'A' + 10);
    } else {
      return false;
    }
  }
  *out = v;
  return true;
}

// The one-character escapes of a YAML double-quoted scalar, as code points.
bool SimpleEscape(char e, uint32_t* cp) {
  static constexpr std::pair<char, uint32_t> kEscapes[] = {
      {'0', 0x00}, {'a', 0x07},  {'b', 0x08}, {'t', 0x09}, {'\t', 0x09},  {'n', 0x0a},
      {'v', 0x0b}, {'f', 0x0c},  {'r', 0x0d}, {'e', 0x1b}, {' ', 0x20},   {'"', 0x22},
      {'/', 0x2f}, {'\\', 0x5c}, {'N', 0x85}, {'_', 0xa0}, {'L', 0x2028}, {'P', 0x2029},
  };
  for (const auto& [c, v] : kEscapes) {
    if (c == e) {
      *cp = v;
      return true;
    }
  }
  return false;
}

bool OnlySpaces(std::string_view s) { return s.find_first_not_of(" \t") == std::string_view::npos; }

// Reads the value part of "key: value" or "- value": double-quoted (YAML
// escapes), single-quoted ('' is a quote), or bare. A bare value is taken
// literally up to the end of the line (trailing blanks dropped), so beanstalkd
// 1.12's unquoted "os: #1 SMP ..." reads as the text it meant, not as a comment.
bool DecodeScalar(std::string_view raw, std::string* out) {
  out->clear();
  while (!raw.empty() && (raw.front() == ' ' || raw.front() == '\t')) raw.remove_prefix(1);
  if (raw.empty()) return true;
  if (raw.front() == '"') {
    size_t i = 1;
    for (;;) {
      if (i >= raw.size()) return false;  // unterminated
      const char c = raw[i++];
      if (c == '"') break;
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (i >= raw.size()) return false;
      const char e = raw[i++];
      size_t hex_digits = 0;
      uint32_t cp = 0;
      if (e == 'x') {
        hex_digits = 2;
      } else if (e == 'u') {
        hex_digits = 4;
      } else if (e == 'U') {
        hex_digits = 8;
      } else if (!SimpleEscape(e, &cp)) {
        return false;
      }
      if (hex_digits == 0) {
        AppendUtf8(out, cp);
        continue;
      }
      if (raw.size() - i < hex_digits || !ParseHex(raw.substr(i, hex_digits), &cp)) return false;
      if (cp > 0x10ffff) return false;
      i += hex_digits;
      AppendUtf8(out, cp);
    }
    return OnlySpaces(raw.substr(i));
  }
  if (raw.front() == '\'') {
    size_t i = 1;
    for (;;) {
      if (i >= raw.size()) return false;
      const char c = raw[i++];
      if (c == '\'') {
        if (i < raw.size() && raw[i] == '\'') {
          out->push_back('\'');
          ++i;
          continue;
        }
        break;
      }
      out->push_back(c);
    }
    return OnlySpaces(raw.substr(i));
  }
  while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t')) raw.remove_suffix(1);
  out->assign(raw);
  return true;
}

// ---------------------------------------------------------------------------
// Numbers

void AppendUint(std::string* out, uint64_t n) {
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof buf, n);
  out->append(buf, static_cast<size_t>(res.ptr - buf));
}

void AppendInt(std::string* out, int64_t n) {
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof buf, n);
  out->append(buf, static_cast<size_t>(res.ptr - buf));
}

// beanstalkd prints rusage as "%d.%06d" of a struct timeval.
void AppendRusage(std::string* out, int64_t us) {
  if (us < 0) us = 0;
  AppendInt(out, us / 1000000);
  out->push_back('.');
  int64_t frac = us % 1000000;
  char buf[6];
  for (int i = 5; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  out->append(buf, sizeof buf);
}

bool ParseUint(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  const auto res = std::from_chars(s.data(), s.data() + s.size(), *out);
  return res.ec == std::errc() && res.ptr == s.data() + s.size();
}

bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  const auto res = std::from_chars(s.data(), s.data() + s.size(), *out);
  return res.ec == std::errc() && res.ptr == s.data() + s.size();
}

bool ParseRusage(std::string_view s, int64_t* us) {
  const size_t dot = s.find('.');
  int64_t sec = 0;
  if (!ParseInt(s.substr(0, dot), &sec) || sec < 0) return false;
  int64_t frac = 0;
  if (dot != std::string_view::npos) {
    std::string_view f = s.substr(dot + 1);
    if (f.empty() || f.size() > 9) return false;
    for (char c : f) {
      if (c < '0' || c > '9') return false;
    }
    std::string padded(f);
    padded.resize(6, '0');
    padded.resize(6);
    if (!ParseInt(padded, &frac)) return false;
  }
  *us = sec * 1000000 + frac;
  return true;
}

// ---------------------------------------------------------------------------
// Documents: one table of fields per document, in beanstalkd 1.13's order, used
// both to write and to read.

enum class Style : uint8_t {
  kPlain,   // numbers, state, draining: written as is
  kScalar,  // strings under the quoting rule (YamlScalar)
  kRusage,  // microseconds written as seconds "%d.%06d"
};

template <class S>
struct Field {
  std::string_view key;
  std::variant<uint64_t S::*, int64_t S::*, uint32_t S::*, std::string S::*, bool S::*, Verb>
      member;
  Style style = Style::kPlain;
};

// The cmd-* counters live in an array indexed by Verb (ServerStats only).
template <class S>
uint64_t* CmdCounter(S& s, Verb v) {
  if constexpr (std::is_same_v<std::remove_const_t<S>, ServerStats>) {
    return const_cast<uint64_t*>(&s.cmd[static_cast<size_t>(v)]);
  } else {
    return nullptr;
  }
}

template <class S, size_t N>
std::string Encode(const S& s, const std::array<Field<S>, N>& fields) {
  std::string out = "---\n";
  out.reserve(N * 32);
  for (const Field<S>& f : fields) {
    out.append(f.key);
    out.append(": ");
    std::visit(
        [&](auto m) {
          using M = decltype(m);
          if constexpr (std::is_same_v<M, Verb>) {
            AppendUint(&out, *CmdCounter(s, m));
          } else {
            const auto& v = s.*m;
            using V = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<V, std::string>) {
              if (f.style == Style::kScalar) {
                AppendScalar(&out, v);
              } else {
                out.append(v);
              }
            } else if constexpr (std::is_same_v<V, bool>) {
              out.append(v ? "true" : "false");
            } else if constexpr (std::is_same_v<V, int64_t>) {
              if (f.style == Style::kRusage) {
                AppendRusage(&out, v);
              } else {
                AppendInt(&out, v);
              }
            } else {
              AppendUint(&out, v);
            }
          }
        },
        f.member);
    out.push_back('\n');
  }
  return out;
}

// Splits `yaml` into lines, dropping a trailing '\r' of each (the wire envelope
// ends the document with "\r\n") and blank lines. Requires the "---" header.
template <class Fn>
bool ForEachLine(std::string_view yaml, Fn&& fn) {
  bool header = false;
  while (!yaml.empty()) {
    const size_t nl = yaml.find('\n');
    std::string_view line = yaml.substr(0, nl);
    yaml = nl == std::string_view::npos ? std::string_view() : yaml.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (OnlySpaces(line)) continue;
    if (!header) {
      if (line != "---") return false;
      header = true;
      continue;
    }
    if (!fn(line)) return false;
  }
  return header;
}

template <class S, size_t N>
bool Decode(std::string_view yaml, const std::array<Field<S>, N>& fields,
            std::string_view required_key, S* out) {
  S s{};
  bool seen_required = false;
  std::string value;
  const bool ok = ForEachLine(yaml, [&](std::string_view line) {
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    const std::string_view key = line.substr(0, colon);
    const std::string_view rest = line.substr(colon + 1);
    if (!rest.empty() && rest.front() != ' ' && rest.front() != '\t') return false;
    if (!DecodeScalar(rest, &value)) return false;
    for (const Field<S>& f : fields) {
      if (f.key != key) continue;
      if (key == required_key) seen_required = true;
      return std::visit(
          [&](auto m) -> bool {
            using M = decltype(m);
            if constexpr (std::is_same_v<M, Verb>) {
              return ParseUint(value, CmdCounter(s, m));
            } else {
              auto& v = s.*m;
              using V = std::decay_t<decltype(v)>;
              if constexpr (std::is_same_v<V, std::string>) {
                v = value;
                return true;
              } else if constexpr (std::is_same_v<V, bool>) {
                if (value == "true") {
                  v = true;
                } else if (value == "false") {
                  v = false;
                } else {
                  return false;
                }
                return true;
              } else if constexpr (std::is_same_v<V, int64_t>) {
                return f.style == Style::kRusage ? ParseRusage(value, &v) : ParseInt(value, &v);
              } else if constexpr (std::is_same_v<V, uint32_t>) {
                uint64_t w = 0;
                if (!ParseUint(value, &w) || w > UINT32_MAX) return false;
                v = static_cast<uint32_t>(w);
                return true;
              } else {
                return ParseUint(value, &v);
              }
            }
          },
          f.member);
    }
    return true;  // a key we do not know (a newer or older server): ignored
  });
  if (!ok || !seen_required) return false;
  *out = std::move(s);
  return true;
}

using J = JobStats;
const auto kJobFields = std::to_array<Field<J>>({
    {"id", &J::id},
    {"tube", &J::tube, Style::kScalar},
    {"state", &J::state},
    {"pri", &J::pri},
    {"age", &J::age_s},
    {"delay", &J::delay_s},
    {"ttr", &J::ttr_s},
    {"time-left", &J::time_left_s},
    {"file", &J::file},
    {"reserves", &J::reserves},
    {"timeouts", &J::timeouts},
    {"releases", &J::releases},
    {"buries", &J::buries},
    {"kicks", &J::kicks},
});

using T = TubeStats;
const auto kTubeFields = std::to_array<Field<T>>({
    {"name", &T::name, Style::kScalar},
    {"current-jobs-urgent", &T::current_jobs_urgent},
    {"current-jobs-ready", &T::current_jobs_ready},
    {"current-jobs-reserved", &T::current_jobs_reserved},
    {"current-jobs-delayed", &T::current_jobs_delayed},
    {"current-jobs-buried", &T::current_jobs_buried},
    {"total-jobs", &T::total_jobs},
    {"current-using", &T::current_using},
    {"current-watching", &T::current_watching},
    {"current-waiting", &T::current_waiting},
    {"cmd-delete", &T::cmd_delete},
    {"cmd-pause-tube", &T::cmd_pause_tube},
    {"pause", &T::pause_s},
    {"pause-time-left", &T::pause_time_left_s},
});

// prot.c STATS_FMT order. Note the cmd-* order is not the Verb order, and
// kick-job, reserve-job and quit are not shown.
using SS = ServerStats;
const auto kServerFields = std::to_array<Field<SS>>({
    {"current-jobs-urgent", &SS::current_jobs_urgent},
    {"current-jobs-ready", &SS::current_jobs_ready},
    {"current-jobs-reserved", &SS::current_jobs_reserved},
    {"current-jobs-delayed", &SS::current_jobs_delayed},
    {"current-jobs-buried", &SS::current_jobs_buried},
    {"cmd-put", Verb::kPut},
    {"cmd-peek", Verb::kPeek},
    {"cmd-peek-ready", Verb::kPeekReady},
    {"cmd-peek-delayed", Verb::kPeekDelayed},
    {"cmd-peek-buried", Verb::kPeekBuried},
    {"cmd-reserve", Verb::kReserve},
    {"cmd-reserve-with-timeout", Verb::kReserveWithTimeout},
    {"cmd-delete", Verb::kDelete},
    {"cmd-release", Verb::kRelease},
    {"cmd-use", Verb::kUse},
    {"cmd-watch", Verb::kWatch},
    {"cmd-ignore", Verb::kIgnore},
    {"cmd-bury", Verb::kBury},
    {"cmd-kick", Verb::kKick},
    {"cmd-touch", Verb::kTouch},
    {"cmd-stats", Verb::kStats},
    {"cmd-stats-job", Verb::kStatsJob},
    {"cmd-stats-tube", Verb::kStatsTube},
    {"cmd-list-tubes", Verb::kListTubes},
    {"cmd-list-tube-used", Verb::kListTubeUsed},
    {"cmd-list-tubes-watched", Verb::kListTubesWatched},
    {"cmd-pause-tube", Verb::kPauseTube},
    {"job-timeouts", &SS::job_timeouts},
    {"total-jobs", &SS::total_jobs},
    {"max-job-size", &SS::max_job_size},
    {"current-tubes", &SS::current_tubes},
    {"current-connections", &SS::current_connections},
    {"current-producers", &SS::current_producers},
    {"current-workers", &SS::current_workers},
    {"current-waiting", &SS::current_waiting},
    {"total-connections", &SS::total_connections},
    {"pid", &SS::pid},
    // beanstalkd quotes version because a bare 1.12 reads as a float; ours,
    // 1.13.0+stalkd.x, reads back as the same string, so the rule writes it bare.
    {"version", &SS::version, Style::kScalar},
    {"rusage-utime", &SS::rusage_utime_us, Style::kRusage},
    {"rusage-stime", &SS::rusage_stime_us, Style::kRusage},
    {"uptime", &SS::uptime_s},
    {"binlog-oldest-index", &SS::binlog_oldest_index},
    {"binlog-current-index", &SS::binlog_current_index},
    {"binlog-records-migrated", &SS::binlog_records_migrated},
    {"binlog-records-written", &SS::binlog_records_written},
    {"binlog-max-size", &SS::binlog_max_size},
    {"draining", &SS::draining},
    {"id", &SS::id, Style::kScalar},
    {"hostname", &SS::hostname, Style::kScalar},
    {"os", &SS::os, Style::kScalar},
    {"platform", &SS::platform, Style::kScalar},
});

}  // namespace

bool YamlNeedsQuotes(std::string_view v) {
  if (v.empty()) return true;
  for (char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f) return true;
  }
  if (IsIndicator(v.front())) return true;
  if (v.back() == ' ' || v.back() == ':') return true;
  if (v.find(": ") != std::string_view::npos || v.find(" #") != std::string_view::npos) {
    return true;
  }
  return IsReservedWord(v) || LooksNumericOrTimestamp(v);
}

std::string YamlScalar(std::string_view value) {
  std::string out;
  AppendScalar(&out, value);
  return out;
}

std::string EncodeJobStats(const JobStats& s) { return Encode(s, kJobFields); }
std::string EncodeTubeStats(const TubeStats& s) { return Encode(s, kTubeFields); }
std::string EncodeServerStats(const ServerStats& s) { return Encode(s, kServerFields); }

std::string EncodeTubeList(const std::vector<std::string>& names) {
  std::string out = "---\n";
  for (const std::string& name : names) {
    out.append("- ");
    AppendScalar(&out, name);
    out.push_back('\n');
  }
  return out;
}

bool DecodeJobStats(std::string_view yaml, JobStats* out) {
  return Decode(yaml, kJobFields, "id", out);
}

bool DecodeTubeStats(std::string_view yaml, TubeStats* out) {
  return Decode(yaml, kTubeFields, "name", out);
}

bool DecodeServerStats(std::string_view yaml, ServerStats* out) {
  return Decode(yaml, kServerFields, "pid", out);
}

bool DecodeTubeList(std::string_view yaml, std::vector<std::string>* out) {
  std::vector<std::string> names;
  std::string value;
  const bool ok = ForEachLine(yaml, [&](std::string_view line) {
    if (line.size() < 2 || line[0] != '-' || line[1] != ' ') return false;
    if (!DecodeScalar(line.substr(2), &value)) return false;
    names.push_back(value);
    return true;
  });
  if (!ok) return false;
  *out = std::move(names);
  return true;
}

}  // namespace stalk::proto
