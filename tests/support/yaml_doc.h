#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stalk::test {

// The test suites' own reading of the flat YAML documents of stats, stats-job,
// stats-tube and list-tubes*, and their own statement of the quoting rule. This is
// deliberately independent of src/proto: it is the oracle the server is checked
// against, so it must not share the server's code.

// The 1.13-style quoting rule stalkd follows for string values: a value is written
// bare when every common YAML reader (PyYAML/libyaml and go-yaml v2 for YAML 1.1,
// Ruby's Psych, and the YAML 1.2 core schema) reads the bare text back as that
// same string; otherwise it is double-quoted. Quoted because they would be read
// as something else: the empty string; null/bool words in any case (null, ~,
// true, yes, on, y...); ints and floats of either schema (123, +1, 0x1F, 0o17,
// 1_000, 1.5, 1e3, .inf, .nan); dates (2024-01-31); "<<" and "=". Quoted because
// they would not parse as one plain scalar: text starting with a blank or an
// indicator (- ? : , [ ] { } # & * ! | > ' " % @ `), containing ": " or " #",
// ending in ':' or a blank; control characters and bytes >= 0x7f.
bool YamlNeedsQuotes(std::string_view value);

// "\"" + value with '\\' and '"' escaped + "\"".
std::string YamlQuote(std::string_view value);

// How a server writes a string-valued field: beanstalkd 1.12 never quotes;
// stalkd quotes exactly when YamlNeedsQuotes().
std::string YamlStringScalar(bool beanstalkd_1_12, std::string_view value);

// A raw scalar as found in a document, with surrounding double quotes removed and
// escapes resolved. *was_quoted (if given) tells whether it was quoted.
std::string YamlUnquote(std::string_view raw, bool* was_quoted = nullptr);

// One parsed document: either a mapping ("key: value" lines, in order) or a
// sequence ("- item" lines). Values are kept raw (quotes included).
struct YamlDoc {
  bool is_list = false;
  std::vector<std::pair<std::string, std::string>> fields;  // mapping, in order
  std::vector<std::string> items;                           // sequence, in order

  // Raw value of `key`, or nullopt.
  std::optional<std::string> Get(std::string_view key) const;
};

// Parses "---\n" followed by "key: value\n" or "- item\n" lines. nullopt if the
// text is not of that shape.
std::optional<YamlDoc> ParseYamlDoc(std::string_view yaml);

// Splits a full "OK <n>\r\n<yaml>\r\n" reply. Returns the yaml, or nullopt when the
// envelope is malformed or <n> does not match.
std::optional<std::string> OkReplyBody(std::string_view reply);

// "OK <yaml.size()>\r\n" + yaml + "\r\n"
std::string OkReply(std::string_view yaml);

}  // namespace stalk::test
