// worker_child: a worker process for worker_signal_test. It works tube "signal"
// on 127.0.0.1:<port> with two slots, handle_signals on and the given grace:
//   body "finish": returns Success once the worker is stopping;
//   body "hang":   holds on until its job is cancelled (the grace period ended).
// Prints the run's counters and exits 0 if the run ended without error.
//
//   worker_child <port> <stop_grace_ms>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <stop_token>

#include "stalk/worker.h"

namespace {

// Waits for `token` (at most a minute, so a lost signal cannot hang the test).
void WaitForStop(const std::stop_token& token) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  cv.wait_for(lock, token, std::chrono::minutes(1), [] { return false; });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: worker_child <port> <stop_grace_ms>\n");
    return 2;
  }
  stalk::WorkerOptions options;
  options.server.port = static_cast<uint16_t>(std::atoi(argv[1]));
  options.concurrency = 2;
  options.stop_grace = std::chrono::milliseconds(std::atoi(argv[2]));
  options.handle_signals = true;
  stalk::Worker worker(options);
  auto handled = worker.Handle("signal", [](const stalk::JobContext& job) {
    WaitForStop(job.body == "finish" ? job.stopping : job.cancel);
    return stalk::Outcome::Success();
  });
  if (!handled.ok()) {
    std::fprintf(stderr, "Handle: %s\n", handled.status().ToString().c_str());
    return 1;
  }
  auto run = worker.RunUntilStopped();
  if (!run.ok()) {
    std::fprintf(stderr, "Run: %s\n", run.status().ToString().c_str());
    return 1;
  }
  std::printf("handled=%llu succeeded=%llu released=%llu lost=%llu\n",
              static_cast<unsigned long long>(run->handled),
              static_cast<unsigned long long>(run->succeeded),
              static_cast<unsigned long long>(run->released),
              static_cast<unsigned long long>(run->lost));
  return 0;
}
