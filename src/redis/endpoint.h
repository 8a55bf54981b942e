#pragma once

// Where a Redis node listens, and the parser for the server's --redis address option.
// Plain values and pure functions; thread-safe.

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace stalk::redis {

struct Endpoint {
  std::string host;  // a name or an address; IPv6 without brackets
  uint16_t port = 6379;

  // "host:port", or "[v6]:port" when host holds a ':'.
  std::string ToString() const;

  friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// Parses "redis://h:p[,h:p...]" into the seed nodes of a cluster (or the one node of a
// plain Redis). The "redis://" scheme is optional; a missing port means 6379; an IPv6
// address is written in brackets ("[::1]:7000"). Fails with kInvalidArgument and a message
// naming the bad part on: empty input or empty entry, another scheme, credentials ("@"),
// a path or database ("/0"), an empty host, a port that is not a number in 1..65535.
stalk::Result<std::vector<Endpoint>> ParseRedisAddress(std::string_view text);

}  // namespace stalk::redis
