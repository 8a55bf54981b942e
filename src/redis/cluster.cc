#include "redis/cluster.h"

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <algorithm>
#include <charconv>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "redis/connection.h"
#include "redis/resp.h"
#include "redis/slot.h"
#include "redis/slot_map.h"

namespace stalk::redis {
namespace {

constexpr int kMaxRedirects = 16;  // MOVED/ASK hops for one command before giving up
constexpr Duration kFirstBackoff = std::chrono::milliseconds(20);
constexpr Duration kMaxBackoff = std::chrono::milliseconds(500);

TimePoint Now() {
  return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
}

Status Stopped() { return Status(StatusCode::kIOError, "client stopped"); }

// "MOVED 3999 127.0.0.1:6381" / "ASK 3999 127.0.0.1:6381" -> the endpoint and slot.
std::optional<std::pair<uint16_t, Endpoint>> ParseRedirect(std::string_view line) {
  const size_t a = line.find(' ');
  if (a == std::string_view::npos) return std::nullopt;
  const size_t b = line.find(' ', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  std::string_view slot_text = line.substr(a + 1, b - a - 1);
  unsigned slot = 0;
  auto [end, ec] = std::from_chars(slot_text.data(), slot_text.data() + slot_text.size(), slot);
  if (ec != std::errc() || end != slot_text.data() + slot_text.size() || slot >= kSlotCount) {
    return std::nullopt;
  }
  std::string_view addr = line.substr(b + 1);
  const size_t colon = addr.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  unsigned port = 0;
  std::string_view port_text = addr.substr(colon + 1);
  auto [pend, pec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (pec != std::errc() || port == 0 || port > 65535) return std::nullopt;
  std::string host(addr.substr(0, colon));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return std::make_pair(static_cast<uint16_t>(slot), Endpoint{host, static_cast<uint16_t>(port)});
}

// Error replies that mean "not executed, try again later": the slot has no primary right now
// (failover), a multi-key command met a half-migrated slot, the node is loading its data, or
// we reached a node that is no longer a primary.
bool IsRetryableError(std::string_view code) {
  return code == "TRYAGAIN" || code == "CLUSTERDOWN" || code == "LOADING" ||
         code == "READONLY" || code == "MASTERDOWN";
}

}  // namespace

class ClusterClient::Impl {
 public:
  Impl(asio::io_context& io, ClusterOptions options)
      : io_(io), options_(std::move(options)), retry_timer_(io), sub_timer_(io) {}

  // One command from the caller, across its retries and redirects.
  struct Request {
    uint16_t slot = 0;
    std::vector<std::string> args;  // the command; for scripts: keys and args after numkeys
    Callback done;
    CallOptions opts;
    TimePoint deadline;
    std::optional<Endpoint> ask_target;  // one-shot ASK redirect
    int redirects = 0;
    uint64_t attempt = 0;  // bumped per send, so replies of an abandoned attempt are ignored
    std::optional<Value> value;  // the command's reply while its WAIT is outstanding
    bool finished = false;
    // Scripts.
    bool is_script = false;
    ScriptId script = 0;
    size_t numkeys = 0;
    bool send_source = false;  // EVAL instead of EVALSHA
  };
  using RequestPtr = std::shared_ptr<Request>;

  struct Script {
    std::string source;
    std::string sha;  // empty until a SCRIPT LOAD answered
    bool loading = false;
  };

  struct Subscription {
    std::string channel;
    std::function<void(std::string_view)> on_message;
  };
  struct Channel {
    std::set<SubscriptionId> ids;
    std::optional<Endpoint> node;  // where SSUBSCRIBE was sent (confirmed or not)
    bool confirmed = false;
    bool ever_confirmed = false;
  };
  struct SubscriberConn {
    std::shared_ptr<Connection> conn;
    // Channels of the SSUBSCRIBE (true) / SUNSUBSCRIBE (false) commands sent and not yet
    // answered, in order: their confirmations and errors come back in this order.
    std::deque<std::pair<bool, std::string>> sent;
  };

  // ---- Start / Stop ----

  void Start(std::function<void(Status)> done) {
    if (started_ || start_done_ || stopped_) {
      Post([done] { done(Status(StatusCode::kInvalidArgument, "Start called twice or after Stop")); });
      return;
    }
    if (options_.seeds.empty()) {
      Post([done] { done(Status(StatusCode::kInvalidArgument, "no Redis seed address given")); });
      return;
    }
    start_done_ = std::move(done);
    TryStart(0, "");
  }

  void TryStart(size_t i, std::string errors) {
    if (stopped_) return;
    if (i == options_.seeds.size()) {
      Status failed(StatusCode::kIOError, "no Redis seed answered CLUSTER SLOTS: " + errors);
      std::deque<RequestPtr> waiting;
      waiting.swap(waiting_);
      for (const RequestPtr& req : waiting) Finish(req, failed, -1);
      if (auto done = std::move(start_done_)) done(failed);
      return;
    }
    const Endpoint seed = options_.seeds[i];
    ConnectionFor(seed)->Send(
        EncodeCommand({"CLUSTER", "SLOTS"}),
        Guard([this, i, seed, errors](Result<Value> reply, bool) mutable {
          if (stopped_) return;
          std::string why;
          if (!reply.ok()) {
            why = reply.status().message();
          } else if (reply->is_error() &&
                     reply->str.find("cluster support disabled") != std::string::npos) {
            UseMap(SlotMap::SingleNode(seed), false);
            return Started();
          } else if (reply->is_error()) {
            why = reply->str;
          } else {
            Result<SlotMap> map = SlotMap::FromClusterSlots(*reply, seed);
            if (map.ok() && map->covered_slots() > 0) {
              UseMap(std::move(*map), true);
              return Started();
            }
            why = map.ok() ? "no slot is assigned" : map.status().message();
          }
          errors += (errors.empty() ? "" : "; ") + seed.ToString() + ": " + why;
          TryStart(i + 1, errors);
        }));
  }

  void Started() {
    started_ = true;
    FlushWaiting();
    SyncSubscriptions();
    if (auto done = std::move(start_done_)) done(Status::Ok());
  }

  void Stop() {
    if (stopped_) return;
    stopped_ = true;
    retry_timer_.cancel();
    sub_timer_.cancel();
    std::deque<RequestPtr> waiting;
    waiting.swap(waiting_);
    for (const RequestPtr& req : waiting) Finish(req, Stopped(), -1);
    auto conns = std::move(conns_);
    conns_.clear();
    for (auto& [ep, conn] : conns) conn->Close(Stopped());
    auto subs = std::move(sub_conns_);
    sub_conns_.clear();
    for (auto& [ep, sc] : subs) sc.conn->Close(Stopped());
    refresh_waiters_.clear();
    if (auto done = std::move(start_done_)) done(Stopped());
  }

  // ---- Commands ----

  void Submit(RequestPtr req) {
    if (stopped_) {
      Post([done = std::move(req->done)] { done(Stopped()); });
      return;
    }
    if (!req->is_script && req->args.empty()) {
      // Redis silently ignores an empty command: it would never be answered.
      Post([done = std::move(req->done)] {
        done(Status(StatusCode::kInvalidArgument, "empty Redis command"));
      });
      return;
    }
    req->deadline = Now() + options_.retry_budget;
    Dispatch(req);
  }

  void Dispatch(const RequestPtr& req) {
    if (stopped_) return Finish(req, Stopped(), -1);
    if (!started_) {
      waiting_.push_back(req);
      return;
    }
    std::optional<Endpoint> ask = std::move(req->ask_target);
    req->ask_target.reset();
    const Endpoint* owner = ask ? &*ask : map_.OwnerOf(req->slot);
    if (owner == nullptr) {
      return Retry(req, Status(StatusCode::kIOError,
                               "slot " + std::to_string(req->slot) + " has no known primary"));
    }
    const Endpoint target = *owner;
    std::shared_ptr<Connection> conn = ConnectionFor(target);
    const uint64_t attempt = ++req->attempt;
    req->value.reset();
    // A script goes as EVAL (with its source) until this node has answered it once on the
    // current connection. Sending EVALSHA earlier could reorder a session's commands: one
    // that got NOSCRIPT would be resent as EVAL after a later one that found the script
    // (loaded meanwhile by another client) had already run.
    if (req->is_script && !scripts_on_[target].count(req->script)) req->send_source = true;
    if (ask) conn->Send(EncodeCommand({"ASKING"}), nullptr);
    conn->Send(Encode(*req),
               Guard([this, req, attempt, target](Result<Value> reply, bool written) {
                 OnReply(req, attempt, target, std::move(reply), written);
               }));
    if (req->opts.wait_replicas > 0) {
      const auto wait_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(req->opts.wait_timeout).count();
      conn->Send(EncodeCommand({"WAIT", std::to_string(req->opts.wait_replicas),
                                std::to_string(std::max<int64_t>(wait_ms, 0))}),
                 Guard([this, req, attempt](Result<Value> reply, bool) {
                   OnWaitReply(req, attempt, std::move(reply));
                 }));
    }
  }

  std::string Encode(const Request& req) {
    if (!req.is_script) return EncodeCommand(req.args);
    Script& script = scripts_[req.script];
    const bool source = req.send_source || script.sha.empty();
    std::vector<std::string> argv;
    argv.reserve(req.args.size() + 3);
    argv.push_back(source ? "EVAL" : "EVALSHA");
    argv.push_back(source ? script.source : script.sha);
    argv.push_back(std::to_string(req.numkeys));
    argv.insert(argv.end(), req.args.begin(), req.args.end());
    if (script.sha.empty()) LoadScriptSha(req.script, req.slot);
    return EncodeCommand(argv);
  }

  // Learns a script's SHA1 once (SCRIPT LOAD on the node of `slot`), so later calls can send
  // EVALSHA. Until then calls send EVAL with the source.
  void LoadScriptSha(ScriptId id, uint16_t slot) {
    Script& script = scripts_[id];
    if (script.loading) return;
    script.loading = true;
    auto req = std::make_shared<Request>();
    req->slot = slot;
    req->args = {"SCRIPT", "LOAD", script.source};
    req->done = [this, alive = std::weak_ptr<int>(alive_), id](Reply reply) {
      if (alive.expired()) return;
      Script& s = scripts_[id];
      s.loading = false;
      if (reply.ok() && reply->type == Value::Type::kString) s.sha = reply->str;
    };
    Submit(req);
  }

  void OnReply(const RequestPtr& req, uint64_t attempt, const Endpoint& node,
               Result<Value> reply, bool written) {
    if (req->finished || attempt != req->attempt) return;
    if (stopped_) return Finish(req, Stopped(), -1);
    if (!reply.ok()) {
      scripts_on_.erase(node);  // a new connection (or a restarted node) starts unknown
      if (written && !req->opts.idempotent) {
        return Finish(req,
                      Status(StatusCode::kIOError,
                             "outcome unknown: the connection broke after the command was sent (" +
                                 reply.status().message() + ")"),
                      -1);
      }
      return Retry(req, reply.status());
    }
    Value& value = *reply;
    if (value.is_error()) {
      const std::string_view code = value.error_code();
      if (code == "MOVED" || code == "ASK") {
        auto redirect = ParseRedirect(value.str);
        if (!redirect) return Finish(req, std::move(value), -1);
        if (++req->redirects > kMaxRedirects) {
          return Finish(req,
                        Status(StatusCode::kIOError, "too many redirects; last: " + value.str), -1);
        }
        if (code == "MOVED") {
          map_.SetOwner(redirect->first, redirect->second);
          RefreshMap(nullptr);
        } else {
          req->ask_target = redirect->second;
        }
        return Dispatch(req);
      }
      if (IsRetryableError(code)) return Retry(req, Status(StatusCode::kIOError, value.str));
      if (code == "NOSCRIPT" && req->is_script && !req->send_source) {
        // The node lost its script cache under a live connection (SCRIPT FLUSH): EVAL
        // caches it again for later EVALSHAs.
        scripts_on_[node].erase(req->script);
        req->send_source = true;
        return Dispatch(req);
      }
    } else if (req->is_script) {
      scripts_on_[node].insert(req->script);
    }
    backoff_ = kFirstBackoff;  // the cluster answers: later trouble starts from a short backoff
    if (req->opts.wait_replicas > 0) {
      req->value = std::move(value);  // completes when WAIT answers
      return;
    }
    Finish(req, std::move(value), -1);
  }

  void OnWaitReply(const RequestPtr& req, uint64_t attempt, Result<Value> reply) {
    if (req->finished || attempt != req->attempt || !req->value) return;
    int acks = -1;
    if (reply.ok() && reply->type == Value::Type::kInteger) acks = static_cast<int>(reply->integer);
    Finish(req, std::move(*req->value), acks);
  }

  void Retry(const RequestPtr& req, const Status& why) {
    if (Now() >= req->deadline) {
      return Finish(req, Status(StatusCode::kIOError, "gave up after the retry budget: " +
                                                          why.message()), -1);
    }
    waiting_.push_back(req);
    ScheduleRetry();
  }

  // All retries share one timer: when it fires the map is re-read first, then every waiting
  // request is sent again. The delay doubles while the cluster keeps failing.
  void ScheduleRetry() {
    if (retry_armed_) return;
    retry_armed_ = true;
    retry_timer_.expires_after(backoff_);
    backoff_ = std::min(backoff_ * 2, kMaxBackoff);
    retry_timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](const std::error_code& ec) {
      if (ec || alive.expired()) return;
      retry_armed_ = false;
      RefreshMap([this] { FlushWaiting(); });
    });
  }

