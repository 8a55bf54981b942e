#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "stalk/client.h"

namespace stalk::detail {

using SteadyTime = std::chrono::steady_clock::time_point;

// A connected stream socket (TCP or UNIX) with deadlines, for libstalk's
// connections. Blocking in the sense that calls wait, but every wait is a poll()
// with a deadline (nullopt = none), never a blocking syscall, so Shutdown() from
// another thread always wakes a waiter.
//
// Threading: one thread may Write while another Reads; Shutdown may be called from
// any thread. Close only when no other thread is inside a call.
class Socket {
 public:
  Socket() = default;
  ~Socket() { Close(); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  // Connects to options.unix_path, or to options.host:options.port (every address
  // the name resolves to, in order), within `deadline`. Errors: kConnectFailed.
  Result<void> Connect(const Options& options, SteadyTime deadline);

  // Writes all of `bytes`. Errors: kDisconnected (peer gone, or Shutdown), kCallTimeout.
  Result<void> Write(std::string_view bytes, std::optional<SteadyTime> deadline);

  // Reads what is available (at least one byte) into `buf`, up to `max` bytes.
  // Returns the count. Errors: kDisconnected (EOF, reset, Shutdown), kCallTimeout.
  Result<size_t> Read(char* buf, size_t max, std::optional<SteadyTime> deadline);

  // Wakes every waiter of this socket; later calls fail. The fd stays open (so its
  // number cannot be reused under a thread still polling it) until Close().
  void Shutdown();
  void Close();
  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }

 private:
  // Waits for `events` on fd_; false with *status set on timeout or error.
  bool Wait(short events, std::optional<SteadyTime> deadline, Status* status);

  int fd_ = -1;
};

}  // namespace stalk::detail
