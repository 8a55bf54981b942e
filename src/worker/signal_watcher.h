#pragma once

// SignalWatcher turns SIGTERM and SIGINT into calls on an ordinary thread. The
// signal handler only writes the signal number to a self-pipe (async-signal-safe);
// the watcher's thread reads it and calls the callback, where anything may be done.
// The previous dispositions are restored when the watcher is destroyed.
//
// One watcher per process at a time (the handler has one pipe to write to). The
// callback runs on the watcher's thread only.

#include <csignal>
#include <functional>
#include <memory>
#include <thread>

#include "stalk/client.h"

namespace stalk::detail {

class SignalWatcher {
 public:
  // Errors: kInvalidArgument if another watcher is installed, kInternalError if a
  // pipe or sigaction call fails.
  static Result<std::unique_ptr<SignalWatcher>> Install(std::function<void(int signal)> callback);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  SignalWatcher(int read_fd, int write_fd, std::function<void(int)> callback);
  void Loop();

  const int read_fd_;
  const int write_fd_;
  std::function<void(int)> callback_;
  struct sigaction old_term_ {};
  struct sigaction old_int_ {};
  std::thread thread_;
};

}  // namespace stalk::detail