  void FlushWaiting() {
    std::deque<RequestPtr> waiting;
    waiting.swap(waiting_);
    for (const RequestPtr& req : waiting) Dispatch(req);
  }

  void Finish(const RequestPtr& req, Reply reply, int acks) {
    if (req->finished) return;
    req->finished = true;
    Callback done = std::move(req->done);
    req->done = nullptr;
    last_wait_acks_ = acks;
    if (done) done(std::move(reply));
    last_wait_acks_ = -1;
  }

  // ---- Slot map ----

  void UseMap(SlotMap map, bool cluster) {
    map_ = std::move(map);
    cluster_mode_ = cluster;
  }

  // Re-reads CLUSTER SLOTS from the known primaries, then the seeds, one at a time; `then`
  // runs afterwards whether or not a node answered. Concurrent calls share one refresh.
  void RefreshMap(std::function<void()> then) {
    if (stopped_) return;
    if (then) refresh_waiters_.push_back(std::move(then));
    if (refreshing_) return;
    if (!started_ || !cluster_mode_) {
      // Single node: there is nothing to learn. Not started: Start() reads the map.
      return RefreshDone();
    }
    refreshing_ = true;
    std::vector<Endpoint> candidates = map_.primaries();
    for (const Endpoint& seed : options_.seeds) {
      if (std::find(candidates.begin(), candidates.end(), seed) == candidates.end()) {
        candidates.push_back(seed);
      }
    }
    TryRefresh(std::move(candidates), 0);
  }

