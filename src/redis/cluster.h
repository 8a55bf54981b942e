#pragma once

// ClusterClient: our own Redis Cluster client on hiredis's RESP encoder and reader, running
// on an Asio io_context (the server's event loop). It keeps a slot -> primary map (CLUSTER
// SLOTS), pipelines commands per node, follows MOVED and ASK, rides out failovers and slot
// migrations by backing off and re-reading the map within a retry budget, runs Lua scripts by
// EVALSHA with an EVAL fallback, and keeps sharded pub/sub subscriptions alive. A Redis with
// cluster support disabled works too: every slot then maps to that one node.
//
// Threading: single-threaded. Every call, and every callback, runs on the io_context's thread.
// No call blocks. Callbacks never run from inside the call that registered them (always from
// a later turn of the loop), so a caller may issue more commands from inside a callback.
//
// Lifetime: the client must outlive nothing in particular: Stop() (or the destructor) fails
// every pending callback with a failed Status, and handlers still queued on the io_context
// after destruction do nothing. It must be destroyed on the io thread.
//
// The protocol it speaks is described in docs/redis_schema.md, "The cluster client".

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/time.h"
#include "redis/endpoint.h"
#include "redis/value.h"

namespace asio {
class io_context;
}

namespace stalk::redis {

struct ClusterOptions {
  std::vector<Endpoint> seeds;  // tried in order until one answers; REQUIRES: not empty
  Duration connect_timeout = std::chrono::seconds(1);
  Duration command_timeout = std::chrono::seconds(2);  // one attempt on one connection
  Duration retry_budget = std::chrono::seconds(15);    // redirects, failover, reconnects
};

// A failed Status is a transport failure that outlived the retry budget (kIOError), or
// "outcome unknown" (kIOError, see CallOptions::idempotent), or the client being stopped
// (kIOError "client stopped"). Redis error replies other than the ones the client handles
// itself (MOVED, ASK, TRYAGAIN, CLUSTERDOWN, LOADING, READONLY, NOSCRIPT for Eval) arrive as
// Values with type kError.
using Reply = stalk::Result<Value>;
using Callback = std::function<void(Reply)>;
using ScriptId = uint32_t;

struct CallOptions {
  // Safe to resend after the connection broke with the command possibly executed. When
  // false, such a command fails with kIOError "outcome unknown ..." instead of being resent.
  // (A command known not to have reached Redis, or refused with MOVED/ASK/TRYAGAIN/
  // CLUSTERDOWN, is always resent: it did not run.)
  bool idempotent = true;
  // >0: send "WAIT <wait_replicas> <wait_timeout ms>" right after the command on the same
  // connection, and complete only once WAIT has answered. The Reply is the command's own
  // reply; the number of replicas that acknowledged is ClusterClient::last_wait_acks(),
  // readable inside the callback.
  int wait_replicas = 0;
  Duration wait_timeout = std::chrono::milliseconds(100);
};

class ClusterClient {
 public:
  ClusterClient(asio::io_context& io, ClusterOptions options);
  ~ClusterClient();
  ClusterClient(const ClusterClient&) = delete;
  ClusterClient& operator=(const ClusterClient&) = delete;

  // Registers a Lua script; returns its id for Eval. Scripts are never SCRIPT LOADed ahead
  // of time: the first Eval sends EVAL with the source (which caches it on that node) and
  // learns the SHA1 from one SCRIPT LOAD; later Evals send EVALSHA, and a NOSCRIPT reply
  // (a node that never saw it, a promoted replica, SCRIPT FLUSH) is answered by resending
  // that call as EVAL. May be called at any time.
  ScriptId AddScript(std::string source);

  // Connects to the first seed that answers and reads the slot map (CLUSTER SLOTS). A Redis
  // with cluster support disabled puts the client in single-node mode (every slot -> that
  // node). `done` runs on the io thread: OK, or kIOError naming every seed that failed, or
  // kInvalidArgument for no seeds or a second Start. Commands issued before `done` wait for
  // the map (and fail with Start's error if it fails).
  void Start(std::function<void(stalk::Status)> done);

  // Closes every connection. Every pending callback gets kIOError "client stopped"; commands
  // issued afterwards fail the same way. Idempotent.
  void Stop();

  // True when talking to a Redis Cluster, false in single-node mode. REQUIRES: Start done.
  bool cluster_mode() const;

  // Runs `args` on the primary owning `slot`. Follows MOVED (updates the map, refreshes it in
  // the background) and ASK (ASKING + the command, once, on that node); on CLUSTERDOWN,
  // TRYAGAIN, LOADING, READONLY or a connection error backs off and refreshes the map, within
  // retry_budget. Replies for commands sent to the same node come back in send order
  // (redirected and retried commands excepted); commands are pipelined: everything issued in
  // one loop turn goes out in one write per node. Empty `args` fail with kInvalidArgument.
  // `slot` is taken modulo 16384.
  void Command(uint16_t slot, std::vector<std::string> args, Callback done, CallOptions opts = {});

  // EVALSHA <sha> <numkeys> keys... args... (EVAL on first use and after NOSCRIPT).
  // REQUIRES: every key hashes to `slot` (Redis answers CROSSSLOT otherwise, as a Value).
  void Eval(uint16_t slot, ScriptId script, std::vector<std::string> keys,
            std::vector<std::string> args, Callback done, CallOptions opts = {});

  // The number of replicas that acknowledged the WAIT of the call whose callback is running
  // now; -1 when that call had no WAIT or the WAIT got no answer. Only meaningful inside the
  // callback.
  int last_wait_acks() const;

  // Sharded pub/sub: SSUBSCRIBE on the primary owning the channel's slot, on one dedicated
  // subscriber connection per node. Re-subscribed after reconnects, failovers and slot
  // moves; after any re-subscription the OnGap callback runs (messages may have been missed;
  // the user re-checks its state). Several subscriptions may share a channel. on_message
  // runs on the io thread.
  using SubscriptionId = uint64_t;
  SubscriptionId Subscribe(std::string channel,
                           std::function<void(std::string_view message)> on_message);
  void Unsubscribe(SubscriptionId id);  // unknown ids are ignored
  void OnGap(std::function<void()> on_gap);

  // Runs `args` once on every primary (e.g. SCAN, DBSIZE); the replies come in the order of
  // primaries(). No redirects are followed and nothing is retried: a node that cannot be
  // reached gives a failed Reply in its place. REQUIRES: Start done.
  void CommandAll(std::vector<std::string> args, std::function<void(std::vector<Reply>)> done);

  // The primaries of the current map, in slot order of their first range.
  std::vector<Endpoint> primaries() const;
  // The primary the client would send a command for `slot` to now; nullopt when unknown.
  std::optional<Endpoint> OwnerOf(uint16_t slot) const;

  // Re-reads the slot map now (normally done on MOVED and after errors). Coalesced with a
  // refresh already running.
  void RefreshMap();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stalk::redis
