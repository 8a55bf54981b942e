#include <poll.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "client/client_impl.h"

namespace stalk::detail {
namespace {

using std::chrono::steady_clock;

// Writes the state of a connection again after a reconnect: the tube used, every
// tube watched, and `ignore default` when default is not among them (watch first:
// the last watched tube cannot be ignored).
std::string ReplayCommands(const std::string& used, const std::vector<std::string>& watched,
                           size_t* replies) {
  std::string out;
  *replies = 0;
  if (used != "default") {
    out += "use " + used + "\r\n";
    ++*replies;
  }
  bool watches_default = false;
  for (const std::string& t : watched) {
    if (t == "default") {
      watches_default = true;
      continue;
    }
    out += "watch " + t + "\r\n";
    ++*replies;
  }
  if (!watches_default) {
    out += "ignore default\r\n";
    ++*replies;
  }
  return out;
}

}  // namespace

ClientCore::ClientCore(Options options) : options_(std::move(options)) {}

ClientCore::~ClientCore() {
  std::unique_lock lock(mu_);
  closed_ = true;
  for (CallPtr& c : pending_) {
    c->error = Status(Error::kClosed, "the Client was closed");
    c->done = true;
  }
  pending_.clear();
  socket_.Shutdown();
  cv_.notify_all();
  cv_.wait(lock, [&] { return active_callers_ == 0; });
  lock.unlock();
  if (reader_.joinable()) reader_.join();
  socket_.Close();
}

Result<void> ClientCore::Start() {
  std::lock_guard write_lock(write_mu_);
  Result<void> r = ConnectWithRetries();
  if (!r.ok()) return r;
  reader_ = std::thread([this] { ReaderLoop(); });
  return {};
}

uint64_t ClientCore::reconnects() const {
  std::lock_guard lock(mu_);
  return reconnects_;
}

std::optional<SteadyTime> ClientCore::Deadline(std::optional<Duration> wait) const {
  if (!wait || options_.call_timeout <= Duration::zero()) return std::nullopt;
  return steady_clock::now() + options_.call_timeout + *wait;
}

Result<void> ClientCore::ConnectOnce() {
  const SteadyTime deadline = steady_clock::now() + options_.connect_timeout;
  Result<void> r = socket_.Connect(options_, deadline);
  if (!r.ok()) return r;
  size_t replies = 0;
  std::string replay = ReplayCommands(used_, watched_, &replies);
  if (replies == 0) return {};
  // The reader thread is idle, so this thread reads the replay's replies itself.
  auto fail = [&](const std::string& why) -> Result<void> {
    socket_.Close();
    return Status(Error::kConnectFailed, "restoring use/watch after connecting: " + why);
  };
  if (Result<void> w = socket_.Write(replay, deadline); !w.ok()) return fail(w.status().ToString());
  proto::ReplyReader reader;
  char buf[512];
  std::string_view pending;
  while (replies > 0) {
    if (pending.empty()) {
      Result<size_t> n = socket_.Read(buf, sizeof buf, deadline);
      if (!n.ok()) return fail(n.status().ToString());
      pending = std::string_view(buf, *n);
    }
    size_t used = 0;
    proto::ReplyReader::Event ev = reader.Next(pending, &used);
    pending.remove_prefix(used);
    if (ev == proto::ReplyReader::Event::kBadReply) return fail(reader.error());
    if (ev == proto::ReplyReader::Event::kReply) {
      proto::RawReply reply = reader.TakeReply();
      if (reply.word() != "USING" && reply.word() != "WATCHING") {
        return fail("the server answered '" + reply.line + "'");
      }
      --replies;
    }
  }
  return {};
}

Result<void> ClientCore::ConnectWithRetries() {
  {
    // The reader must be out of the old socket before its fd is closed and reused.
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return reader_idle_ || closed_; });
    if (closed_) return Status(Error::kClosed, "the Client was closed");
  }
  socket_.Close();
  std::mt19937_64 rng(std::random_device{}());
  std::uniform_real_distribution<double> jitter(0.0, 0.2);
  double wait_ns = static_cast<double>(options_.backoff.initial.count());
  Status last;
  for (int attempt = 1;; ++attempt) {
    Result<void> r = ConnectOnce();
    if (r.ok()) {
      std::lock_guard lock(mu_);
      if (generation_ > 0) ++reconnects_;
      ++generation_;
      broken_ = false;
      reader_idle_ = false;
      cv_.notify_all();
      return {};
    }
    last = r.status();
    if (options_.max_connect_attempts > 0 && attempt >= options_.max_connect_attempts) break;
    auto sleep = Duration(
        static_cast<int64_t>(std::min(wait_ns, static_cast<double>(options_.backoff.max.count())) *
                             (1.0 + jitter(rng))));
    wait_ns *= options_.backoff.multiplier;
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, sleep, [&] { return closed_; })) {
      return Status(Error::kClosed, "the Client was closed");
    }
  }
  return Status(
      Error::kConnectFailed,
      last.message() + " (after " + std::to_string(options_.max_connect_attempts) + " attempts)");
}