  void TryRefresh(std::vector<Endpoint> candidates, size_t i) {
    if (stopped_) return;
    if (i == candidates.size()) {
      refreshing_ = false;
      return RefreshDone();
    }
    const Endpoint node = candidates[i];
    ConnectionFor(node)->Send(
        EncodeCommand({"CLUSTER", "SLOTS"}),
        Guard([this, candidates = std::move(candidates), i, node](Result<Value> reply, bool) {
          if (stopped_) return;
          if (reply.ok() && !reply->is_error()) {
            Result<SlotMap> map = SlotMap::FromClusterSlots(*reply, node);
            if (map.ok() && map->covered_slots() > 0) {
              map_ = std::move(*map);
              refreshing_ = false;
              return RefreshDone();
            }
          }
          TryRefresh(std::move(candidates), i + 1);
        }));
  }

  void RefreshDone() {
    std::vector<std::function<void()>> waiters;
    waiters.swap(refresh_waiters_);
    SyncSubscriptions();
    for (auto& w : waiters) w();
  }

  std::shared_ptr<Connection> ConnectionFor(const Endpoint& node) {
    auto it = conns_.find(node);
    if (it != conns_.end() && !it->second->broken()) return it->second;
    auto conn = Connection::Create(io_, node, options_.connect_timeout, options_.command_timeout);
    conn->SetCloseHandler([this, alive = std::weak_ptr<int>(alive_), node,
                           weak = std::weak_ptr<Connection>(conn)](const Status&) {
      if (alive.expired()) return;
      auto found = conns_.find(node);
      if (found != conns_.end() && found->second == weak.lock()) conns_.erase(found);
    });
    conns_[node] = conn;
    return conn;
  }

