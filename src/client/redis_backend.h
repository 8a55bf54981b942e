#pragma once

// The facade straight on Redis: stalk::Dial("redis://h:p[,h:p...]") puts a RedisQueue
// (src/redis_queue, the queue stalkd --redis serves) inside the client process, so a
// program reads and writes the same tubes as every stalkd on that Redis, with no stalkd
// in between (Beanspike's model, reference/seeds.md §1).
//
// Only a factory is declared here; the backend itself is private to redis_backend.cc,
// and the code that touches the Redis client is in redis_host.{h,cc} (the internal
// Status/Result and libstalk's cannot meet in one translation unit).

#include <memory>
#include <string_view>

#include "client/backend.h"

namespace stalk::detail {

// True for an address Dial hands to the Redis backend ("redis://...").
bool IsRedisAddress(std::string_view address);

// Connects to the Redis (Cluster or single node) at `address`, "redis://h:p[,h:p...]"
// (the seeds; see redis::ParseRedisAddress), and opens the queue. From `options` it
// uses connect_timeout (each seed), call_timeout (each call's wait, on top of a
// reserve's own timeout) and decompress; host/port/unix_path and the reconnect policy
// do not apply (the cluster client has its own retry budget).
// Errors: kInvalidArgument for an address it cannot read; kConnectFailed when no seed
// answers.
//
// The backend runs the Redis client and the queue on one background thread (an
// io_context of its own); every call hands a closure to it and waits for the answer.
// Destroying the backend gives back the jobs it still holds (they go back to ready at
// once, as when a beanstalkd connection closes), bounded by a few seconds.
Result<std::unique_ptr<Backend>> ConnectRedisBackend(std::string_view address,
                                                     const Options& options);

}  // namespace stalk::detail
