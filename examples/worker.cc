// Handles jobs of the tube "examples" with the worker runtime (stalk::Worker): two
// jobs at a time, each kept reserved while its handler runs, deleted on success,
// retried with backoff on failure. Stops after N jobs, after 10 seconds, or on
// SIGTERM/SIGINT.
//
//   worker [address] [count]      address: host:port, tcp://host:port or unix:/path;
//                                 default: STALKD_HOST / STALKD_PORT

#include <stalk/stalk.h>
#include <stalk/worker.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  stalk::Result<stalk::Options> server =
      argc > 1 ? stalk::ParseAddress(argv[1]) : stalk::DefaultAddress();
  if (!server) {
    std::fprintf(stderr, "worker: %s\n", server.status().ToString().c_str());
    return 1;
  }
  stalk::WorkerOptions options;
  options.server = *server;
  options.concurrency = 2;
  options.handle_signals = true;
  stalk::Worker worker(options);
  auto handled = worker.Handle("examples", [](const stalk::JobContext& job) {
    // Bodies the producer compressed arrive decompressed.
    std::printf("job %llu: %.40s (%zu bytes)\n", static_cast<unsigned long long>(job.id),
                job.body.c_str(), job.body.size());
    return stalk::Outcome::Success();
  });
  if (!handled) {
    std::fprintf(stderr, "worker: %s\n", handled.status().ToString().c_str());
    return 1;
  }
  stalk::RunLimits limits;
  limits.count_limit = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 0;
  limits.time_limit = std::chrono::seconds(10);
  stalk::Result<stalk::WorkerCounters> run = worker.Run(limits);
  if (!run) {
    std::fprintf(stderr, "worker: %s\n", run.status().ToString().c_str());
    return 1;
  }
  std::printf("worked %llu jobs\n", static_cast<unsigned long long>(run->succeeded));
  return 0;
}