  // ---- Sharded pub/sub ----

  SubscriptionId Subscribe(std::string channel, std::function<void(std::string_view)> fn) {
    const SubscriptionId id = ++next_subscription_;
    channels_[channel].ids.insert(id);
    subscriptions_[id] = Subscription{std::move(channel), std::move(fn)};
    if (started_ && !stopped_) SyncSubscriptions();
    return id;
  }

  void Unsubscribe(SubscriptionId id) {
    auto it = subscriptions_.find(id);
    if (it == subscriptions_.end()) return;
    const std::string channel = it->second.channel;
    subscriptions_.erase(it);
    auto ch = channels_.find(channel);
    if (ch == channels_.end()) return;
    ch->second.ids.erase(id);
    if (!ch->second.ids.empty()) return;
    // Only where a subscriber connection still exists: a broken one took the
    // subscription with it.
    if (ch->second.node && sub_conns_.count(*ch->second.node)) {
      SendSubscription(*ch->second.node, false, channel);
    }
    channels_.erase(ch);
  }

  // Brings every channel's SSUBSCRIBE to the node that owns its slot now.
  void SyncSubscriptions() {
    if (!started_ || stopped_) return;
    for (auto& [channel, state] : channels_) {
      const Endpoint* owner = map_.OwnerOf(KeySlot(channel));
      if (owner == nullptr) continue;
      if (state.node && *state.node == *owner) continue;
      if (state.node) SendSubscription(*state.node, false, channel);
      state.node = *owner;
      state.confirmed = false;
      SendSubscription(*owner, true, channel);
    }
  }

