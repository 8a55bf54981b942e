#include "client/stats_convert.h"

namespace stalk::detail {

ServerStats ToPublic(const proto::ServerStats& in) {
  ServerStats out;
  out.current_jobs_urgent = in.current_jobs_urgent;
  out.current_jobs_ready = in.current_jobs_ready;
  out.current_jobs_reserved = in.current_jobs_reserved;
  out.current_jobs_delayed = in.current_jobs_delayed;
  out.current_jobs_buried = in.current_jobs_buried;
  // The counters the server does not show (kick-job, reserve-job, quit) stay out of
  // the map, so every key in it is one the YAML had.
  for (int v = 0; v < proto::kVerbCount; ++v) {
    auto verb = static_cast<proto::Verb>(v);
    if (verb == proto::Verb::kKickJob || verb == proto::Verb::kReserveJob ||
        verb == proto::Verb::kQuit) {
      continue;
    }
    out.cmd[std::string(proto::VerbName(verb))] = in.cmd[static_cast<size_t>(v)];
  }
  out.job_timeouts = in.job_timeouts;
  out.total_jobs = in.total_jobs;
  out.max_job_size = in.max_job_size;
  out.current_tubes = in.current_tubes;
  out.current_connections = in.current_connections;
  out.current_producers = in.current_producers;
  out.current_workers = in.current_workers;
  out.current_waiting = in.current_waiting;
  out.total_connections = in.total_connections;
  out.pid = in.pid;
  out.version = in.version;
  out.rusage_utime = static_cast<double>(in.rusage_utime_us) / 1e6;
  out.rusage_stime = static_cast<double>(in.rusage_stime_us) / 1e6;
  out.uptime_s = in.uptime_s;
  out.binlog_oldest_index = in.binlog_oldest_index;
  out.binlog_current_index = in.binlog_current_index;
  out.binlog_records_migrated = in.binlog_records_migrated;
  out.binlog_records_written = in.binlog_records_written;
  out.binlog_max_size = in.binlog_max_size;
  out.draining = in.draining;
  out.id = in.id;
  out.hostname = in.hostname;
  out.os = in.os;
  out.platform = in.platform;
  return out;
}

}  // namespace stalk::detail
