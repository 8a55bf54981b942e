#include "cli/address.h"

#include <charconv>

#include <stalk/stalk.h>

namespace stalk::cli {
namespace {

Endpoint FromOptions(const Options& o) {
  Endpoint ep;
  if (!o.unix_path.empty()) {
    ep.unix_path = o.unix_path;
  } else {
    ep.host = o.host;
    ep.port = o.port;
  }
  return ep;
}

}  // namespace

std::string Endpoint::ToString() const {
  if (is_unix()) return "unix:" + unix_path;
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Outcome<uint16_t> ParsePort(std::string_view text, std::string_view what) {
  unsigned value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value == 0 || value > 65535) {
    return UsageError(std::string(what) + ": invalid port \"" + std::string(text) +
                      "\" (expected 1..65535)");
  }
  return static_cast<uint16_t>(value);
}

Outcome<Endpoint> ParseAddress(std::string_view text, std::string_view what) {
  Result<Options> o = stalk::ParseAddress(text);
  if (!o) {
    return UsageError(std::string(what) + ": " + o.status().message() +
                      " (expected host:port, tcp://host:port or unix:/path)");
  }
  return FromOptions(*o);
}

Outcome<Endpoint> ResolveEndpoint(const AddressFlags& flags) {
  if (flags.addr) {
    if (flags.host || flags.port) return UsageError("--addr cannot be combined with --host/--port");
    return ParseAddress(*flags.addr, "--addr");
  }
  Result<Options> env = stalk::DefaultAddress();
  if (!env) return UsageError(env.status().message());
  Endpoint ep = FromOptions(*env);  // DefaultAddress never yields a UNIX socket
  if (flags.host) {
    if (flags.host->empty()) return UsageError("--host: empty host");
    ep.host = *flags.host;
  }
  if (flags.port) {
    auto port = ParsePort(*flags.port, "--port");
    if (!port) return port.failure();
    ep.port = *port;
  }
  return ep;
}

}  // namespace stalk::cli
