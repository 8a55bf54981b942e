#pragma once

#include <string_view>

namespace stalk::server {

// stalkd's own version.
inline constexpr std::string_view kStalkdVersion = "0.1.0";
// The `version` reported by `stats`: the beanstalkd protocol version first, so
// that clients which check beanstalkd's version read 1.13, then ours as semver
// build metadata. Valid semver and PEP 440. See docs/protocol.md.
inline constexpr std::string_view kStatsVersion = "1.13.0+stalkd.0.1.0";

}  // namespace stalk::server
