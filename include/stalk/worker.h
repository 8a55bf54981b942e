#pragma once

// stalk::Worker: the worker runtime. It runs one handler per tube (job type) on N
// jobs at a time, keeps each job reserved while its handler runs, deletes it on
// success, releases it with exponential backoff on failure and buries it once its
// attempts are used up.
//
//   stalk::WorkerOptions opts;
//   opts.server.port = 11300;
//   opts.concurrency = 4;
//   stalk::Worker worker(opts);
//   worker.Handle("emails", [](const stalk::JobContext& job) {
//     if (!Send(job.body)) return stalk::Outcome::Retry("smtp refused");
//     return stalk::Outcome::Success();
//   });
//   auto result = worker.RunUntilStopped();  // Stop() or SIGTERM ends it
//
// How it works. Each of the N slots owns one stalk::Client (one connection) that
// watches every handled tube and nothing else ("default" only if it is handled), and
// one thread that blocks in reserve-with-timeout, runs the handler and then deletes,
// releases or buries the job. The reserve timeout (1 s by default) only bounds how
// long a stop takes to be noticed: there is no polling. While a handler runs, a
// second thread of the slot touches the job on the slot's connection every third of
// its TTR, so a job with a 1 s TTR stays reserved however long its handler takes.
//
// Attempts and the dead-letter path. A job's attempt number counts its reserves in
// its current budget: attempt = reserves - max_attempts * buries (at least 1),
// from stats-job. A failure on attempt max_attempts buries the job instead of
// releasing it. A buried job can only come back by a kick, so a kicked job starts a
// fresh budget of max_attempts; a job buried before its budget was used up (by
// Outcome::Bury, or by someone else) carries the unused attempts over. Reserves that
// ended in a TTR timeout (a worker that died) count as attempts.
//
// Backoff. The n-th failed attempt releases the job with delay
// min(max_delay, base_delay * 2^(n-1)) scaled by a uniform factor in
// [1 - jitter, 1 + jitter] (then capped at max_delay again), rounded up to whole
// seconds (the protocol's unit), at the job's own priority.
//
// Threading. Handle() must be called before Run(). Run() and RunUntilStopped() run
// on the caller's thread and return when the run ends; one run at a time. Stop(),
// stop_requested() and counters() may be called from any thread, including from a
// handler or a hook. Handlers and hooks run on the slots' threads, several at once:
// they must be thread-safe.
//
// Nothing here throws. An exception thrown by a handler is a failed attempt whose
// reason is its what(); an exception thrown by a hook is swallowed.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "stalk/client.h"

namespace stalk {

// What happens to a job after a failed attempt.
struct RetryPolicy {
  // Reserves in one budget (see the header comment); the failure of the last one
  // buries the job. 0: never bury a failing job, retry forever.
  uint32_t max_attempts = 5;
  Duration base_delay = std::chrono::seconds(1);  // delay after the first failure
  Duration max_delay = std::chrono::minutes(5);   // REQUIRES: >= base_delay
  double jitter = 0.2;                            // REQUIRES: 0 <= jitter < 1
};

// What a handler returns.
class Outcome {
 public:
  enum class Kind : uint8_t {
    kSuccess,  // delete the job
    kRetry,    // release it with backoff, or bury it if its attempts are used up
    kBury,     // a permanent failure: bury it now
  };

  static Outcome Success() { return Outcome(Kind::kSuccess, {}); }
  static Outcome Retry(std::string reason) { return Outcome(Kind::kRetry, std::move(reason)); }
  static Outcome Bury(std::string reason) { return Outcome(Kind::kBury, std::move(reason)); }

  Kind kind() const { return kind_; }
  const std::string& reason() const { return reason_; }

 private:
  Outcome(Kind kind, std::string reason) : kind_(kind), reason_(std::move(reason)) {}
  Kind kind_;
  std::string reason_;
};

// One reserved job as a handler sees it. Valid for the duration of the handler
// call (and of the hook calls that receive it).
struct JobContext {
  JobId id = 0;
  std::string tube;
  std::string body;
  uint32_t pri = 0;           // kept on release and bury
  Duration ttr{};             // as stats-job reports it (whole seconds)
  uint64_t reserves = 0;      // stats-job's count, this reserve included
  uint32_t attempt = 1;       // 1-based, within the current budget
  uint32_t max_attempts = 0;  // of the tube's policy; 0 = unlimited

