#include "cli/stats_view.h"

#include <set>

#include "cli/table.h"

namespace stalk::cli {
namespace {

// cmd-* counters in beanstalkd's order (prot.c STATS_FMT). Names the server sends
// beyond these are appended in name order.
constexpr const char* kCmdOrder[] = {
    "put",          "peek",           "peek-ready",      "peek-delayed",       "peek-buried",
    "reserve",      "reserve-with-timeout", "delete",    "release",            "use",
    "watch",        "ignore",         "bury",            "kick",               "touch",
    "stats",        "stats-job",      "stats-tube",      "list-tubes",         "list-tube-used",
    "list-tubes-watched", "pause-tube",
};

}  // namespace

std::string DumpJson(const Json& j, int indent) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

Json JobStatsJson(const JobStats& s) {
  Json j;
  j["id"] = s.id;
  j["tube"] = s.tube;
  j["state"] = s.state;
  j["pri"] = s.pri;
  j["age"] = s.age_s;
  j["delay"] = s.delay_s;
  j["ttr"] = s.ttr_s;
  j["time-left"] = s.time_left_s;
  j["file"] = s.file;
  j["reserves"] = s.reserves;
  j["timeouts"] = s.timeouts;
  j["releases"] = s.releases;
  j["buries"] = s.buries;
  j["kicks"] = s.kicks;
  return j;
}

Json TubeStatsJson(const TubeStats& s) {
  Json j;
  j["name"] = s.name;
  j["current-jobs-urgent"] = s.current_jobs_urgent;
  j["current-jobs-ready"] = s.current_jobs_ready;
  j["current-jobs-reserved"] = s.current_jobs_reserved;
  j["current-jobs-delayed"] = s.current_jobs_delayed;
  j["current-jobs-buried"] = s.current_jobs_buried;
  j["total-jobs"] = s.total_jobs;
  j["current-using"] = s.current_using;
  j["current-watching"] = s.current_watching;
  j["current-waiting"] = s.current_waiting;
  j["cmd-delete"] = s.cmd_delete;
  j["cmd-pause-tube"] = s.cmd_pause_tube;
  j["pause"] = s.pause_s;
  j["pause-time-left"] = s.pause_time_left_s;
  return j;
}

Json ServerStatsJson(const ServerStats& s) {
  Json j;
  j["current-jobs-urgent"] = s.current_jobs_urgent;
  j["current-jobs-ready"] = s.current_jobs_ready;
  j["current-jobs-reserved"] = s.current_jobs_reserved;
  j["current-jobs-delayed"] = s.current_jobs_delayed;
  j["current-jobs-buried"] = s.current_jobs_buried;
  std::set<std::string> shown;
  for (const char* name : kCmdOrder) {
    auto it = s.cmd.find(name);
    if (it == s.cmd.end()) continue;
    j[std::string("cmd-") + name] = it->second;
    shown.insert(name);
  }
  for (const auto& [name, count] : s.cmd) {
    if (!shown.contains(name)) j["cmd-" + name] = count;
  }
  j["job-timeouts"] = s.job_timeouts;
  j["total-jobs"] = s.total_jobs;
  j["max-job-size"] = s.max_job_size;
  j["current-tubes"] = s.current_tubes;
  j["current-connections"] = s.current_connections;
  j["current-producers"] = s.current_producers;
  j["current-workers"] = s.current_workers;
  j["current-waiting"] = s.current_waiting;
  j["total-connections"] = s.total_connections;
  j["pid"] = s.pid;
  j["version"] = s.version;
  j["rusage-utime"] = s.rusage_utime;
  j["rusage-stime"] = s.rusage_stime;
  j["uptime"] = s.uptime_s;
  j["binlog-oldest-index"] = s.binlog_oldest_index;
  j["binlog-current-index"] = s.binlog_current_index;
  j["binlog-records-migrated"] = s.binlog_records_migrated;
  j["binlog-records-written"] = s.binlog_records_written;
  j["binlog-max-size"] = s.binlog_max_size;
  j["draining"] = s.draining;
  j["id"] = s.id;
  j["hostname"] = s.hostname;
  j["os"] = s.os;
  j["platform"] = s.platform;
  return j;
}

std::string StatsTable(const Json& object) {
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& [key, value] : object.items()) {
    rows.emplace_back(key, value.is_string() ? value.get<std::string>() : DumpJson(value));
  }
  return FormatKeyValues(rows);
}

std::string TubeCountsTable(const std::vector<TubeStats>& tubes) {
  Table t;
  t.header = {"TUBE", "READY", "RESERVED", "DELAYED", "BURIED", "URGENT", "WAITING", "TOTAL-JOBS"};
  t.align = {Align::kLeft};
  t.align.resize(t.header.size(), Align::kRight);
  t.align[0] = Align::kLeft;
  for (const TubeStats& s : tubes) {
    t.rows.push_back({s.name, std::to_string(s.current_jobs_ready),
                      std::to_string(s.current_jobs_reserved), std::to_string(s.current_jobs_delayed),
                      std::to_string(s.current_jobs_buried), std::to_string(s.current_jobs_urgent),
                      std::to_string(s.current_waiting), std::to_string(s.total_jobs)});
  }
  return FormatTable(t);
}

}  // namespace stalk::cli