  void SendSubscription(const Endpoint& node, bool subscribe, const std::string& channel) {
    SubscriberConn& sc = SubscriberFor(node);
    sc.sent.emplace_back(subscribe, channel);
    sc.conn->Send(EncodeCommand({subscribe ? "SSUBSCRIBE" : "SUNSUBSCRIBE", channel}), nullptr);
  }

  SubscriberConn& SubscriberFor(const Endpoint& node) {
    auto it = sub_conns_.find(node);
    if (it != sub_conns_.end()) return it->second;
    // No command timeout in push mode, so connect_timeout bounds the connect only.
    auto conn = Connection::Create(io_, node, options_.connect_timeout, options_.command_timeout);
    auto alive = std::weak_ptr<int>(alive_);
    conn->SetPushHandler([this, alive, node](Value v) {
      if (!alive.expired()) OnPush(node, std::move(v));
    });
    conn->SetCloseHandler([this, alive, node](const Status&) {
      if (!alive.expired()) OnSubscriberLost(node);
    });
    return sub_conns_[node] = SubscriberConn{std::move(conn), {}};
  }

  void OnPush(const Endpoint& node, Value v) {
    auto it = sub_conns_.find(node);
    if (it == sub_conns_.end()) return;
    SubscriberConn& sc = it->second;
    if (v.is_error()) {
      // The answer to the oldest unanswered (S)SUBSCRIBE: e.g. MOVED while the map is stale.
      if (sc.sent.empty()) return;
      auto [subscribe, channel] = sc.sent.front();
      sc.sent.pop_front();
      auto ch = channels_.find(channel);
      if (subscribe && ch != channels_.end() && ch->second.node == node) {
        ch->second.node.reset();
        ch->second.confirmed = false;
        if (v.error_code() == "MOVED") {
          if (auto redirect = ParseRedirect(v.str)) map_.SetOwner(redirect->first, redirect->second);
        }
        ScheduleSubscriptionRetry();
      }
      return;
    }
    if (v.type != Value::Type::kArray || v.elements.size() < 3) return;
    const std::string& kind = v.elements[0].str;
    const std::string& channel = v.elements[1].str;
    if (kind == "smessage") {
      auto ch = channels_.find(channel);
      if (ch == channels_.end()) return;
      // A callback may unsubscribe: collect first.
      std::vector<SubscriptionId> ids(ch->second.ids.begin(), ch->second.ids.end());
      const std::string message = v.elements[2].str;
      for (SubscriptionId id : ids) {
        auto sub = subscriptions_.find(id);
        if (sub == subscriptions_.end()) continue;
        auto on_message = sub->second.on_message;  // it may unsubscribe itself
        on_message(message);
      }
    } else if (kind == "ssubscribe") {
      if (!sc.sent.empty()) sc.sent.pop_front();
      auto ch = channels_.find(channel);
      if (ch == channels_.end() || ch->second.node != node) return;
      ch->second.confirmed = true;
      if (ch->second.ever_confirmed) NoteGap();
      ch->second.ever_confirmed = true;
    } else if (kind == "sunsubscribe") {
      if (!sc.sent.empty() && !sc.sent.front().first && sc.sent.front().second == channel) {
        sc.sent.pop_front();
        return;
      }
      // Unasked: the node lost the channel's slot (migration or failover). Find the new owner.
      auto ch = channels_.find(channel);
      if (ch == channels_.end() || ch->second.node != node) return;
      ch->second.node.reset();
      ch->second.confirmed = false;
      ScheduleSubscriptionRetry();
    }
  }

