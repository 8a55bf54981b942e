#pragma once

#include <cstdint>
#include <source_location>
#include <string>
#include <string_view>
#include <vector>

#include "support/wire_client.h"

namespace stalk::test {

// The exact expected bytes of a YAML reply ("OK <n>\r\n---\n...\r\n"), built field
// by field in wire order for one server flavour (beanstalkd 1.12 or stalkd).
//
// Most fields are exact. Fields whose value cannot be known in advance (age,
// uptime, pid-like values, rusage) are given as a range or a pattern: when the
// actual reply's value for that key satisfies it, the expectation takes the
// actual value, so the comparison of the whole reply stays byte-exact and any
// other difference (order, spelling, quoting, the <n> of the envelope) shows up
// in one diff.
class ExpectedDoc {
 public:
  explicit ExpectedDoc(bool beanstalkd_1_12) : beanstalkd_(beanstalkd_1_12) {}

  // "key: <value>" exactly.
  ExpectedDoc& Num(std::string key, uint64_t value);
  // "key: <word>" exactly, never quoted (state names, true/false).
  ExpectedDoc& Word(std::string key, std::string word);
  // A string field, quoted as the server flavour quotes (see YamlStringScalar).
  ExpectedDoc& Str(std::string key, std::string value);
  // An integer field with a value in [lo, hi].
  ExpectedDoc& Within(std::string key, int64_t lo, int64_t hi);
  // A field whose unquoted value matches `regex` (ECMAScript, whole value). With
  // `string_field`, the quoting must also be the flavour's (YamlStringScalar).
  ExpectedDoc& Matching(std::string key, std::string regex, bool string_field);
  // "version": "1.12" for beanstalkd 1.12, "1.13.0+stalkd.<x>" for stalkd, quoted as
  // VersionIsQuoted() says.
  ExpectedDoc& Version();
  // A "- item" line of a list document, quoted as the flavour quotes strings.
  ExpectedDoc& Item(std::string value);

  // The reply expected, given the actual reply (used only for the loose fields).
  std::string ExpectedReply(std::string_view actual_reply) const;

 private:
  enum class Kind { kExact, kRange, kPattern, kVersion, kItem };
  struct Field {
    Kind kind;
    std::string key;
    std::string text;  // exact rendering, or regex
    int64_t lo = 0, hi = 0;
    bool string_field = false;
  };
  bool beanstalkd_;
  std::vector<Field> fields_;
};

// Reads one reply from `c` and compares it, byte for byte, with `doc`.
bool ExpectDoc(WireClient& c, const ExpectedDoc& doc,
               std::source_location loc = std::source_location::current());

}  // namespace stalk::test
