// Measures the memory LocalQueue spends per job: heap bytes in use (glibc
// mallinfo2: chunks in use including malloc's own overhead, plus mmapped blocks)
// after N puts, divided by N. Not a test; run by hand:
//   local_queue_memory [body_bytes=100] [state=ready|delayed|buried|reserved]

#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "base/fake_clock.h"
#include "local/local_queue.h"

namespace {

size_t HeapInUse() {
  const struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

void Measure(size_t jobs, size_t body_bytes, const std::string& state) {
  using namespace stalk;
  FakeClock clock;
  local::LocalQueue q(clock);
  const queue::SessionId s = q.OpenSession();
  const std::string body(body_bytes, 'x');
  queue::PutArgs args;
  args.ttr = std::chrono::seconds(3600);
  args.delay = state == "delayed" ? std::chrono::seconds(3600) : Duration::zero();
  args.body = body;
  const size_t before = HeapInUse();
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < jobs; ++i) {
    args.pri = static_cast<uint32_t>(i % 1000);
    q.Put(s, args, [](queue::Code, queue::JobId) {});
    if (state == "reserved" || state == "buried") {
      queue::JobId got = 0;
      q.Reserve(s, Duration::zero(), [&](queue::Code, const queue::JobRef* j) { got = j->id; });
      if (state == "buried") q.Bury(s, got, 0, [](queue::Code) {});
    }
  }
  const double put_ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  const size_t after = HeapInUse();
  std::printf("%-8s body %5zu B  jobs %8zu  %7.1f bytes/job  (body + %.1f)  %5.0f ns/put\n",
              state.c_str(), body_bytes, jobs, double(after - before) / double(jobs),
              double(after - before) / double(jobs) - double(body_bytes), put_ns / double(jobs));
}

}  // namespace

int main(int argc, char** argv) {
  const size_t body = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100;
  const std::string state = argc > 2 ? argv[2] : "ready";
  // Several counts: table and heap arrays double, so slack varies with N.
  for (size_t n : {100000, 300000, 700000, 1000000, 1500000, 2000000}) Measure(n, body, state);
  return 0;
}