  void OnSubscriberLost(const Endpoint& node) {
    sub_conns_.erase(node);
    for (auto& [channel, state] : channels_) {
      if (state.node == node) {
        state.node.reset();
        state.confirmed = false;
      }
    }
    ScheduleSubscriptionRetry();
  }

  // Re-subscribes after a delay (doubling while nodes stay unreachable), with a fresh map.
  void ScheduleSubscriptionRetry() {
    if (sub_retry_armed_ || stopped_) return;
    sub_retry_armed_ = true;
    sub_timer_.expires_after(sub_backoff_);
    sub_backoff_ = std::min(sub_backoff_ * 2, kMaxBackoff);
    sub_timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](const std::error_code& ec) {
      if (ec || alive.expired()) return;
      sub_retry_armed_ = false;
      RefreshMap([this] {
        SyncSubscriptions();
        bool all_placed = true;
        for (auto& [channel, state] : channels_) all_placed &= state.node.has_value();
        if (all_placed) {
          sub_backoff_ = kFirstBackoff;
        } else {
          ScheduleSubscriptionRetry();
        }
      });
    });
  }

  // Several channels re-subscribed together give one on_gap call.
  void NoteGap() {
    if (gap_posted_) return;
    gap_posted_ = true;
    Post([this, alive = std::weak_ptr<int>(alive_)] {
      if (alive.expired()) return;
      gap_posted_ = false;
      if (on_gap_) on_gap_();
    });
  }

  // ---- CommandAll ----

  void CommandAll(std::vector<std::string> args, std::function<void(std::vector<Reply>)> done) {
    std::vector<Endpoint> nodes = map_.primaries();
    if (stopped_ || nodes.empty()) {
      std::vector<Reply> replies(nodes.size(), Reply(Stopped()));
      Post([done = std::move(done), replies = std::move(replies)]() mutable {
        done(std::move(replies));
      });
      return;
    }
    struct Gather {
      std::vector<std::optional<Reply>> replies;
      size_t remaining;
      std::function<void(std::vector<Reply>)> done;
    };
    auto gather = std::make_shared<Gather>();
    gather->replies.resize(nodes.size());
    gather->remaining = nodes.size();
    gather->done = std::move(done);
    const std::string encoded = EncodeCommand(args);
    for (size_t i = 0; i < nodes.size(); ++i) {
      ConnectionFor(nodes[i])->Send(encoded, [gather, i](Result<Value> reply, bool) {
        gather->replies[i] = std::move(reply);
        if (--gather->remaining > 0) return;
        std::vector<Reply> out;
        for (auto& r : gather->replies) out.push_back(std::move(*r));
        gather->done(std::move(out));
      });
    }
  }

  // ---- helpers ----

  template <typename F>
  void Post(F f) {
    asio::post(io_, std::move(f));
  }

  // Wraps a Connection reply callback so it does nothing once the client is gone.
  Connection::ReplyFn Guard(std::function<void(Result<Value>, bool)> fn) {
    return [alive = std::weak_ptr<int>(alive_), fn = std::move(fn)](Result<Value> r, bool written) {
      if (!alive.expired()) fn(std::move(r), written);
    };
  }

  asio::io_context& io_;
  ClusterOptions options_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // handlers hold weak_ptrs to it
  bool started_ = false;
  bool stopped_ = false;
  bool cluster_mode_ = false;
  int last_wait_acks_ = -1;
  std::function<void(Status)> start_done_;

  SlotMap map_;
  bool refreshing_ = false;
  std::vector<std::function<void()>> refresh_waiters_;
  std::map<Endpoint, std::shared_ptr<Connection>> conns_;
  // Scripts each node has answered since our connection to it was last broken.
  std::map<Endpoint, std::set<ScriptId>> scripts_on_;

  std::deque<RequestPtr> waiting_;  // for the map, or for a retry after backoff
  asio::steady_timer retry_timer_;
  bool retry_armed_ = false;
  Duration backoff_ = kFirstBackoff;

  std::vector<Script> scripts_;

  std::map<SubscriptionId, Subscription> subscriptions_;
  std::map<std::string, Channel> channels_;
  std::map<Endpoint, SubscriberConn> sub_conns_;
  SubscriptionId next_subscription_ = 0;
  asio::steady_timer sub_timer_;
  bool sub_retry_armed_ = false;
  Duration sub_backoff_ = kFirstBackoff;
  std::function<void()> on_gap_;
  bool gap_posted_ = false;

  friend class ClusterClient;
};

