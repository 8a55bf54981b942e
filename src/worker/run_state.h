#pragma once

// What the coordinator of one Worker run (Worker::Run) and its slots share: the
// handlers, the stop request, the count limit's tickets, the counters and the
// hooks. Thread-safe: every slot thread and the coordinator use it at once.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "stalk/worker.h"

namespace stalk::detail {

struct TubeHandler {
  Handler handler;
  RetryPolicy retry;
};
using HandlerMap = std::map<std::string, TubeHandler, std::less<>>;

// True for errors after which the server no longer holds a reservation for us: the
// job is gone, or so is the connection it was reserved on (reservations do not
// survive a reconnect).
bool LosesReservation(Error e);

// WorkerCounters that many threads bump.
struct AtomicCounters {
  std::atomic<uint64_t> reserved{0}, handled{0}, succeeded{0}, failed{0}, buried{0}, lost{0},
      released{0}, errors{0};
  WorkerCounters Snapshot() const;
};

class RunState {
 public:
  // `options`, `handlers` and `totals` must outlive this object. count_limit 0 means
  // no limit.
  RunState(const WorkerOptions& options, const HandlerMap& handlers, AtomicCounters& totals,
           uint64_t count_limit, int slots);

  const WorkerOptions& options() const { return options_; }
  const TubeHandler* FindHandler(std::string_view tube) const;

  // The count limit. A slot takes a ticket before each reserve and gives it back
  // if the reserve brings no job, so exactly count_limit jobs are handled.
  bool TakeTicket();
  void ReturnTicket();

  // Stop: no new reserves; the coordinator then waits out the grace period.
  void RequestStop();
  bool stopping() const;
  std::stop_token stopping_token() const { return stop_source_.get_token(); }
  // Ends the grace period at once (a second signal).
  void Hurry();
  // Sleeps for `d` unless a stop comes first. Returns true if stopping.
  bool SleepUnlessStopping(Duration d);

  // A slot's thread is about to end.
  void SlotExited();
  // For the coordinator: waits until every slot has exited or a stop is requested
  // (or `deadline`, if any, passes). Returns true if every slot has exited.
  bool WaitForExitOrStop(std::optional<std::chrono::steady_clock::time_point> deadline);
  // Waits until every slot has exited, Hurry() is called, or `deadline` passes.
  // Returns true if every slot has exited.
  bool WaitForExitOrHurry(std::chrono::steady_clock::time_point deadline);

  // Counters plus hooks; a hook that throws is ignored.
  void OnReserved(const JobContext& job);
  void OnSuccess(const JobContext& job, Duration took);
  void OnFailure(const JobContext& job, std::string_view reason, Duration next_delay);
  void OnBuried(const JobContext& job, std::string_view reason);
  void OnLost(const JobContext& job, const Status& why);
  void OnReleased(const JobContext& job);
  void OnError(const Status& error);
  void OnHandled();

  WorkerCounters run_counters() const { return run_.Snapshot(); }

 private:
  void Bump(std::atomic<uint64_t> AtomicCounters::*counter);

  const WorkerOptions& options_;
  const HandlerMap& handlers_;
  AtomicCounters& totals_;
  AtomicCounters run_;

  const bool limited_;
  std::atomic<uint64_t> tickets_;

  std::stop_source stop_source_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;   // GUARDED_BY(mu_)
  bool hurry_ = false;  // GUARDED_BY(mu_)
  int active_slots_;    // GUARDED_BY(mu_)
};

}  // namespace stalk::detail
