#include "support/yaml_doc.h"

#include <regex>

namespace stalk::test {
namespace {

// Plain scalars that some common reader resolves to a non-string: the union of
// YAML 1.1 as PyYAML/libyaml resolve it, Ruby's Psych (case-insensitive
// booleans/null/.inf, ',' in numbers), go-yaml v2 (the 1.1 spec's y/n), and the
// YAML 1.2 core schema.
const std::regex& NonStringPlainScalar() {
  static const std::regex re(
      // null and booleans, any case (Psych), and the 1.1 single letters
      "~|[nN][uU][lL][lL]|y|Y|n|N"
      "|[yY][eE][sS]|[nN][oO]|[tT][rR][uU][eE]|[fF][aA][lL][sS][eE]|[oO][nN]|[oO][fF][fF]"
      // ints: 1.1 binary, octal, decimal (with '_' and Psych's ','), hex, sexagesimal
      "|[-+]?0b[0-1_,]+|[-+]?0[0-7_,]+|[-+]?(0|[1-9][0-9_,]*)|[-+]?0x[0-9a-fA-F_,]+"
      "|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+"
      // ints, 1.2 core
      "|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
      // floats, 1.1 (PyYAML) and Psych
      "|[-+]?[0-9][0-9_,]*\\.[0-9_]*([eE][-+]?[0-9]+)?|[-+]?\\.[0-9_]+([eE][-+]?[0-9]+)?"
      "|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*"
      "|[-+]?\\.[iI][nN][fF]|\\.[nN][aA][nN]"
      // floats, 1.2 core
      "|[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?"
      // timestamps, 1.1
      "|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
      "(([Tt]|[ \\t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\\.[0-9]*)?"
      "([ \\t]*(Z|[-+][0-9]{1,2}(:?[0-9]{2})?))?)?"
      // merge key and value key
      "|<<|=");
  return re;
}

}  // namespace

bool YamlNeedsQuotes(std::string_view value) {
  if (value.empty()) return true;
  for (char ch : value) {
    unsigned char c = static_cast<unsigned char>(ch);
    // Control characters cannot be written bare. Bytes >= 0x80 could be read
    // back bare as UTF-8, but a non-UTF-8 byte would break a reader: quoted too.
    if (c < 0x20 || c >= 0x7f) return true;
  }
  if (value.back() == ' ' || value.back() == ':') return true;
  // A leading indicator (or blank). "-x", "?x" and ":x" would read back as
  // strings, but they are quoted as well: simpler, and no protocol value (tube
  // names, host names) starts that way.
  static const std::string_view kIndicators = " -?:,[]{}#&*!|>'\"%@`";
  if (kIndicators.find(value.front()) != std::string_view::npos) return true;
  if (value.find(": ") != std::string_view::npos) return true;
  if (value.find(" #") != std::string_view::npos) return true;
  return std::regex_match(value.begin(), value.end(), NonStringPlainScalar());
}

std::string YamlQuote(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string YamlStringScalar(bool beanstalkd_1_12, std::string_view value) {
  if (beanstalkd_1_12 || !YamlNeedsQuotes(value)) return std::string(value);
  return YamlQuote(value);
}

std::string YamlUnquote(std::string_view raw, bool* was_quoted) {
  bool quoted = raw.size() >= 2 && raw.front() == '"' && raw.back() == '"';
  if (was_quoted != nullptr) *was_quoted = quoted;
  if (!quoted) return std::string(raw);
  std::string out;
  for (size_t i = 1; i + 1 < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 2 < raw.size()) ++i;
    out += raw[i];
  }
  return out;
}

std::optional<std::string> YamlDoc::Get(std::string_view key) const {
  for (const auto& [k, v] : fields) {
    if (k == key) return v;
  }
  return std::nullopt;
}

std::optional<YamlDoc> ParseYamlDoc(std::string_view yaml) {
  if (!yaml.starts_with("---\n")) return std::nullopt;
  yaml.remove_prefix(4);
  YamlDoc doc;
  bool first = true;
  while (!yaml.empty()) {
    size_t nl = yaml.find('\n');
    if (nl == std::string_view::npos) return std::nullopt;  // every line ends in \n
    std::string_view line = yaml.substr(0, nl);
    yaml.remove_prefix(nl + 1);
    if (line.starts_with("- ")) {
      if (!first && !doc.is_list) return std::nullopt;
      doc.is_list = true;
      doc.items.emplace_back(line.substr(2));
    } else {
      size_t colon = line.find(": ");
      if (colon == std::string_view::npos || (!first && doc.is_list)) return std::nullopt;
      doc.fields.emplace_back(std::string(line.substr(0, colon)),
                              std::string(line.substr(colon + 2)));
    }
    first = false;
  }
  return doc;
}

std::optional<std::string> OkReplyBody(std::string_view reply) {
  if (!reply.starts_with("OK ")) return std::nullopt;
  size_t eol = reply.find("\r\n");
  if (eol == std::string_view::npos) return std::nullopt;
  size_t n = 0;
  std::string_view digits = reply.substr(3, eol - 3);
  if (digits.empty()) return std::nullopt;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  std::string_view rest = reply.substr(eol + 2);
  if (rest.size() != n + 2 || !rest.ends_with("\r\n")) return std::nullopt;
  return std::string(rest.substr(0, n));
}

std::string OkReply(std::string_view yaml) {
  std::string out = "OK " + std::to_string(yaml.size()) + "\r\n";
  out.append(yaml);
  out += "\r\n";
  return out;
}

}  // namespace stalk::test
