#include "server/config.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "proto/command.h"
#include "server/version.h"

namespace stalk::server {

ParsedArgs ParseCommandLine(int argc, char** argv) {
  ParsedArgs out;
  Config& c = out.config;

  CLI::App app{"stalkd: a work-queue server speaking beanstalkd's protocol", "stalkd"};
  app.set_help_flag("-h,--help", "show this help");
  app.get_formatter()->column_width(28);

  int64_t fsync_ms = -1;
  bool print_version = false;
  int removed_flags = 0;
  app.add_option("-b,--binlog-dir", c.binlog_dir, "write-ahead log directory (persistence)");
  app.add_option("-f,--fsync-ms", fsync_ms, "fsync at most every MS milliseconds (default 50); 0 = every write")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("-F,--no-fsync", c.never_fsync, "never fsync");
  app.add_option("-l,--listen", c.listen_address, "listen on ADDR (default 0.0.0.0); unix:PATH for a UNIX socket");
  app.add_option("-p,--port", c.port, "listen on PORT (default 11300)");
  app.add_option("-s,--binlog-size", c.binlog_size_bytes, "size of each write-ahead log file (default 10485760)")
      ->check(CLI::PositiveNumber);
  app.add_option("-u,--user", c.user, "become USER and its primary group after binding");
  app.add_option("-z,--max-job-size", c.max_job_bytes, "maximum job size in bytes (default 65535)");
  app.add_flag("-V,--verbose", c.verbosity, "increase verbosity (repeatable)");
  app.add_flag("-v,--version", print_version, "show version information");
  app.add_option("--redis", c.redis_url,
                 "keep jobs in a Redis Cluster or Redis: redis://host:port[,host:port...]");
  app.add_option("--redis-wait-replicas", c.redis_wait_replicas,
                 "with --redis: wait for N replicas (WAIT) after each change (default 0)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--redis-wait-timeout", c.redis_wait_timeout_ms,
                 "with --redis: longest WAIT in milliseconds (default 100)")
      ->check(CLI::PositiveNumber);
  app.add_flag("-c,-n", removed_flags, "removed; the write-ahead log is always compacted")->group("");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cerr << app.help();
    out.action = ParsedArgs::Action::kExit;
    out.exit_code = 0;
    return out;
  } catch (const CLI::ParseError& e) {
    std::cerr << "stalkd: " << e.what() << "\n" << app.help();
    out.action = ParsedArgs::Action::kExit;
    out.exit_code = 5;
    return out;
  }
  if (print_version) {
    std::cout << "stalkd " << kStalkdVersion << " (beanstalkd 1.13 protocol)\n";
    out.action = ParsedArgs::Action::kExit;
    return out;
  }
  if (!c.redis_url.empty() && !c.binlog_dir.empty()) {
    std::cerr << "stalkd: -b and --redis exclude each other (with --redis the jobs live in "
                 "Redis)\n";
    out.action = ParsedArgs::Action::kExit;
    out.exit_code = 5;
    return out;
  }
  if (c.redis_url.empty() && c.redis_wait_replicas > 0) {
    std::cerr << "stalkd: --redis-wait-replicas needs --redis\n";
    out.action = ParsedArgs::Action::kExit;
    out.exit_code = 5;
    return out;
  }
  if (removed_flags > 0) std::cerr << "stalkd: -c/-n flag was removed. binlog is always compacted.\n";
  if (fsync_ms >= 0) c.fsync_ms = fsync_ms;
  if (c.max_job_bytes > proto::kMaxMaxJobBytes) {
    std::cerr << "stalkd: maximum job size was set to " << c.max_job_bytes << ", capped at "
              << proto::kMaxMaxJobBytes << "\n";
    c.max_job_bytes = proto::kMaxMaxJobBytes;
  }
  return out;
}

}  // namespace stalk::server
