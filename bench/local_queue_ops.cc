// Time per put + reserve + delete cycle on a LocalQueue, with many idle tubes and
// sessions around, to show the cost does not grow with them (beanstalkd #561).
// Not a test; run by hand: local_queue_ops [idle_tubes idle_sessions]

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/fake_clock.h"
#include "local/local_queue.h"

namespace {

void Run(int idle_tubes, int idle_sessions) {
  using namespace stalk;
  FakeClock clock;
  local::LocalQueue q(clock);
  // Idle sessions, each using and watching its own tubes, some waiting.
  for (int i = 0; i < idle_sessions; ++i) {
    const queue::SessionId s = q.OpenSession();
    q.Use(s, "idle-" + std::to_string(i % (idle_tubes + 1)), [](queue::Code) {});
    q.Watch(s, "idle-" + std::to_string(i % (idle_tubes + 1)), [](queue::Code, size_t) {});
    q.Ignore(s, "default", [](queue::Code, size_t) {});
    if (i % 2 == 0) q.Reserve(s, std::nullopt, [](queue::Code, const queue::JobRef*) {});
  }
  for (int i = 0; i < idle_tubes; ++i) {
    const queue::SessionId s = q.OpenSession();
    q.Use(s, "tube-" + std::to_string(i), [](queue::Code) {});
    q.Put(s, {0, std::chrono::hours(1), std::chrono::seconds(60), "delayed"},
          [](queue::Code, queue::JobId) {});
  }
  const queue::SessionId worker = q.OpenSession();
  const std::string body(100, 'x');
  constexpr int kOps = 1000000;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kOps; ++i) {
    q.Put(worker, {static_cast<uint32_t>(i & 1023), {}, std::chrono::seconds(60), body},
          [](queue::Code, queue::JobId) {});
    queue::JobId id = 0;
    q.Reserve(worker, Duration::zero(), [&](queue::Code, const queue::JobRef* j) { id = j->id; });
    q.Delete(worker, id, [](queue::Code) {});
  }
  const double ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  std::printf("tubes %6d  sessions %6d  %6.0f ns per put+reserve+delete\n", idle_tubes,
              idle_sessions, ns / kOps);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3) {
    Run(std::atoi(argv[1]), std::atoi(argv[2]));
    return 0;
  }
  Run(0, 0);
  Run(1000, 1000);
  Run(20000, 20000);
  return 0;
}
