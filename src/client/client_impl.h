#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "client/socket.h"
#include "proto/reply_reader.h"
#include "stalk/client.h"

namespace stalk::detail {

// The connection behind a stalk::Client: pipelining, timeouts, reconnect.
//
// Writers take write_mu_, so each call's command bytes go out contiguously and the
// FIFO of pending calls is in write order. One reader thread per connection reads
// replies and completes the calls in FIFO order; callers wait on cv_ for their own
// calls only, so a caller never waits for a reply it does not need (except the ones
// ahead of it on the wire, which the protocol orders). A dedicated reader (rather
// than "whoever waits reads") keeps the write path simple: a big batch written in
// one go can never deadlock against the server's replies filling the socket,
// because someone always drains them.
//
// A connection is identified by its generation. When it breaks (EOF, error, a call
// timeout, a reply that cannot be parsed) it is poisoned: every pending call fails,
// the socket is shut down (waking the reader), and the next call reconnects (with
// backoff) and replays `use`/`watch`/`ignore` before sending anything else.
//
// Lock order: write_mu_ before mu_.
class ClientCore {
 public:
  explicit ClientCore(Options options);
  ~ClientCore();  // fails pending calls with kClosed, waits for callers to leave
  ClientCore(const ClientCore&) = delete;
  ClientCore& operator=(const ClientCore&) = delete;

  // The first connect. Must be called once, before anything else.
  Result<void> Start();

  // What a call does to the connection's remembered state, applied in write order.
  using StateChange = std::function<void()>;

  // Writes `commands` (exactly `replies` commands) in one write and waits for their
  // replies. `wait` is how long the server itself may take on top of the call
  // timeout (a reserve-with-timeout's timeout); nullopt means without bound (a
  // blocking reserve). Returns one result per command, in order.
  std::vector<Result<proto::RawReply>> Exchange(const std::string& commands, size_t replies,
                                                std::optional<Duration> wait,
                                                const StateChange& change = nullptr);

  // Remembered connection state; only change it from a StateChange.
  std::string& used() { return used_; }
  std::vector<std::string>& watched() { return watched_; }

  const Options& options() const { return options_; }
  uint64_t reconnects() const;

 private:
  struct Call {
    bool done = false;
    std::optional<Status> error;  // set when the call failed without a reply
    proto::RawReply reply;
  };
  using CallPtr = std::shared_ptr<Call>;

  // Makes sure the connection is up, reconnecting if allowed. REQUIRES: write_mu_.
  Result<void> EnsureConnected();
  // Connects with retries and backoff, and replays the state. REQUIRES: write_mu_,
  // the reader is idle.
  Result<void> ConnectWithRetries();
  // One connect attempt plus the replay of use/watch/ignore.
  Result<void> ConnectOnce();
  // Breaks connection `generation` (if it is still the current one): fails every
  // pending call with `status`, shuts the socket down.
  void Poison(uint64_t generation, const Status& status);
  void PoisonLocked(uint64_t generation, const Status& status);  // REQUIRES: mu_
  void ReaderLoop();
  // Reads replies of connection `generation` until it breaks.
  void ReadConnection(uint64_t generation);
  std::optional<SteadyTime> Deadline(std::optional<Duration> wait) const;

  const Options options_;

  std::mutex write_mu_;  // held while writing, and while (re)connecting
  mutable std::mutex mu_;
  std::condition_variable cv_;
  // Guarded by mu_:
  bool closed_ = false;
  bool broken_ = true;       // no usable connection (before Start, after a poison)
  bool reader_idle_ = true;  // the reader thread is not using socket_
  uint64_t generation_ = 0;  // bumped by every successful connect
  uint64_t reconnects_ = 0;
  int active_callers_ = 0;
  std::deque<CallPtr> pending_;
  // Guarded by write_mu_ (read by ConnectOnce for the replay):
  std::string used_ = "default";
  std::vector<std::string> watched_ = {"default"};

  Socket socket_;  // fd changes only under write_mu_ with the reader idle
  std::thread reader_;
};

}  // namespace stalk::detail
