#include "stalk/client.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "client/client_impl.h"
#include "client/stats_convert.h"
#include "proto/command.h"
#include "proto/stats.h"
#include "stalk/compression.h"

namespace stalk {

using detail::ClientCore;
using proto::RawReply;

class Client::Impl : public ClientCore {
 public:
  using ClientCore::ClientCore;
};

namespace {

constexpr uint64_t kMaxWireSeconds = std::numeric_limits<uint32_t>::max();

bool ParseU64(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

// The server's error words, each its own Error. Anything else is a reply this
// client does not understand for the command it sent.
Status ErrorFromReply(const RawReply& r, std::string_view command) {
  static constexpr std::pair<std::string_view, Error> kWords[] = {
      {"NOT_FOUND", Error::kNotFound},
      {"TIMED_OUT", Error::kTimedOut},
      {"DEADLINE_SOON", Error::kDeadlineSoon},
      {"DRAINING", Error::kDraining},
      {"JOB_TOO_BIG", Error::kJobTooBig},
      {"OUT_OF_MEMORY", Error::kOutOfMemory},
      {"INTERNAL_ERROR", Error::kInternalError},
      {"BAD_FORMAT", Error::kBadFormat},
      {"UNKNOWN_COMMAND", Error::kUnknownCommand},
      {"EXPECTED_CRLF", Error::kExpectedCrlf},
      {"NOT_IGNORED", Error::kNotIgnored},
  };
  for (const auto& [word, error] : kWords) {
    if (r.line == word) return Status(error, std::string(command));
  }
  if (r.word() == "BURIED") {
    uint64_t id = 0;
    if (r.args().empty() || ParseU64(r.args(), &id)) {
      return Status(Error::kBuried, std::string(command), id);
    }
  }
  return Status(Error::kProtocol, "unexpected reply '" + r.line + "' to " + std::string(command));
}

// Whole seconds for the wire; sub-second parts are dropped.
Result<uint64_t> WireSeconds(Duration d, std::string_view what) {
  if (d < Duration::zero()) return Status(Error::kInvalidArgument, std::string(what) + " < 0");
  auto s = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(d).count());
  if (s > kMaxWireSeconds) {
    return Status(Error::kInvalidArgument, std::string(what) + " over 2^32-1 seconds");
  }
  return s;
}

Result<void> CheckTube(std::string_view tube) {
  if (!proto::IsValidTubeName(tube)) {
    return Status(Error::kInvalidArgument,
                  "invalid tube name '" + std::string(tube.substr(0, 210)) +
                      "': 1-200 bytes of A-Za-z0-9-+/;.$_() not starting with '-'");
  }
  return {};
}

Result<void> CheckLine(const std::string& line) {
  if (line.size() > proto::kMaxLineBytes) {
    return Status(Error::kInvalidArgument,
                  "command line over " + std::to_string(proto::kMaxLineBytes) + " bytes");
  }
  return {};
}

Result<std::string> PutCommand(std::string_view body, const PutOptions& opts) {
  Result<uint64_t> delay = WireSeconds(opts.delay, "delay");
  if (!delay.ok()) return delay.status();
  Result<uint64_t> ttr = WireSeconds(opts.ttr, "ttr");
  if (!ttr.ok()) return ttr.status();
  std::string cmd = "put " + std::to_string(opts.pri) + " " + std::to_string(*delay) + " " +
                    std::to_string(*ttr) + " " + std::to_string(body.size()) + "\r\n";
  cmd.reserve(cmd.size() + body.size() + 2);
  cmd.append(body);
  cmd += "\r\n";
  return cmd;
}

Result<JobId> DecodeInserted(Result<RawReply> r) {
  if (!r.ok()) return r.status();
  uint64_t id = 0;
  if (r->word() == "INSERTED" && ParseU64(r->args(), &id)) return id;
  return ErrorFromReply(*r, "put");
}

// RESERVED or FOUND (per `word`) with its body.
Result<Job> DecodeJob(Result<RawReply> r, std::string_view word, std::string_view command,
                      bool decompress) {
  if (!r.ok()) return r.status();
  if (r->word() != word || !r->has_body) return ErrorFromReply(*r, command);
  Job job{r->id, std::move(r->body)};
  if (decompress) {
    if (std::optional<std::string> plain = DecompressBody(job.body)) job.body = std::move(*plain);
  }
  return job;
}

Result<void> DecodeWord(Result<RawReply> r, std::string_view word, std::string_view command) {
  if (!r.ok()) return r.status();
  if (r->line == word) return {};
  return ErrorFromReply(*r, command);
}

Result<uint64_t> DecodeCount(Result<RawReply> r, std::string_view word, std::string_view command) {
  if (!r.ok()) return r.status();
  uint64_t n = 0;
  if (r->word() == word && ParseU64(r->args(), &n)) return n;
  return ErrorFromReply(*r, command);
}

Result<std::string> DecodeOk(Result<RawReply> r, std::string_view command) {
  if (!r.ok()) return r.status();
  if (r->word() != "OK" || !r->has_body) return ErrorFromReply(*r, command);
  return std::move(r->body);
}

Status BadYaml(std::string_view command) {
  return Status(Error::kProtocol, "cannot parse the YAML answering " + std::string(command));
}

}  // namespace

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::Connect(const Options& options) {
  if (options.unix_path.empty() && options.host.empty()) {
    return Status(Error::kInvalidArgument, "no host and no unix_path");
  }
  auto impl = std::make_unique<Impl>(options);
  Result<void> r = impl->Start();
  if (!r.ok()) return r.status();
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

std::string Client::address() const {
  const Options& o = impl_->options();
  if (!o.unix_path.empty()) return "unix:" + o.unix_path;
  return o.host + ":" + std::to_string(o.port);
}

uint64_t Client::reconnects() const { return impl_->reconnects(); }

// ---------------------------------------------------------------------------
// Producer.

Result<JobId> Client::Put(std::string_view body, const PutOptions& opts) {
  Result<std::string> cmd = PutCommand(body, opts);
  if (!cmd.ok()) return cmd.status();
  return DecodeInserted(std::move(impl_->Exchange(*cmd, 1, Duration::zero())[0]));
}

Result<JobId> Client::PutIn(std::string_view tube, std::string_view body, const PutOptions& opts) {
  if (Result<void> t = CheckTube(tube); !t.ok()) return t.status();
  Result<std::string> put = PutCommand(body, opts);
  if (!put.ok()) return put.status();
  std::string cmd = "use " + std::string(tube) + "\r\n" + *put;
  auto replies =
      impl_->Exchange(cmd, 2, Duration::zero(), [&] { impl_->used() = std::string(tube); });
  if (!replies[0].ok()) return replies[0].status();
  if (replies[0]->word() != "USING") return ErrorFromReply(*replies[0], "use");
  return DecodeInserted(std::move(replies[1]));
}

Result<void> Client::Use(std::string_view tube) {
  if (Result<void> t = CheckTube(tube); !t.ok()) return t;
  std::string cmd = "use " + std::string(tube) + "\r\n";
  auto r = std::move(
      impl_->Exchange(cmd, 1, Duration::zero(), [&] { impl_->used() = std::string(tube); })[0]);
  if (!r.ok()) return r.status();
  if (r->word() == "USING") return {};
  return ErrorFromReply(*r, "use");
}

Result<std::string> Client::ListTubeUsed() {
  auto r = std::move(impl_->Exchange("list-tube-used\r\n", 1, Duration::zero())[0]);
  if (!r.ok()) return r.status();
  if (r->word() == "USING" && !r->args().empty()) return std::string(r->args());
  return ErrorFromReply(*r, "list-tube-used");
}

// ---------------------------------------------------------------------------
// Consumer.

Result<Job> Client::Reserve(std::optional<Duration> timeout) {
  std::string cmd = "reserve\r\n";
  if (timeout) {
    if (*timeout < Duration::zero()) return Status(Error::kInvalidArgument, "timeout < 0");
    // Rounded up: a 500 ms wait must not become a poll.
    auto s = std::chrono::ceil<std::chrono::seconds>(*timeout).count();
    if (static_cast<uint64_t>(s) > kMaxWireSeconds) {
      return Status(Error::kInvalidArgument, "timeout over 2^32-1 seconds");
    }
    cmd = "reserve-with-timeout " + std::to_string(s) + "\r\n";
  }
  const bool decompress = impl_->options().decompress;
  auto r = std::move(impl_->Exchange(cmd, 1, timeout)[0]);
  return DecodeJob(std::move(r), "RESERVED", timeout ? "reserve-with-timeout" : "reserve",
                   decompress);
}

Result<Job> Client::ReserveJob(JobId id) {
  const bool decompress = impl_->options().decompress;
  auto r = std::move(
      impl_->Exchange("reserve-job " + std::to_string(id) + "\r\n", 1, Duration::zero())[0]);
  return DecodeJob(std::move(r), "RESERVED", "reserve-job", decompress);
}

Result<void> Client::Delete(JobId id) {
  auto r = impl_->Exchange("delete " + std::to_string(id) + "\r\n", 1, Duration::zero());
  return DecodeWord(std::move(r[0]), "DELETED", "delete");
}

Result<void> Client::Release(JobId id, uint32_t pri, Duration delay) {
  Result<uint64_t> d = WireSeconds(delay, "delay");
  if (!d.ok()) return d.status();
  std::string cmd = "release " + std::to_string(id) + " " + std::to_string(pri) + " " +
                    std::to_string(*d) + "\r\n";
  auto r = std::move(impl_->Exchange(cmd, 1, Duration::zero())[0]);
  if (!r.ok()) return r.status();
  if (r->line == "RELEASED") return {};
  // "BURIED": the server could not re-queue it; say which job.
  if (r->line == "BURIED") return Status(Error::kBuried, "release", id);
  return ErrorFromReply(*r, "release");
}

Result<void> Client::Bury(JobId id, uint32_t pri) {
  std::string cmd = "bury " + std::to_string(id) + " " + std::to_string(pri) + "\r\n";
  return DecodeWord(std::move(impl_->Exchange(cmd, 1, Duration::zero())[0]), "BURIED", "bury");
}

Result<void> Client::Touch(JobId id) {
  auto r = impl_->Exchange("touch " + std::to_string(id) + "\r\n", 1, Duration::zero());
  return DecodeWord(std::move(r[0]), "TOUCHED", "touch");
}

Result<uint64_t> Client::Watch(std::string_view tube) {
  if (Result<void> t = CheckTube(tube); !t.ok()) return t.status();
  std::string name(tube);
  auto r = impl_->Exchange("watch " + name + "\r\n", 1, Duration::zero(), [&] {
    auto& w = impl_->watched();
    if (std::find(w.begin(), w.end(), name) == w.end()) w.push_back(name);
  });
  return DecodeCount(std::move(r[0]), "WATCHING", "watch");
}

Result<uint64_t> Client::Ignore(std::string_view tube) {
  if (Result<void> t = CheckTube(tube); !t.ok()) return t.status();
  std::string name(tube);
  auto r = impl_->Exchange("ignore " + name + "\r\n", 1, Duration::zero(), [&] {
    // As the server does: the last watched tube stays (NOT_IGNORED).
    auto& w = impl_->watched();
    auto it = std::find(w.begin(), w.end(), name);
    if (it != w.end() && w.size() > 1) w.erase(it);
  });
  return DecodeCount(std::move(r[0]), "WATCHING", "ignore");
}

Result<std::vector<std::string>> Client::ListTubesWatched() {
  auto r = DecodeOk(std::move(impl_->Exchange("list-tubes-watched\r\n", 1, Duration::zero())[0]),
                    "list-tubes-watched");
  if (!r.ok()) return r.status();
  std::vector<std::string> out;
  if (!proto::DecodeTubeList(*r, &out)) return BadYaml("list-tubes-watched");
  return out;
}

// ---------------------------------------------------------------------------
// Other commands.

Result<Job> Client::Peek(JobId id) {
  const bool decompress = impl_->options().decompress;
  auto r = impl_->Exchange("peek " + std::to_string(id) + "\r\n", 1, Duration::zero());
  return DecodeJob(std::move(r[0]), "FOUND", "peek", decompress);
}

Result<Job> Client::PeekReady() {
  const bool decompress = impl_->options().decompress;
  auto r = impl_->Exchange("peek-ready\r\n", 1, Duration::zero());
  return DecodeJob(std::move(r[0]), "FOUND", "peek-ready", decompress);
}

Result<Job> Client::PeekDelayed() {
  const bool decompress = impl_->options().decompress;
  auto r = impl_->Exchange("peek-delayed\r\n", 1, Duration::zero());
  return DecodeJob(std::move(r[0]), "FOUND", "peek-delayed", decompress);
}

Result<Job> Client::PeekBuried() {
  const bool decompress = impl_->options().decompress;
  auto r = impl_->Exchange("peek-buried\r\n", 1, Duration::zero());
  return DecodeJob(std::move(r[0]), "FOUND", "peek-buried", decompress);
}

namespace {

Result<Job> PeekIn(ClientCore& core, std::string_view tube, std::string_view verb) {
  if (Result<void> t = CheckTube(tube); !t.ok()) return t.status();
  std::string cmd = "use " + std::string(tube) + "\r\n" + std::string(verb) + "\r\n";
  const bool decompress = core.options().decompress;
  auto replies = core.Exchange(cmd, 2, Duration::zero(), [&] { core.used() = std::string(tube); });
  if (!replies[0].ok()) return replies[0].status();
  if (replies[0]->word() != "USING") return ErrorFromReply(*replies[0], "use");
  return DecodeJob(std::move(replies[1]), "FOUND", verb, decompress);
}

}  // namespace

Result<Job> Client::PeekReadyIn(std::string_view tube) {
  return PeekIn(*impl_, tube, "peek-ready");
}
Result<Job> Client::PeekDelayedIn(std::string_view tube) {
  return PeekIn(*impl_, tube, "peek-delayed");
}
Result<Job> Client::PeekBuriedIn(std::string_view tube) {
  return PeekIn(*impl_, tube, "peek-buried");
}

Result<uint64_t> Client::Kick(uint64_t bound) {
  // The wire takes 32 bits; kicking "up to 2^32-1" is the same as any larger bound.
  bound = std::min<uint64_t>(bound, kMaxWireSeconds);
  auto r = impl_->Exchange("kick " + std::to_string(bound) + "\r\n", 1, Duration::zero());
  return DecodeCount(std::move(r[0]), "KICKED", "kick");
}

Result<void> Client::KickJob(JobId id) {
  auto r = impl_->Exchange("kick-job " + std::to_string(id) + "\r\n", 1, Duration::zero());
  return DecodeWord(std::move(r[0]), "KICKED", "kick-job");
}

Result<void> Client::PauseTube(std::string_view tube, Duration delay) {
  if (Result<void> t = CheckTube(tube); !t.ok()) return t;
  Result<uint64_t> d = WireSeconds(delay, "delay");
  if (!d.ok()) return d.status();
  std::string cmd = "pause-tube " + std::string(tube) + " " + std::to_string(*d) + "\r\n";
  if (Result<void> l = CheckLine(cmd); !l.ok()) return l;
  return DecodeWord(std::move(impl_->Exchange(cmd, 1, Duration::zero())[0]), "PAUSED",
                    "pause-tube");
}

Result<JobStats> Client::StatsJob(JobId id) {
  auto r = DecodeOk(std::move(impl_->Exchange("stats-job " + std::to_string(id) + "\r\n", 1,
                                              Duration::zero())[0]),
                    "stats-job");
  if (!r.ok()) return r.status();
  JobStats s;
  if (!proto::DecodeJobStats(*r, &s)) return BadYaml("stats-job");
  return s;
}

Result<TubeStats> Client::StatsTube(std::string_view tube) {
  if (Result<void> t = CheckTube(tube); !t.ok()) return t.status();
  auto r = DecodeOk(std::move(impl_->Exchange("stats-tube " + std::string(tube) + "\r\n", 1,
                                              Duration::zero())[0]),
                    "stats-tube");
  if (!r.ok()) return r.status();
  TubeStats s;
  if (!proto::DecodeTubeStats(*r, &s)) return BadYaml("stats-tube");
  return s;
}

Result<ServerStats> Client::Stats() {
  auto r = DecodeOk(std::move(impl_->Exchange("stats\r\n", 1, Duration::zero())[0]), "stats");
  if (!r.ok()) return r.status();
  proto::ServerStats s;
  if (!proto::DecodeServerStats(*r, &s)) return BadYaml("stats");
  return detail::ToPublic(s);
}

Result<std::vector<std::string>> Client::ListTubes() {
  auto r =
      DecodeOk(std::move(impl_->Exchange("list-tubes\r\n", 1, Duration::zero())[0]), "list-tubes");
  if (!r.ok()) return r.status();
  std::vector<std::string> out;
  if (!proto::DecodeTubeList(*r, &out)) return BadYaml("list-tubes");
  return out;
}

// ---------------------------------------------------------------------------
// Batches.

std::vector<Result<JobId>> Client::PutMany(const std::vector<std::string_view>& bodies,
                                           const PutOptions& opts) {
  std::vector<Result<JobId>> out;
  if (bodies.empty()) return out;
  std::string cmds;
  for (std::string_view body : bodies) {
    Result<std::string> cmd = PutCommand(body, opts);
    if (!cmd.ok()) return std::vector<Result<JobId>>(bodies.size(), cmd.status());
    cmds += *cmd;
  }
  auto replies = impl_->Exchange(cmds, bodies.size(), Duration::zero());
  out.reserve(replies.size());
  for (auto& r : replies) out.push_back(DecodeInserted(std::move(r)));
  return out;
}

Result<std::vector<Job>> Client::ReserveMany(size_t max, std::optional<Duration> timeout) {
  if (max == 0) return std::vector<Job>();
  std::string cmds = "reserve\r\n";
  if (timeout) {
    if (*timeout < Duration::zero()) return Status(Error::kInvalidArgument, "timeout < 0");
    auto s = std::chrono::ceil<std::chrono::seconds>(*timeout).count();
    if (static_cast<uint64_t>(s) > kMaxWireSeconds) {
      return Status(Error::kInvalidArgument, "timeout over 2^32-1 seconds");
    }
    cmds = "reserve-with-timeout " + std::to_string(s) + "\r\n";
  }
  for (size_t i = 1; i < max; ++i) cmds += "reserve-with-timeout 0\r\n";
  const bool decompress = impl_->options().decompress;
  auto replies = impl_->Exchange(cmds, max, timeout);
  // Every RESERVED is kept, whatever came before it: a job reserved and then
  // dropped here would sit reserved until its TTR ran out.
  std::vector<Job> jobs;
  std::optional<Status> first_error;
  for (auto& r : replies) {
    Result<Job> job = DecodeJob(std::move(r), "RESERVED", "reserve", decompress);
    if (job.ok()) {
      jobs.push_back(std::move(*job));
    } else if (!first_error) {
      first_error = job.status();
    }
  }
  if (!jobs.empty() || !first_error || first_error->is(Error::kTimedOut)) return jobs;
  return *first_error;
}

}  // namespace stalk
