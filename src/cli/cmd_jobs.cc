// put, reserve, peek, delete, kick, kick-job, pause.

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <sstream>

#include "cli/commands.h"
#include "cli/duration.h"
#include "cli/session.h"

namespace stalk::cli {
namespace {

constexpr uint64_t kMaxWireSeconds = std::numeric_limits<uint32_t>::max();

// The body of `put`: the BODY argument, else --file (- is stdin), else stdin.
Outcome<std::string> ReadBody(const Invocation& inv) {
  if (inv.body) return *inv.body;
  if (inv.file && *inv.file != "-") {
    std::ifstream in(*inv.file, std::ios::binary);
    if (!in) return BadInput("cannot read " + *inv.file);
    std::ostringstream out;
    out << in.rdbuf();
    if (in.bad()) return BadInput("error reading " + *inv.file);
    return out.str();
  }
  if (::isatty(STDIN_FILENO)) Note("reading the body from stdin (end it with Ctrl-D)");
  std::string body;
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return BadInput("error reading stdin");
    if (n == 0) break;
    body.append(buf, static_cast<size_t>(n));
  }
  return body;
}

// Converts a duration flag to whole wire seconds, noting any rounding.
Outcome<Duration> WireDuration(Nanos d, std::string_view what) {
  auto w = ToWireSecondsAtMost(d, kMaxWireSeconds, what);
  if (!w) return w.failure();
  const std::string note = RoundingNote(what, d, *w);
  if (!note.empty()) std::fprintf(stderr, "%s\n", note.c_str());
  return Duration(std::chrono::seconds(w->seconds));
}

// Applies `call` to every id; reports each failure and returns the first one's
// exit code (a lost connection stops the loop).
template <typename Call>
int ForEachId(const Invocation& inv, std::string_view verb, Call call) {
  auto client = ConnectTo(inv);
  if (!client) return Report(client.failure());
  int exit_code = 0;
  for (JobId id : inv.ids) {
    Result<void> r = call(**client, id);
    if (r.ok()) continue;
    const Failure f = FromStatus(r.status(), std::string(verb) + " " + std::to_string(id));
    const int code = Report(f);
    if (exit_code == 0) exit_code = code;
    if (f.code == ExitCode::kConnection) break;
  }
  return exit_code;
}

}  // namespace

int RunPut(const Invocation& inv) {
  auto delay = WireDuration(inv.delay, "--delay");
  if (!delay) return Report(delay.failure());
  auto ttr = WireDuration(inv.ttr, "--ttr");
  if (!ttr) return Report(ttr.failure());
  auto body = ReadBody(inv);
  if (!body) return Report(body.failure());
  auto client = ConnectTo(inv);
  if (!client) return Report(client.failure());
  if (auto r = (*client)->Use(inv.tube); !r) return Report(FromStatus(r.status(), "use " + inv.tube));
  PutOptions opts;
  opts.pri = inv.pri;
  opts.delay = *delay;
  opts.ttr = *ttr;
  auto id = (*client)->Put(*body, opts);
  if (!id) {
    if (id.error() == Error::kBuried) {
      std::printf("%llu\n", static_cast<unsigned long long>(id.status().id()));
      return Report(FromStatus(id.status(), "put (the server buried the job: out of memory)"));
    }
    return Report(FromStatus(id.status(), "put"));
  }
  std::printf("%llu\n", static_cast<unsigned long long>(*id));
  return 0;
}

