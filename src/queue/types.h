#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/time.h"

namespace stalk::queue {

using JobId = uint64_t;     // 1, 2, 3, ... never reused
using SessionId = uint64_t; // one per client connection, chosen by the queue

enum class JobState : uint8_t { kReady, kReserved, kDelayed, kBuried };
std::string_view JobStateName(JobState s);  // "ready", "reserved", ...

// The outcome of an operation. Each operation documents which codes it can give.
enum class Code : uint8_t {
  kOk,
  kNotFound,       // no such job (in a state this operation accepts), or no such tube
  kBuried,         // put/release: the job was accepted but had to be buried
  kNotIgnored,     // ignore: it is the last watched tube
  kTimedOut,       // reserve: the timeout passed with no job
  kDeadlineSoon,   // reserve: a job this session holds is within 1 s of its TTR
  kOutOfMemory,    // put: could not be stored (memory, or no room in the journal)
  kInternalError,  // the state change could not be made durable, or a should-not-happen
};

// A job handed to a completion. `body` is valid only during the completion call.
struct JobRef {
  JobId id = 0;
  std::string_view body;
};

struct PutArgs {
  uint32_t pri = 0;
  Duration delay{};
  Duration ttr{};  // below 1 s becomes 1 s
  std::string_view body;  // copied by the queue before Put returns
};

struct JobInfo {
  JobId id = 0;
  std::string tube;
  JobState state = JobState::kReady;
  uint32_t pri = 0;
  Duration age{};
  Duration delay{};      // the last delay set (not reset by kick)
  Duration ttr{};
  Duration time_left{};  // reserved or delayed only; zero otherwise
  uint64_t file = 0;     // journal segment holding the job; 0 without a journal
  uint32_t reserves = 0, timeouts = 0, releases = 0, buries = 0, kicks = 0;
};

struct TubeInfo {
  std::string name;
  uint64_t urgent = 0, ready = 0, reserved = 0, delayed = 0, buried = 0;
  uint64_t total_jobs = 0;
  uint64_t using_count = 0, watching_count = 0, waiting_count = 0;
  uint64_t cmd_delete = 0, cmd_pause_tube = 0;
  Duration pause{};
  Duration pause_time_left{};
};

// What the queue knows of the global `stats`; the server adds the rest.
struct QueueInfo {
  uint64_t urgent = 0, ready = 0, reserved = 0, delayed = 0, buried = 0;
  uint64_t job_timeouts = 0;
  uint64_t total_jobs = 0;
  uint64_t tubes = 0;
  uint64_t waiting = 0;  // sessions blocked in reserve
  uint64_t binlog_oldest_index = 0, binlog_current_index = 0;
  uint64_t binlog_records_migrated = 0, binlog_records_written = 0;
  uint64_t binlog_max_size = 0;
};

}  // namespace stalk::queue
