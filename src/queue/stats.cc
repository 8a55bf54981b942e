#include "queue/stats.h"

#include <chrono>
#include <string>

namespace stalk::queue {
namespace {

// The protocol counts whole seconds, rounding down (beanstalkd divides by 10^9).
int64_t WholeSeconds(Duration d) {
  return std::chrono::duration_cast<std::chrono::seconds>(d).count();
}

}  // namespace

JobStats ToStats(const JobInfo& j) {
  JobStats s;
  s.id = j.id;
  s.tube = j.tube;
  s.state = std::string(JobStateName(j.state));
  s.pri = j.pri;
  s.age_s = WholeSeconds(j.age);
  s.delay_s = WholeSeconds(j.delay);
  s.ttr_s = WholeSeconds(j.ttr);
  s.time_left_s = WholeSeconds(j.time_left);
  s.file = j.file;
  s.reserves = j.reserves;
  s.timeouts = j.timeouts;
  s.releases = j.releases;
  s.buries = j.buries;
  s.kicks = j.kicks;
  return s;
}

TubeStats ToStats(const TubeInfo& t) {
  TubeStats s;
  s.name = t.name;
  s.current_jobs_urgent = t.urgent;
  s.current_jobs_ready = t.ready;
  s.current_jobs_reserved = t.reserved;
  s.current_jobs_delayed = t.delayed;
  s.current_jobs_buried = t.buried;
  s.total_jobs = t.total_jobs;
  s.current_using = t.using_count;
  s.current_watching = t.watching_count;
  s.current_waiting = t.waiting_count;
  s.cmd_delete = t.cmd_delete;
  s.cmd_pause_tube = t.cmd_pause_tube;
  s.pause_s = WholeSeconds(t.pause);
  s.pause_time_left_s = WholeSeconds(t.pause_time_left);
  return s;
}

}  // namespace stalk::queue
