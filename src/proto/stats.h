#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proto/command.h"
#include "stalk/stats.h"

namespace stalk::proto {

// The documents of stats-job, stats-tube and stats as they travel on the wire,
// in seconds. Field order in the YAML is beanstalkd 1.13's (prot.c STATS_*_FMT);
// see docs/protocol.md. The server fills these; the client parses them.

// stats-job and stats-tube are libstalk's public structs (stalk/stats.h): one
// definition for the server that encodes them and the client that decodes them.
using JobStats = ::stalk::JobStats;
using TubeStats = ::stalk::TubeStats;

struct ServerStats {
  uint64_t current_jobs_urgent = 0;
  uint64_t current_jobs_ready = 0;
  uint64_t current_jobs_reserved = 0;
  uint64_t current_jobs_delayed = 0;
  uint64_t current_jobs_buried = 0;
  // cmd-* counters indexed by Verb. kick-job, reserve-job and quit are counted
  // but, as in beanstalkd, not shown.
  std::array<uint64_t, kVerbCount> cmd{};
  uint64_t job_timeouts = 0;
  uint64_t total_jobs = 0;
  uint64_t max_job_size = 0;
  uint64_t current_tubes = 0;
  uint64_t current_connections = 0;
  uint64_t current_producers = 0;
  uint64_t current_workers = 0;
  uint64_t current_waiting = 0;
  uint64_t total_connections = 0;
  int64_t pid = 0;
  std::string version;
  int64_t rusage_utime_us = 0;  // printed as %d.%06d seconds
  int64_t rusage_stime_us = 0;
  int64_t uptime_s = 0;
  uint64_t binlog_oldest_index = 0;
  uint64_t binlog_current_index = 0;
  uint64_t binlog_records_migrated = 0;
  uint64_t binlog_records_written = 0;
  uint64_t binlog_max_size = 0;
  bool draining = false;
  std::string id;  // 16 hex chars, random per process start
  std::string hostname;
  std::string os;
  std::string platform;
};

// YAML documents ("---\n..."), without the "OK <n>\r\n" envelope.
std::string EncodeJobStats(const JobStats& s);
std::string EncodeTubeStats(const TubeStats& s);
std::string EncodeServerStats(const ServerStats& s);
// "---\n- a\n- b\n", names written as YamlScalar() writes them.
std::string EncodeTubeList(const std::vector<std::string>& names);

// Writes `value` as a YAML scalar: bare when a YAML 1.1 or 1.2 reader reads the
// bare text back as the same string, double-quoted (with \" and \\ escaped) when
// it would read something else (a number, bool, null, date, a comment, an
// indicator...). See docs/protocol.md "Quoting".
std::string YamlScalar(std::string_view value);
// True when YamlScalar(value) would quote `value`.
bool YamlNeedsQuotes(std::string_view value);

// Parsers for the client side; they accept both quoted and bare values (1.12's
// and 1.13's forms). Return false on a document that is not of that shape.
bool DecodeJobStats(std::string_view yaml, JobStats* out);
bool DecodeTubeStats(std::string_view yaml, TubeStats* out);
bool DecodeServerStats(std::string_view yaml, ServerStats* out);
bool DecodeTubeList(std::string_view yaml, std::vector<std::string>* out);

}  // namespace stalk::proto
