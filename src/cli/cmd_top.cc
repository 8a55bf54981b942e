// top: a live view of the tubes.

#include <unistd.h>

#include <ctime>
#include <thread>

#include "cli/commands.h"
#include "cli/rates.h"
#include "cli/session.h"
#include "cli/top_view.h"

namespace stalk::cli {
namespace {

Outcome<TubeSample> Sample(Client& c) {
  TubeSample sample;
  sample.at = std::chrono::steady_clock::now();
  auto names = c.ListTubes();
  if (!names) return FromStatus(names.status(), "list-tubes");
  for (const std::string& name : *names) {
    auto s = c.StatsTube(name);
    if (s) {
      sample.tubes[name] = *s;
    } else if (!s.status().is(Error::kNotFound)) {  // NOT_FOUND: the tube went away meanwhile
      return FromStatus(s.status(), "stats-tube " + name);
    }
  }
  return sample;
}

std::string LocalTime() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::localtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

}  // namespace

int RunTop(const Invocation& inv) {
  auto client = ConnectTo(inv);
  if (!client) return Report(client.failure());
  const bool ansi = ::isatty(STDOUT_FILENO) == 1;
  std::optional<TubeSample> before;
  TopScreen screen;
  screen.address = inv.endpoint.ToString();
  screen.interval_s = std::chrono::duration<double>(inv.interval).count();
  for (uint64_t i = 0; inv.iterations == 0 || i < inv.iterations; ++i) {
    if (i > 0) std::this_thread::sleep_for(inv.interval);
    auto now = Sample(**client);
    if (!now) return Report(now.failure());
    screen.timestamp = LocalTime();
    screen.rows = ComputeRows(before, *now);
    if (!WriteStdout(RenderTop(screen, ansi))) return Report({ExitCode::kConnection, "cannot write to stdout"});
    before = std::move(*now);
  }
  return 0;
}

}  // namespace stalk::cli
