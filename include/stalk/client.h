#pragma once

// libstalk: a client of the beanstalkd protocol, for stalkd and for beanstalkd itself.
//
// stalk::Client is ONE connection to one server, with every command of the protocol
// typed. Results and errors are values (stalk::Result<T>); nothing throws.
//
// Threading. A Client may be shared by any number of threads. Calls from different
// threads are pipelined on the one connection: each call writes its command at once
// and waits only for its own reply; replies are matched to calls in order. The
// protocol answers in command order, so a blocking reserve holds up every reply after
// it on the same connection. Give blocking reserves their own Client, or use the
// stalk::Conn facade (stalk/stalk.h), which does that for you.
//
// Connection state. A Client remembers the tube it uses and the tubes it watches and
// restores them after a reconnect. Reservations do not survive a reconnect (the server
// releases a closed connection's jobs), so calls on a job reserved before the
// reconnect answer kNotFound, as the server does for a job this connection does not
// hold.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "stalk/stats.h"

namespace stalk {

using JobId = uint64_t;
using Duration = std::chrono::nanoseconds;

// Status and Result live in an inline namespace so that their symbols never meet
// those of a program's own stalk::Status (stalkd's internal one among them).
inline namespace v1 {

// Every way a call can fail. The first group is the server's own answers; the second
// is the client's.
enum class Error : uint8_t {
  kNotFound,        // NOT_FOUND
  kTimedOut,        // TIMED_OUT (reserve-with-timeout found nothing)
  kDeadlineSoon,    // DEADLINE_SOON
  kDraining,        // DRAINING
  kBuried,          // BURIED (put or release: the job exists, buried; see Status::id)
  kJobTooBig,       // JOB_TOO_BIG
  kOutOfMemory,     // OUT_OF_MEMORY
  kInternalError,   // INTERNAL_ERROR
  kBadFormat,       // BAD_FORMAT
  kUnknownCommand,  // UNKNOWN_COMMAND
  kExpectedCrlf,    // EXPECTED_CRLF
  kNotIgnored,      // NOT_IGNORED

  kInvalidArgument,  // refused before sending: bad tube name, body over the limit...
  kCallTimeout,      // no reply within Options::call_timeout
  kConnectFailed,    // could not connect (after the retries allowed)
  kDisconnected,     // the connection broke with this call in flight; it may or may
                     // not have taken effect
  kProtocol,         // a reply this client cannot parse
  kClosed,           // the Client was closed
};

// "NOT_FOUND", "TIMED_OUT", ... for the server's answers; "CALL_TIMEOUT", ... for ours.
std::string_view ErrorName(Error e);

class Status {
 public:
  Status() = default;
  Status(Error e, std::string message = {}, JobId id = 0)
      : error_(e), message_(std::move(message)), id_(id) {}
  Error error() const { return *error_; }  // REQUIRES: !ok()
  bool ok() const { return !error_; }
  bool is(Error e) const { return error_ == e; }
  const std::string& message() const { return message_; }
  // For kBuried: the id of the job that was put or released and then buried.
  JobId id() const { return id_; }
  std::string ToString() const;

 private:
  std::optional<Error> error_;
  std::string message_;
  JobId id_ = 0;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  Result(Status error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  Error error() const { return std::get<1>(v_).error(); }  // REQUIRES: !ok()
  Status status() const { return ok() ? Status() : std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Status error) : s_(std::move(error)) {}  // NOLINT
  bool ok() const { return s_.ok(); }
  explicit operator bool() const { return ok(); }
  Error error() const { return s_.error(); }
  Status status() const { return s_; }

 private:
  Status s_;
};

}  // inline namespace v1

struct Backoff {
  Duration initial = std::chrono::milliseconds(50);
  Duration max = std::chrono::seconds(5);
  double multiplier = 2.0;  // each wait is multiplied by this, plus up to 20% jitter
};

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 11300;
  std::string unix_path;  // when set, connect to this UNIX socket instead of host:port

  Duration connect_timeout = std::chrono::seconds(5);
  // Longest wait for the reply to any call, on top of the call's own wait (a
  // reserve-with-timeout's timeout). Zero: wait forever. A call that times out
  // poisons the connection (its reply would arrive out of step), so the Client
  // reconnects.
  Duration call_timeout = std::chrono::seconds(30);

  bool reconnect = true;  // reconnect after a broken connection, with backoff
  Backoff backoff;
  int max_connect_attempts = 5;  // per (re)connect; 0 = unlimited

  // Undo the LZ4 compression of stalk/compression.h (the facade's Put with
  // compress) on every body this Client reads: Reserve*, Peek*, ReserveMany. Off:
  // bodies come back exactly as stored.
  bool decompress = true;
};

struct PutOptions {
  uint32_t pri = 1024;  // beanstalkd's customary default
  Duration delay{};
  Duration ttr = std::chrono::seconds(60);
};

struct Job {
  JobId id = 0;
  std::string body;
};

class Client {
 public:
  // Connects now (honouring connect_timeout and max_connect_attempts).
  static Result<std::unique_ptr<Client>> Connect(const Options& options);
  ~Client();  // closes; calls in flight on other threads return kClosed
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Producer.
  Result<JobId> Put(std::string_view body, const PutOptions& opts = {});
  Result<void> Use(std::string_view tube);
  Result<std::string> ListTubeUsed();

  // Consumer. An empty timeout is a blocking `reserve`.
  Result<Job> Reserve(std::optional<Duration> timeout = std::nullopt);
  Result<Job> ReserveJob(JobId id);
  Result<void> Delete(JobId id);
  Result<void> Release(JobId id, uint32_t pri, Duration delay = {});
  Result<void> Bury(JobId id, uint32_t pri);
  Result<void> Touch(JobId id);
  Result<uint64_t> Watch(std::string_view tube);   // watched count
  Result<uint64_t> Ignore(std::string_view tube);  // watched count
  Result<std::vector<std::string>> ListTubesWatched();

  // `use <tube>` and the command in ONE write, so that threads working on different
  // tubes through one Client never see another thread's `use` slip in between. The
  // Client uses `tube` afterwards.
  Result<JobId> PutIn(std::string_view tube, std::string_view body, const PutOptions& opts = {});
  Result<Job> PeekReadyIn(std::string_view tube);
  Result<Job> PeekDelayedIn(std::string_view tube);
  Result<Job> PeekBuriedIn(std::string_view tube);

  // Other commands.
  Result<Job> Peek(JobId id);
  Result<Job> PeekReady();
  Result<Job> PeekDelayed();
  Result<Job> PeekBuried();
  Result<uint64_t> Kick(uint64_t bound);
  Result<void> KickJob(JobId id);
  Result<void> PauseTube(std::string_view tube, Duration delay);
  Result<JobStats> StatsJob(JobId id);
  Result<TubeStats> StatsTube(std::string_view tube);
  Result<ServerStats> Stats();
  Result<std::vector<std::string>> ListTubes();

  // Batches: one write, one round trip. Each job gets its own result, in order.
  std::vector<Result<JobId>> PutMany(const std::vector<std::string_view>& bodies,
                                     const PutOptions& opts = {});
  // Up to `max` jobs: waits up to `timeout` (empty = forever) for the first, then
  // takes what is ready at once. An empty vector means the wait timed out.
  Result<std::vector<Job>> ReserveMany(size_t max, std::optional<Duration> timeout);

  // The address this Client talks to, "host:port" or "unix:path".
  std::string address() const;
  // Number of completed reconnects since Connect.
  uint64_t reconnects() const;

 private:
  class Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stalk
