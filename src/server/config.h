#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace stalk::server {

// stalkd's settings, from beanstalkd-compatible flags (see docs/operations.md).
struct Config {
  std::string listen_address;  // -l; empty = all addresses; "unix:/path" = UNIX socket
  uint16_t port = 11300;        // -p
  uint64_t max_job_bytes = 65535;  // -z, capped at 1 GiB
  std::string user;             // -u: drop privileges after binding
  int verbosity = 0;            // -V, repeatable
  // Journal flags. Accepted now so that command lines written for beanstalkd
  // parse; -b refuses to start until the journal exists (it must not silently
  // run without the durability it promises).
  std::string binlog_dir;          // -b
  std::optional<int64_t> fsync_ms;  // -f
  bool never_fsync = false;         // -F
  uint64_t binlog_size_bytes = 10485760;  // -s
  // Scale-out (docs/redis_schema.md): keep every job in a Redis Cluster (or one Redis)
  // instead of this process's memory. Empty = the in-memory queue. Excludes -b.
  std::string redis_url;                  // --redis redis://host:port[,host:port...]
  int redis_wait_replicas = 0;            // --redis-wait-replicas: WAIT after mutations
  int64_t redis_wait_timeout_ms = 100;    // --redis-wait-timeout
};

// The outcome of reading the command line.
struct ParsedArgs {
  enum class Action { kRun, kExit };
  Action action = Action::kRun;
  int exit_code = 0;  // for kExit: 0 after -h/-v, 5 on a usage error (as beanstalkd)
  Config config;
};

// Parses beanstalkd's flags (-b -f -F -l -p -s -u -z -V -v -h, combinable as
// -VVV, values attached or separate) and their long forms. Writes usage, version
// and errors to stdout/stderr as beanstalkd does.
ParsedArgs ParseCommandLine(int argc, char** argv);

}  // namespace stalk::server
