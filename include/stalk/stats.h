#pragma once

// The documents of stats-job, stats-tube and stats, parsed. Times are in whole
// seconds, as on the wire. Field names follow the YAML keys ("current-jobs-ready" is
// current_jobs_ready). Both 1.12's bare and 1.13's quoted values are accepted.

#include <cstdint>
#include <map>
#include <string>

namespace stalk {

struct JobStats {
  uint64_t id = 0;
  std::string tube;
  std::string state;  // ready | delayed | reserved | buried
  uint32_t pri = 0;
  int64_t age_s = 0;
  int64_t delay_s = 0;
  int64_t ttr_s = 0;
  int64_t time_left_s = 0;
  uint64_t file = 0;
  uint64_t reserves = 0;
  uint64_t timeouts = 0;
  uint64_t releases = 0;
  uint64_t buries = 0;
  uint64_t kicks = 0;
};

struct TubeStats {
  std::string name;
  uint64_t current_jobs_urgent = 0;
  uint64_t current_jobs_ready = 0;
  uint64_t current_jobs_reserved = 0;
  uint64_t current_jobs_delayed = 0;
  uint64_t current_jobs_buried = 0;
  uint64_t total_jobs = 0;
  uint64_t current_using = 0;
  uint64_t current_watching = 0;
  uint64_t current_waiting = 0;
  uint64_t cmd_delete = 0;
  uint64_t cmd_pause_tube = 0;
  int64_t pause_s = 0;
  int64_t pause_time_left_s = 0;
};

struct ServerStats {
  uint64_t current_jobs_urgent = 0;
  uint64_t current_jobs_ready = 0;
  uint64_t current_jobs_reserved = 0;
  uint64_t current_jobs_delayed = 0;
  uint64_t current_jobs_buried = 0;
  // The cmd-* counters by command name: "put" holds cmd-put, "peek-ready"
  // cmd-peek-ready, and so on.
  std::map<std::string, uint64_t> cmd;
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
  double rusage_utime = 0;  // seconds
  double rusage_stime = 0;
  int64_t uptime_s = 0;
  uint64_t binlog_oldest_index = 0;
  uint64_t binlog_current_index = 0;
  uint64_t binlog_records_migrated = 0;
  uint64_t binlog_records_written = 0;
  uint64_t binlog_max_size = 0;
  bool draining = false;
  std::string id;
  std::string hostname;
  std::string os;
  std::string platform;
};

}  // namespace stalk
