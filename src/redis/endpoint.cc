#include "redis/endpoint.h"

#include <charconv>

namespace stalk::redis {
namespace {

Status Bad(std::string_view text, std::string_view why) {
  return Status(StatusCode::kInvalidArgument,
                "bad Redis address '" + std::string(text) + "': " + std::string(why));
}

Result<Endpoint> ParseOne(std::string_view whole, std::string_view entry) {
  if (entry.empty()) return Bad(whole, "empty host:port entry");
  Endpoint out;
  std::string_view port_text;
  bool has_port = false;
  if (entry.front() == '[') {
    const size_t close = entry.find(']');
    if (close == std::string_view::npos) return Bad(whole, "unclosed '[' in an IPv6 address");
    out.host = std::string(entry.substr(1, close - 1));
    std::string_view rest = entry.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return Bad(whole, "expected ':' after ']'");
      port_text = rest.substr(1);
      has_port = true;
    }
  } else {
    const size_t colon = entry.find(':');
    if (colon != entry.rfind(':')) {
      return Bad(whole, "an IPv6 address must be written in brackets, e.g. [::1]:7000");
    }
    out.host = std::string(entry.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = entry.substr(colon + 1);
      has_port = true;
    }
  }
  if (out.host.empty()) return Bad(whole, "empty host");
  if (has_port) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
        port == 0 || port > 65535) {
      return Bad(whole, "port '" + std::string(port_text) + "' is not a number in 1..65535");
    }
    out.port = static_cast<uint16_t>(port);
  }
  return out;
}

}  // namespace

std::string Endpoint::ToString() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Result<std::vector<Endpoint>> ParseRedisAddress(std::string_view text) {
  std::string_view rest = text;
  const size_t scheme_end = rest.find("://");
  if (scheme_end != std::string_view::npos) {
    if (rest.substr(0, scheme_end) != "redis") {
      return Bad(text, "unsupported scheme '" + std::string(rest.substr(0, scheme_end)) +
                           "' (only redis:// is supported; no TLS)");
    }
    rest.remove_prefix(scheme_end + 3);
  }
  if (rest.empty()) return Bad(text, "no host given");
  if (rest.find('@') != std::string_view::npos) return Bad(text, "credentials are not supported");
  if (rest.find('/') != std::string_view::npos) {
    return Bad(text, "a path or database number is not supported");
  }
  std::vector<Endpoint> seeds;
  while (true) {
    const size_t comma = rest.find(',');
    Result<Endpoint> one = ParseOne(text, rest.substr(0, comma));
    if (!one.ok()) return one.status();
    seeds.push_back(std::move(*one));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return seeds;
}

}  // namespace stalk::redis
