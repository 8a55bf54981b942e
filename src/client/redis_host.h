#pragma once

// RedisHost: a RedisQueue (src/redis_queue) and its cluster client running on a thread of
// their own inside a libstalk process, for the facade's Redis backend (redis_backend.cc).
//
// Why a class of its own: the Redis client's headers use the internal stalk::Status/Result
// (base/result.h) and the facade uses libstalk's (stalk/client.h); the two cannot be
// declared in one translation unit (`Result` is ambiguous in either header). So the code
// that touches the Redis client lives in redis_host.cc, and this header speaks only the
// queue::Queue interface, plain strings and std types.
//
// Threading: the queue belongs to the host's loop thread. Post() may be called from any
// thread; the closure runs on the loop thread, in posting order, and only there may
// queue() be used.

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/time.h"
#include "queue/queue.h"

namespace stalk::detail {

class RedisHost {
 public:
  struct StartError {
    bool bad_address = false;  // else: no seed answered
    std::string message;
  };

  // Parses `address` ("redis://h:p[,h:p...]"), starts the loop thread, connects to a seed
  // (each one tried once, `connect_timeout` each) and opens the queue. Blocks until done.
  // nullptr with *error filled on failure (the thread is already stopped then).
  static std::unique_ptr<RedisHost> Start(std::string_view address, Duration connect_timeout,
                                          StartError* error);

  // Gives back every job the queue's sessions hold (bounded by `give_back_bound`: what is
  // still unanswered then comes back after its TTR, as after a crash), destroys the queue
  // and the client on the loop thread, and joins it. REQUIRES: no call of the owner is
  // in flight.
  ~RedisHost();
  RedisHost(const RedisHost&) = delete;
  RedisHost& operator=(const RedisHost&) = delete;

  void Post(std::function<void()> fn);
  queue::Queue& queue();  // loop thread only

 private:
  class Impl;
  explicit RedisHost(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stalk::detail
