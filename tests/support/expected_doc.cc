#include "support/expected_doc.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <regex>

#include "support/server_under_test.h"
#include "support/yaml_doc.h"

namespace stalk::test {

ExpectedDoc& ExpectedDoc::Num(std::string key, uint64_t value) {
  fields_.push_back({Kind::kExact, std::move(key), std::to_string(value)});
  return *this;
}

ExpectedDoc& ExpectedDoc::Word(std::string key, std::string word) {
  fields_.push_back({Kind::kExact, std::move(key), std::move(word)});
  return *this;
}

ExpectedDoc& ExpectedDoc::Str(std::string key, std::string value) {
  fields_.push_back({Kind::kExact, std::move(key), YamlStringScalar(beanstalkd_, value)});
  return *this;
}

ExpectedDoc& ExpectedDoc::Within(std::string key, int64_t lo, int64_t hi) {
  Field f{Kind::kRange, std::move(key), ""};
  f.lo = lo;
  f.hi = hi;
  fields_.push_back(std::move(f));
  return *this;
}

ExpectedDoc& ExpectedDoc::Matching(std::string key, std::string regex, bool string_field) {
  Field f{Kind::kPattern, std::move(key), std::move(regex)};
  f.string_field = string_field;
  fields_.push_back(std::move(f));
  return *this;
}

ExpectedDoc& ExpectedDoc::Version() {
  fields_.push_back({Kind::kVersion, "version", ""});
  return *this;
}

ExpectedDoc& ExpectedDoc::Item(std::string value) {
  fields_.push_back({Kind::kItem, "", YamlStringScalar(beanstalkd_, value)});
  return *this;
}

std::string ExpectedDoc::ExpectedReply(std::string_view actual_reply) const {
  std::optional<YamlDoc> actual;
  if (auto body = OkReplyBody(actual_reply)) actual = ParseYamlDoc(*body);
  auto actual_value = [&](const std::string& key) -> std::optional<std::string> {
    if (!actual) return std::nullopt;
    return actual->Get(key);
  };

  std::string yaml = "---\n";
  for (const Field& f : fields_) {
    std::string value;
    switch (f.kind) {
      case Kind::kExact:
        value = f.text;
        break;
      case Kind::kItem:
        yaml += "- " + f.text + "\n";
        continue;
      case Kind::kRange: {
        value = "<integer in " + std::to_string(f.lo) + ".." + std::to_string(f.hi) + ">";
        if (auto raw = actual_value(f.key)) {
          char* end = nullptr;
          long long n = std::strtoll(raw->c_str(), &end, 10);
          if (!raw->empty() && *end == '\0' && n >= f.lo && n <= f.hi) value = *raw;
        }
        break;
      }
      case Kind::kPattern: {
        value = "<matching /" + f.text + "/" + (f.string_field ? ", quoted as a string" : "") + ">";
        if (auto raw = actual_value(f.key)) {
          std::string unquoted = YamlUnquote(*raw);
          bool quoting_ok = !f.string_field || *raw == YamlStringScalar(beanstalkd_, unquoted);
          if (!f.string_field) unquoted = *raw;
          if (quoting_ok && std::regex_match(unquoted, std::regex(f.text))) value = *raw;
        }
        break;
      }
      case Kind::kVersion: {
        const bool quoted = VersionIsQuoted(beanstalkd_);
        value = beanstalkd_ ? "1.12" : "1.13.0+stalkd.<x>";
        if (quoted) value = "\"" + value + "\"";
        if (auto raw = actual_value(f.key)) {
          bool was_quoted = false;
          std::string unquoted = YamlUnquote(*raw, &was_quoted);
          if (was_quoted == quoted && VersionMatches(beanstalkd_, unquoted)) value = *raw;
        }
        break;
      }
    }
    yaml += f.key + ": " + value + "\n";
  }
  return OkReply(yaml);
}

bool ExpectDoc(WireClient& c, const ExpectedDoc& doc, std::source_location loc) {
  if (!c.ok()) return false;
  auto reply = c.ReadReply();
  if (!reply) {
    ADD_FAILURE_AT(loc.file_name(), static_cast<int>(loc.line()))
        << "no complete reply within the timeout; received so far: " << EscapeBytes(c.pending());
    return false;
  }
  std::string want = doc.ExpectedReply(*reply);
  if (want == *reply) return true;
  ADD_FAILURE_AT(loc.file_name(), static_cast<int>(loc.line()))
      << "YAML reply differs; line by line (- expected, + received):\n"
      << DescribeLineDiff(want, *reply, /*only_differences=*/false);
  return false;
}

}  // namespace stalk::test
