#pragma once

// Where `stalk` connects: the --addr / --host / --port flags over the STALKD_HOST /
// STALKD_PORT environment. The address strings themselves are read by libstalk's
// own parser (stalk::ParseAddress, stalk::DefaultAddress in <stalk/stalk.h>), so
// the CLI and every libstalk program agree on what an address means.
// Thread-safe except that ResolveEndpoint reads the environment.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cli/exit_code.h"

namespace stalk::cli {

struct Endpoint {
  std::string host;       // empty for a UNIX socket
  uint16_t port = 0;
  std::string unix_path;  // set for "unix:/path"

  bool is_unix() const { return !unix_path.empty(); }
  // "host:port", "[v6]:port" or "unix:/path".
  std::string ToString() const;
};

// Parses "host:port", "tcp://host:port", "[::1]:port", "host" (port 11300) or
// "unix:/path" (stalk::ParseAddress). Fails with a usage error naming `what`.
Outcome<Endpoint> ParseAddress(std::string_view text, std::string_view what);

// Parses a port number 1..65535.
Outcome<uint16_t> ParsePort(std::string_view text, std::string_view what);

struct AddressFlags {
  std::optional<std::string> addr;  // --addr
  std::optional<std::string> host;  // --host / -H
  std::optional<std::string> port;  // --port / -p
};

// --addr alone; else the environment (stalk::DefaultAddress: STALKD_HOST, default
// localhost; STALKD_PORT, default 11300, which may be a container link
// tcp://h:p whose host then wins over STALKD_HOST), with --host and --port
// replacing their part. --addr together with --host or --port is a usage error.
Outcome<Endpoint> ResolveEndpoint(const AddressFlags& flags);

}  // namespace stalk::cli