Result<void> ClientCore::EnsureConnected() {
  {
    std::lock_guard lock(mu_);
    if (closed_) return Status(Error::kClosed, "the Client was closed");
    if (!broken_ && pending_.empty()) {
      // Nothing is expected from an idle connection, so anything readable means it
      // has ended (the server closed it or was killed): reconnect now instead of
      // failing this call with kDisconnected after sending it into a dead socket.
      pollfd p{socket_.fd(), POLLIN, 0};
      if (::poll(&p, 1, 0) > 0) {
        PoisonLocked(generation_, Status(Error::kDisconnected, "connection closed"));
      }
    }
    if (!broken_) return {};
  }
  if (!options_.reconnect) {
    return Status(Error::kDisconnected, "the connection broke and reconnect is off");
  }
  return ConnectWithRetries();
}

void ClientCore::PoisonLocked(uint64_t generation, const Status& status) {
  if (generation != generation_ || broken_) return;
  broken_ = true;
  for (CallPtr& c : pending_) {
    c->error = status;
    c->done = true;
  }
  pending_.clear();
  socket_.Shutdown();
  cv_.notify_all();
}

void ClientCore::Poison(uint64_t generation, const Status& status) {
  std::lock_guard lock(mu_);
  PoisonLocked(generation, status);
}

std::vector<Result<proto::RawReply>> ClientCore::Exchange(const std::string& commands,
                                                          size_t replies,
                                                          std::optional<Duration> wait,
                                                          const StateChange& change) {
  std::vector<CallPtr> calls;
  calls.reserve(replies);
  uint64_t generation = 0;
  std::optional<SteadyTime> deadline;
  auto all_fail = [&](const Status& s) {
    return std::vector<Result<proto::RawReply>>(replies, Result<proto::RawReply>(s));
  };
  {
    std::unique_lock write_lock(write_mu_);
    {
      std::lock_guard lock(mu_);
      if (closed_) return all_fail(Status(Error::kClosed, "the Client was closed"));
      ++active_callers_;
    }
    Result<void> up = EnsureConnected();
    std::unique_lock lock(mu_);
    if (up.ok() && closed_) up = Status(Error::kClosed, "the Client was closed");
    if (!up.ok()) {
      --active_callers_;
      cv_.notify_all();
      return all_fail(up.status());
    }
    for (size_t i = 0; i < replies; ++i) {
      calls.push_back(std::make_shared<Call>());
      pending_.push_back(calls.back());
    }
    generation = generation_;
    if (change) change();
    lock.unlock();
    deadline = Deadline(wait ? wait : std::optional<Duration>(Duration::zero()));
    Result<void> w = socket_.Write(commands, deadline);
    if (!w.ok()) {
      Status s = w.status();
      if (s.is(Error::kCallTimeout)) s = Status(Error::kCallTimeout, "could not send in time");
      Poison(generation, Status(Error::kDisconnected, s.message()));
    }
  }
  deadline = Deadline(wait);
  std::vector<Result<proto::RawReply>> out;
  out.reserve(replies);
  std::unique_lock lock(mu_);
  for (CallPtr& call : calls) {
    bool done = true;
    if (deadline) {
      done = cv_.wait_until(lock, *deadline, [&] { return call->done; });
    } else {
      cv_.wait(lock, [&] { return call->done; });
    }
    if (!done) {
      // Its reply would arrive out of step with the next call's: the connection
      // is unusable. This call timed out; the others in flight are cut off.
      PoisonLocked(generation,
                   Status(Error::kDisconnected, "an earlier call on the connection timed out"));
      out.push_back(Status(Error::kCallTimeout, "no reply within the call timeout"));
      continue;
    }
    if (call->error) {
      out.push_back(*call->error);
    } else {
      out.push_back(std::move(call->reply));
    }
  }
  --active_callers_;
  cv_.notify_all();
  return out;
}

void ClientCore::ReaderLoop() {
  while (true) {
    uint64_t generation = 0;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return closed_ || !reader_idle_; });
      if (closed_) {
        reader_idle_ = true;
        cv_.notify_all();
        return;
      }
      generation = generation_;
    }
    ReadConnection(generation);
    std::lock_guard lock(mu_);
    reader_idle_ = true;
    cv_.notify_all();
  }
}

void ClientCore::ReadConnection(uint64_t generation) {
  proto::ReplyReader reader;
  std::string buf(64 * 1024, '\0');
  while (true) {
    Result<size_t> n = socket_.Read(buf.data(), buf.size(), std::nullopt);
    if (!n.ok()) {
      Poison(generation, n.status());
      return;
    }
    std::string_view in(buf.data(), *n);
    while (true) {
      size_t used = 0;
      proto::ReplyReader::Event ev = reader.Next(in, &used);
      in.remove_prefix(used);
      if (ev == proto::ReplyReader::Event::kNeedMore) break;
      if (ev == proto::ReplyReader::Event::kBadReply) {
        Poison(generation, Status(Error::kProtocol, reader.error()));
        return;
      }
      std::lock_guard lock(mu_);
      if (generation != generation_ || broken_) return;
      if (pending_.empty()) {
        PoisonLocked(generation, Status(Error::kProtocol, "a reply no call was waiting for"));
        return;
      }
      CallPtr call = std::move(pending_.front());
      pending_.pop_front();
      call->reply = reader.TakeReply();
      call->done = true;
      cv_.notify_all();
    }
  }
}

}  // namespace stalk::detail
