#pragma once

// JobKeeper keeps the job in flight on one slot reserved while its handler runs:
// from its own thread it touches the job on the slot's Client every interval (the
// Client is thread-safe, and the slot's connection has no blocking reserve in
// flight while a handler runs, so a touch goes out at once). It notices when the
// job is lost, and releases it when the worker stops waiting for its handler.
//
// Thread-safe. One job at a time: Begin, then End, from the slot's thread;
// Abandon from the coordinator's. The Client and RunState must outlive it.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>

#include "stalk/client.h"
#include "stalk/worker.h"
#include "worker/run_state.h"

namespace stalk::detail {

class JobKeeper {
 public:
  // What became of the job while it was kept.
  enum class Fate : uint8_t {
    kHeld,      // still reserved by this worker: the slot deletes, releases or buries it
    kLost,      // a touch found it gone; OnLost was reported
    kReleased,  // Abandon released it; OnReleased was reported
  };

  JobKeeper(Client& client, RunState& run);
  ~JobKeeper();  // stops the thread
  JobKeeper(const JobKeeper&) = delete;
  JobKeeper& operator=(const JobKeeper&) = delete;

  // Starts keeping `job`, touching it every `interval` and requesting `cancel` if
  // it is lost or abandoned. `job` must stay valid until End() returns.
  void Begin(const JobContext& job, Duration interval, std::stop_source cancel);
  // Stops keeping the job (waiting for a touch in flight) and says what became of it.
  Fate End();
  // Releases the job being kept (delay 0, its own priority) and cancels its
  // handler. Does nothing if no job is kept or it is already lost.
  void Abandon();

 private:
  using Clock = std::chrono::steady_clock;
  void Loop(std::stop_token quit);
  void TouchLocked();
  void LoseLocked(const Status& why);

  Client& client_;
  RunState& run_;

  std::mutex mu_;  // held across touch and release, so End() sees their effect
  std::condition_variable_any cv_;
  const JobContext* job_ = nullptr;  // GUARDED_BY(mu_); null when idle
  Fate fate_ = Fate::kHeld;          // GUARDED_BY(mu_)
  Duration interval_{};              // GUARDED_BY(mu_)
  Clock::time_point next_touch_;     // GUARDED_BY(mu_)
  std::stop_source cancel_;          // GUARDED_BY(mu_)

  std::jthread thread_;  // last: started after everything it uses
};

}  // namespace stalk::detail