ClusterClient::ClusterClient(asio::io_context& io, ClusterOptions options)
    : impl_(std::make_unique<Impl>(io, std::move(options))) {}

ClusterClient::~ClusterClient() { impl_->Stop(); }

ScriptId ClusterClient::AddScript(std::string source) {
  impl_->scripts_.push_back(Impl::Script{std::move(source), "", false});
  return static_cast<ScriptId>(impl_->scripts_.size() - 1);
}

void ClusterClient::Start(std::function<void(Status)> done) { impl_->Start(std::move(done)); }

void ClusterClient::Stop() { impl_->Stop(); }

bool ClusterClient::cluster_mode() const { return impl_->cluster_mode_; }

int ClusterClient::last_wait_acks() const { return impl_->last_wait_acks_; }

void ClusterClient::Command(uint16_t slot, std::vector<std::string> args, Callback done,
                            CallOptions opts) {
  auto req = std::make_shared<Impl::Request>();
  req->slot = slot & (kSlotCount - 1);
  req->args = std::move(args);
  req->done = std::move(done);
  req->opts = opts;
  impl_->Submit(std::move(req));
}

void ClusterClient::Eval(uint16_t slot, ScriptId script, std::vector<std::string> keys,
                         std::vector<std::string> args, Callback done, CallOptions opts) {
  if (script >= impl_->scripts_.size()) {
    asio::post(impl_->io_, [done = std::move(done), script] {
      done(Status(StatusCode::kInvalidArgument, "unknown script id " + std::to_string(script)));
    });
    return;
  }
  auto req = std::make_shared<Impl::Request>();
  req->slot = slot & (kSlotCount - 1);
  req->is_script = true;
  req->script = script;
  req->numkeys = keys.size();
  req->args = std::move(keys);
  req->args.insert(req->args.end(), std::make_move_iterator(args.begin()),
                   std::make_move_iterator(args.end()));
  req->done = std::move(done);
  req->opts = opts;
  impl_->Submit(std::move(req));
}

ClusterClient::SubscriptionId ClusterClient::Subscribe(
    std::string channel, std::function<void(std::string_view)> on_message) {
  return impl_->Subscribe(std::move(channel), std::move(on_message));
}

void ClusterClient::Unsubscribe(SubscriptionId id) { impl_->Unsubscribe(id); }

void ClusterClient::OnGap(std::function<void()> on_gap) { impl_->on_gap_ = std::move(on_gap); }

void ClusterClient::CommandAll(std::vector<std::string> args,
                               std::function<void(std::vector<Reply>)> done) {
  impl_->CommandAll(std::move(args), std::move(done));
}

std::vector<Endpoint> ClusterClient::primaries() const { return impl_->map_.primaries(); }

std::optional<Endpoint> ClusterClient::OwnerOf(uint16_t slot) const {
  const Endpoint* owner = impl_->map_.OwnerOf(slot);
  return owner ? std::optional<Endpoint>(*owner) : std::nullopt;
}

void ClusterClient::RefreshMap() { impl_->RefreshMap(nullptr); }

}  // namespace stalk::redis