  // Requested when the job is no longer this worker's: a touch found it gone (the
  // TTR ran out, or the connection broke), or the stop grace period ended and the
  // worker released it. The handler should return soon; whatever it returns is
  // ignored.
  std::stop_token cancel;
  // Requested when the worker stops taking jobs (Stop(), SIGTERM/SIGINT, time
  // limit). A handler may finish its job (within WorkerOptions::stop_grace) or hurry.
  std::stop_token stopping;
};

using Handler = std::function<Outcome(const JobContext&)>;

// Called on the slots' threads; each may be empty.
struct WorkerHooks {
  std::function<void(const JobContext&)> on_reserved;
  // Deleted after the handler returned Success; `took` is the handler's run time.
  std::function<void(const JobContext&, Duration took)> on_success;
  // Released for another attempt after `next_delay` (whole seconds).
  std::function<void(const JobContext&, std::string_view reason, Duration next_delay)> on_failure;
  // Buried: Outcome::Bury, the last attempt failed, or the server buried the release.
  std::function<void(const JobContext&, std::string_view reason)> on_buried;
  // The job is no longer reserved by this worker (touch, delete, release or bury
  // answered NOT_FOUND, or the connection broke); nothing more is done with it.
  std::function<void(const JobContext&, const Status& why)> on_lost;
  // Released at once, same priority, because the worker was stopping: the grace
  // period ended with the handler still running, or the job was reserved just as
  // the stop came.
  std::function<void(const JobContext&)> on_released;
  // A connection or server error outside any job's outcome (reserve, stats-job...).
  // The Client reconnects; the slot backs off and goes on.
  std::function<void(const Status&)> on_error;
};

// Counts since the Worker was made (counters()) or of one run (Run's result).
struct WorkerCounters {
  uint64_t reserved = 0;   // jobs given to a handler
  uint64_t handled = 0;    // of those, done with (any outcome below)
  uint64_t succeeded = 0;  // deleted
  uint64_t failed = 0;     // released for another attempt
  uint64_t buried = 0;
  uint64_t lost = 0;
  uint64_t released = 0;  // released at stop (on_released)
  uint64_t errors = 0;    // on_error calls
};

struct HandleOptions {
  std::optional<RetryPolicy> retry;  // this tube's policy; default WorkerOptions::retry
};

struct WorkerOptions {
  // The stalkd/beanstalkd to work for; one Client per slot. Its `decompress`
  // (on by default) hands handlers the original of an LZ4-compressed body.
  Options server;
  int concurrency = 1;  // N slots: jobs handled at once. REQUIRES: 1..1024
  // Longest blocking reserve: how soon a stop or a time limit is noticed by an
  // idle slot. Whole seconds on the wire. REQUIRES: >= 1 s.
  Duration reserve_timeout = std::chrono::seconds(1);
  // Touch period while a handler runs. Zero (the default): a third of each job's
  // TTR. Otherwise this fixed period for every job; one at or above a job's TTR
  // lets the job time out, and the worker then finds it lost.
  Duration touch_interval{};
  // After a stop, how long jobs in flight may take to finish before they are
  // released (delay 0, same priority) and their handlers cancelled.
  Duration stop_grace = std::chrono::seconds(10);
  // Install SIGTERM and SIGINT handlers for the duration of each run (and restore
  // the previous ones after). The first signal is Stop(); a second ends the grace
  // period at once. Only one Worker in a process may do this at a time.
  bool handle_signals = false;
  RetryPolicy retry;      // for tubes registered without their own
  Backoff error_backoff;  // pause of a slot after a connection or server error
  WorkerHooks hooks;
};

struct RunLimits {
  // Return after this many jobs have been handled (0 = no limit). Exact: no slot
  // reserves a job beyond the limit.
  uint64_t count_limit = 0;
  // Stop (as Stop() does, grace period included) once this much time has passed
  // (0 = no limit).
  Duration time_limit{};
};

class Worker {
 public:
  explicit Worker(WorkerOptions options);
  ~Worker();  // REQUIRES: no run in progress
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Registers the handler of `tube`. Errors (kInvalidArgument): a name beanstalkd
  // would refuse, a tube already handled, an empty handler, a bad retry policy, or
  // a run in progress.
  Result<void> Handle(std::string_view tube, Handler handler, HandleOptions options = {});

  // Connects the slots, works until a limit or a stop ends the run, and returns
  // the counts of this run. Errors: kInvalidArgument (no handlers, bad options, a
  // run already in progress, another Worker holds the signals), or the connect or
  // watch error of a slot's Client; no job has been reserved then.
  Result<WorkerCounters> Run(const RunLimits& limits);
  Result<WorkerCounters> RunUntilStopped() { return Run(RunLimits{}); }

  // Asks the run in progress to stop: no new reserves; jobs in flight get
  // stop_grace to finish. A Stop() with no run in progress makes the next run
  // return at once (so a stop racing with the start of a run is not lost).
  // Async-signal-unsafe (use WorkerOptions::handle_signals for signals).
  void Stop();
  bool stop_requested() const;

  WorkerCounters counters() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stalk