int RunReserve(const Invocation& inv) {
  std::optional<Duration> timeout;
  if (inv.timeout) {
    auto t = WireDuration(*inv.timeout, "--timeout");
    if (!t) return Report(t.failure());
    timeout = *t;
  }
  auto client = ConnectTo(inv, /*blocking=*/!timeout.has_value());
  if (!client) return Report(client.failure());
  Client& c = **client;
  bool watches_default = inv.watch.empty();
  for (const std::string& tube : inv.watch) {
    if (auto r = c.Watch(tube); !r) return Report(FromStatus(r.status(), "watch " + tube));
    if (tube == "default") watches_default = true;
  }
  if (!watches_default) {
    if (auto r = c.Ignore("default"); !r) return Report(FromStatus(r.status(), "ignore default"));
  }
  auto job = c.Reserve(timeout);
  if (!job) {
    if (job.error() == Error::kTimedOut) {
      return Report({ExitCode::kTimedOut, "reserve: TIMED_OUT (no job ready within the timeout)"});
    }
    return Report(FromStatus(job.status(), "reserve"));
  }
  // The stats give --json its tube and --bury/--release the job's own priority.
  std::optional<JobStats> stats;
  if (inv.json || inv.after == AfterReserve::kBury || inv.after == AfterReserve::kRelease) {
    auto s = c.StatsJob(job->id);
    if (!s) return Report(FromStatus(s.status(), "stats-job " + std::to_string(job->id)));
    stats = *s;
  }
  const int printed = PrintJob(inv, "reserved", *job, stats ? &*stats : nullptr);
  if (printed != 0) return printed;  // the job is released when the connection closes
  Result<void> after;
  std::string what;
  switch (inv.after) {
    case AfterReserve::kNothing:
      return 0;  // released by the server when this connection closes
    case AfterReserve::kDelete:
      after = c.Delete(job->id);
      what = "delete";
      break;
    case AfterReserve::kBury:
      after = c.Bury(job->id, stats->pri);
      what = "bury";
      break;
    case AfterReserve::kRelease:
      after = c.Release(job->id, stats->pri);
      what = "release";
      break;
  }
  if (!after) return Report(FromStatus(after.status(), what + " " + std::to_string(job->id)));
  return 0;
}

int RunPeek(const Invocation& inv) {
  auto client = ConnectTo(inv);
  if (!client) return Report(client.failure());
  Client& c = **client;
  Result<Job> job = Status(Error::kNotFound);
  std::string what;
  if (inv.peek == PeekWhat::kId) {
    what = "peek " + std::to_string(inv.ids.front());
    job = c.Peek(inv.ids.front());
  } else {
    if (auto r = c.Use(inv.tube); !r) return Report(FromStatus(r.status(), "use " + inv.tube));
    switch (inv.peek) {
      case PeekWhat::kReady:
        what = "peek-ready";
        job = c.PeekReady();
        break;
      case PeekWhat::kDelayed:
        what = "peek-delayed";
        job = c.PeekDelayed();
        break;
      default:
        what = "peek-buried";
        job = c.PeekBuried();
        break;
    }
  }
  if (!job) return Report(FromStatus(job.status(), what));
  std::optional<JobStats> stats;
  if (inv.json) {
    auto s = c.StatsJob(job->id);
    if (s) stats = *s;  // the job may be gone already; show what we have
  }
  return PrintJob(inv, "peeked", *job, stats ? &*stats : nullptr);
}

int RunDelete(const Invocation& inv) {
  return ForEachId(inv, "delete", [](Client& c, JobId id) { return c.Delete(id); });
}

int RunKickJob(const Invocation& inv) {
  return ForEachId(inv, "kick-job", [](Client& c, JobId id) { return c.KickJob(id); });
}

int RunKick(const Invocation& inv) {
  auto client = ConnectTo(inv);
  if (!client) return Report(client.failure());
  if (auto r = (*client)->Use(inv.tube); !r) return Report(FromStatus(r.status(), "use " + inv.tube));
  auto kicked = (*client)->Kick(inv.bound);
  if (!kicked) return Report(FromStatus(kicked.status(), "kick"));
  std::printf("%llu\n", static_cast<unsigned long long>(*kicked));
  return 0;
}

int RunPause(const Invocation& inv) {
  auto delay = WireDuration(inv.pause_for, "DURATION");
  if (!delay) return Report(delay.failure());
  auto client = ConnectTo(inv);
  if (!client) return Report(client.failure());
  if (auto r = (*client)->PauseTube(inv.tube, *delay); !r) {
    return Report(FromStatus(r.status(), "pause-tube " + inv.tube));
  }
  return 0;
}

}  // namespace stalk::cli
