#include "redis_queue/redis_queue.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <random>
#include <tuple>

#include "redis_queue/job_key.h"
#include "redis_queue/scripts.h"

namespace stalk::redis_queue {

using queue::Code;
using queue::JobId;
using queue::JobRef;
using queue::SessionId;
using redis::Reply;
using redis::Value;

namespace {

constexpr Duration kMinTtr = std::chrono::seconds(1);
// DEADLINE_SOON margin (beanstalkd conn.c SAFETY_MARGIN).
constexpr Duration kSafetyMargin = std::chrono::seconds(1);
// Never re-arm a timer closer than this: a shard whose clock lags ours answers "not due yet"
// for a moment, and the timer must not spin meanwhile.
constexpr Duration kMinRearm = std::chrono::milliseconds(2);
// Job id -> tube entries kept (see NoteJobTube).
constexpr size_t kJobTubeCacheSize = 65536;
// How long a head read for the cross-tube pick may be reused (see heads_ in the header).
// Wake-ups forget a head at once; this bounds what a lost wake-up can cost.
constexpr Duration kHeadCacheTtl = std::chrono::milliseconds(250);

int64_t Ms(Duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); }

std::string RandomNodeId() {
  std::random_device rd;
  const uint64_t v = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}

int64_t IntAt(const std::vector<Value>& e, size_t i) {
  if (i >= e.size()) return 0;
  if (e[i].type == Value::Type::kInteger) return e[i].integer;
  if (e[i].type == Value::Type::kString) return std::strtoll(e[i].str.c_str(), nullptr, 10);
  return 0;
}

const std::string& StrAt(const std::vector<Value>& e, size_t i) {
  static const std::string kEmpty;
  return i < e.size() ? e[i].str : kEmpty;
}

bool IsOom(const Reply& reply) {
  return reply.ok() && reply->is_error() && reply->str.find("OOM") != std::string::npos;
}

}  // namespace

// One client connection as this node sees it.
struct RedisQueue::Session {
  SessionId id = 0;
  std::string owner;  // "<node id>:<session id>": the fence every owner-checked script compares
  std::string used = "default";
  std::vector<std::string> watches{"default"};  // beanstalkd's list-tubes-watched order
  // This node's record of the jobs the session holds: job id -> TTR deadline (our clock).
  std::map<JobId, TimePoint> held;

  // A Reserve not completed yet.
  bool reserving = false;
  bool waiting = false;   // ... and found nothing at first: blocked until a job, timeout, ...
  bool zero_timeout = false;
  ReserveDone done;
  TimePoint wait_deadline = TimePoint::max();
  // Attempts: each Reserve and each attempt gets a generation; a reply for an older one is
  // stale (its job, if any, goes back).
  uint64_t gen = 0;
  bool in_flight = false;
  bool again = false;  // a wake-up came while an attempt was in flight
  std::unique_ptr<Alarm> alarm;
};

struct RedisQueue::LocalTube {
  uint64_t using_count = 0, watching_count = 0, waiting_count = 0;
  redis::ClusterClient::SubscriptionId sub = 0;  // wake channel, while watched here
};

struct RedisQueue::ScriptReply {
  std::string status;
  int64_t due_ms = 0, now_ms = 0;
  std::vector<Value> e;  // the whole reply array
};

struct RedisQueue::Head {
  std::string tube;
  int64_t seq = 0, pri = 0, born = 0;  // born: creation time in µs
  uint16_t slot = 0;
};

RedisQueue::RedisQueue(redis::ClusterClient& client, Clock& clock, RedisQueueOptions options)
    : client_(client), clock_(clock), options_(std::move(options)) {
  node_id_ = options_.node_id.empty() ? RandomNodeId() : options_.node_id;
  scripts_.put = client_.AddScript(scripts::kPut);
  scripts_.head = client_.AddScript(scripts::kHead);
  scripts_.reserve = client_.AddScript(scripts::kReserve);
  scripts_.reserve_job = client_.AddScript(scripts::kReserveJob);
  scripts_.del = client_.AddScript(scripts::kDelete);
  scripts_.release = client_.AddScript(scripts::kRelease);
  scripts_.bury = client_.AddScript(scripts::kBury);
  scripts_.touch = client_.AddScript(scripts::kTouch);
  scripts_.unreserve = client_.AddScript(scripts::kUnreserve);
  scripts_.kick_job = client_.AddScript(scripts::kKickJob);
  scripts_.kick = client_.AddScript(scripts::kKick);
  scripts_.peek_tube = client_.AddScript(scripts::kPeekTube);
  scripts_.pause = client_.AddScript(scripts::kPause);
  scripts_.stats_job = client_.AddScript(scripts::kStatsJob);
  scripts_.stats_tube = client_.AddScript(scripts::kStatsTube);
  scripts_.promote = client_.AddScript(scripts::kPromote);
  scripts_.prune = client_.AddScript(scripts::kPrune);
  std::weak_ptr<RedisQueue*> weak = self_;
  tube_alarm_ = clock_.NewAlarm([weak] {
    if (auto self = weak.lock()) (*self)->OnTubeAlarm();
  });
  sweep_alarm_ = clock_.NewAlarm([weak] {
    if (auto self = weak.lock()) (*self)->Sweep();
  });
  client_.OnGap([weak] {
    if (auto self = weak.lock()) (*self)->WakeAllWaiters();
  });
}

RedisQueue::~RedisQueue() {
  self_.reset();
  client_.OnGap(nullptr);
  for (auto& [name, t] : local_tubes_) {
    if (t.sub != 0) client_.Unsubscribe(t.sub);
  }
}

void RedisQueue::Start() { sweep_alarm_->SetAt(clock_.Now() + options_.sweep_interval); }

// ---------------------------------------------------------------------------
// Plumbing

RedisQueue::Session* RedisQueue::FindSession(SessionId id) {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second.get();
}

redis::Callback RedisQueue::Guard(std::function<void(Reply)> f) {
  return [weak = std::weak_ptr<RedisQueue*>(self_), f = std::move(f)](Reply reply) {
    if (weak.expired()) return;
    f(std::move(reply));
  };
}

// A claim (reserve, reserve-job) is not resent either, but never WAITs: a lost reservation
// only means a job delivered twice, which TTR expiry can cause anyway, and a WAIT would eat
// into the worker's TTR (docs/redis_schema.md, "Failover loss window").
redis::CallOptions RedisQueue::Claiming() {
  redis::CallOptions o;
  o.idempotent = false;
  return o;
}

redis::CallOptions RedisQueue::Mutating(bool idempotent) const {
  redis::CallOptions o;
  o.idempotent = idempotent;
  o.wait_replicas = options_.wait_replicas;
  o.wait_timeout = options_.wait_timeout;
  return o;
}

bool RedisQueue::ShortOfReplicas() const {
  return options_.wait_replicas > 0 && client_.last_wait_acks() < options_.wait_replicas;
}

std::vector<std::string> RedisQueue::TubeKeys(const std::string& tube) {
  // The order common.lua documents: the scripts rely on it (put reads KEYS[6]).
  return {TubeKey(tube, "ready"), TubeKey(tube, "delayed"), TubeKey(tube, "reserved"),
          TubeKey(tube, "buried"), TubeKey(tube, "meta")};
}

void RedisQueue::EvalTube(redis::ScriptId script, const std::string& tube,
                          std::vector<std::string> extra, std::function<void(Reply)> done,
                          redis::CallOptions opts) {
  const uint16_t slot = TubeSlot(tube);
  std::vector<std::string> args;
  args.reserve(2 + extra.size());
  args.push_back(tube);
  args.push_back(JobPrefix(slot));
  for (std::string& a : extra) args.push_back(std::move(a));
  client_.Eval(slot, script, TubeKeys(tube), std::move(args), Guard(std::move(done)), opts);
}

void RedisQueue::NoteJobTube(JobId id, const std::string& tube) {
  if (tube.empty()) return;
  // A cache, not a record: when full it starts over (a miss costs one HGET).
  if (job_tubes_.size() >= kJobTubeCacheSize) job_tubes_.clear();
  job_tubes_[id] = tube;
}

bool RedisQueue::EvalJob(redis::ScriptId script, JobId id, std::vector<std::string> extra,
                         std::function<void(Reply)> done, redis::CallOptions opts) {
  uint16_t slot = 0;
  uint64_t seq = 0;
  if (!SplitJobId(id, &slot, &seq)) return false;
  auto known = job_tubes_.find(id);
  if (known != job_tubes_.end()) {
    EvalJobIn(script, id, known->second, std::move(extra), std::move(done), opts, false);
    return true;
  }
  // The script must declare its tube's keys, so learn the tube first (one read).
  client_.Command(
      slot, {"HGET", JobPrefix(slot) + PadSeq(seq), "tube"},
      Guard([this, script, id, extra = std::move(extra), done = std::move(done),
             opts](Reply reply) mutable {
        if (!reply.ok() || reply->is_error()) return done(std::move(reply));
        if (reply->is_nil()) {
          return done(Value::Array({Value::String("notfound"), Value::Integer(0),
                                    Value::Integer(0)}));
        }
        NoteJobTube(id, reply->str);
        EvalJobIn(script, id, reply->str, std::move(extra), std::move(done), opts, false);
      }));
  return true;
}

void RedisQueue::EvalJobIn(redis::ScriptId script, JobId id, const std::string& tube,
                           std::vector<std::string> extra, std::function<void(Reply)> done,
                           redis::CallOptions opts, bool retried) {
  uint16_t slot = 0;
  uint64_t seq = 0;
  SplitJobId(id, &slot, &seq);
  std::string jp = JobPrefix(slot);
  std::string m = PadSeq(seq);
  std::vector<std::string> keys = TubeKeys(tube);
  keys.push_back(jp + m);
  std::vector<std::string> args;
  args.reserve(3 + extra.size());
  args.push_back(jp);
  args.push_back(std::move(m));
  args.push_back(tube);
  std::vector<std::string> extra_copy = retried ? std::vector<std::string>() : extra;
  for (std::string& a : extra) args.push_back(std::move(a));
  auto on_reply = [this, script, id, extra = std::move(extra_copy), done = std::move(done), opts,
                   retried](Reply reply) mutable {
    // {'tube', 0, now, t}: the job is in tube t, not the one we named (a stale cache entry;
    // nothing changed). Once more with t's keys.
    if (!retried && reply.ok() && reply->type == Value::Type::kArray &&
        reply->elements.size() > 3 && reply->elements[0].str == "tube") {
      const std::string actual = reply->elements[3].str;
      NoteJobTube(id, actual);
      return EvalJobIn(script, id, actual, std::move(extra), std::move(done), opts, true);
    }
    if (reply.ok() && reply->type == Value::Type::kArray && !reply->elements.empty() &&
        reply->elements[0].str == "notfound") {
      job_tubes_.erase(id);
    }
    done(std::move(reply));
  };
  client_.Eval(slot, script, std::move(keys), std::move(args), Guard(std::move(on_reply)), opts);
}

std::optional<RedisQueue::ScriptReply> RedisQueue::ParseScript(const Reply& reply,
                                                               std::string_view what) {
  if (!reply.ok()) {
    spdlog::warn("redis: {}: {}", what, reply.status().ToString());
    return std::nullopt;
  }
  if (reply->type != Value::Type::kArray || reply->elements.size() < 3) {
    spdlog::error("redis: {}: unexpected reply {}", what, reply->ToString());
    return std::nullopt;
  }
  ScriptReply r;
  r.status = reply->elements[0].str;
  r.due_ms = IntAt(reply->elements, 1);
  r.now_ms = IntAt(reply->elements, 2);
  r.e = reply->elements;
  return r;
}

TimePoint RedisQueue::LocalTime(int64_t at_ms, int64_t now_ms) const {
  return clock_.Now() + std::chrono::milliseconds(at_ms - now_ms);
}

// ---------------------------------------------------------------------------
// Tubes known to this node

RedisQueue::LocalTube& RedisQueue::RefTube(const std::string& name) {
  auto it = local_tubes_.find(name);
  if (it != local_tubes_.end()) return it->second;
  LocalTube& t = local_tubes_[name];
  std::weak_ptr<RedisQueue*> weak = self_;
  t.sub = client_.Subscribe(TubeKey(name, "wake"), [weak, name](std::string_view) {
    if (auto self = weak.lock()) (*self)->OnWake(name);
  });
  return t;
}

void RedisQueue::UnrefTube(const std::string& name) {
  auto it = local_tubes_.find(name);
  if (it == local_tubes_.end()) return;
  const LocalTube& t = it->second;
  if (t.using_count > 0 || t.watching_count > 0 || t.waiting_count > 0) return;
  if (t.sub != 0) client_.Unsubscribe(t.sub);
  local_tubes_.erase(it);
}

bool RedisQueue::KnownLocally(std::string_view name) const {
  return name == "default" || local_tubes_.find(name) != local_tubes_.end();
}

// ---------------------------------------------------------------------------
// Sessions

SessionId RedisQueue::OpenSession() {
  const SessionId id = next_session_id_++;
  auto s = std::make_unique<Session>();
  s->id = id;
  s->owner = node_id_ + ":" + std::to_string(id);
  std::weak_ptr<RedisQueue*> weak = self_;
  s->alarm = clock_.NewAlarm([weak, id] {
    if (auto self = weak.lock()) (*self)->OnSessionAlarm(id);
  });
  LocalTube& t = RefTube("default");
  ++t.using_count;
  ++t.watching_count;
  sessions_.emplace(id, std::move(s));
  return id;
}

void RedisQueue::CloseSession(SessionId id) {
  Session* s = FindSession(id);
  if (s == nullptr) return;
  if (s->reserving) {
    StopWaiting(s);
    s->reserving = false;
    s->done = nullptr;  // dropped, never called
  }
  // Its jobs go back to ready at once (not timeouts). A reserve still in flight finds the
  // session gone and gives its job back the same way.
  for (const auto& [job, deadline] : s->held) GiveBack(job, s->owner);
  std::unique_ptr<Session> owned = std::move(sessions_[id]);
  sessions_.erase(id);
  --local_tubes_[owned->used].using_count;
  UnrefTube(owned->used);
  for (const std::string& w : owned->watches) {
    --local_tubes_[w].watching_count;
    UnrefTube(w);
  }
}

void RedisQueue::GiveBack(JobId job, const std::string& owner) {
  const bool sent = EvalJob(scripts_.unreserve, job, {owner}, [this](Reply reply) {
    --give_backs_in_flight_;
    auto r = ParseScript(reply, "unreserve");
    if (r && r->status == "ok") NoteDue(StrAt(r->e, 3), r->due_ms, r->now_ms);
    CheckShutdown();
  });
  if (sent) ++give_backs_in_flight_;
}

void RedisQueue::Shutdown(Duration bound, std::function<void()> done) {
  shutdown_done_ = std::move(done);
  std::vector<SessionId> ids;
  for (const auto& [id, s] : sessions_) ids.push_back(id);
  for (SessionId id : ids) CloseSession(id);  // gives back every job they hold
  std::weak_ptr<RedisQueue*> weak = self_;
  shutdown_alarm_ = clock_.NewAlarm([weak] {
    if (auto self = weak.lock()) (*self)->CheckShutdown(/*force=*/true);
  });
  shutdown_alarm_->SetAt(clock_.Now() + bound);
  CheckShutdown();
}

void RedisQueue::CheckShutdown(bool force) {
  if (!shutdown_done_) return;
  if (!force && (give_backs_in_flight_ > 0 || claims_in_flight_ > 0)) return;
  if (force) {
    spdlog::warn("redis: stopping with {} give-backs and {} claims unanswered: those jobs "
                 "come back after their TTR",
                 give_backs_in_flight_, claims_in_flight_);
  }
  shutdown_alarm_->Cancel();
  auto done = std::move(shutdown_done_);
  shutdown_done_ = nullptr;
  done();
}

void RedisQueue::Use(SessionId id, std::string_view name, queue::Completion<Code> done) {
  Session* s = FindSession(id);
  if (s == nullptr) return done(Code::kInternalError);
  std::string tube(name);
  ++RefTube(tube).using_count;  // before releasing the old one: it may be the same
  std::string old = std::move(s->used);
  s->used = tube;
  --local_tubes_[old].using_count;
  UnrefTube(old);
  done(Code::kOk);
}

void RedisQueue::UsedTube(SessionId id, queue::Completion<std::string_view> done) {
  Session* s = FindSession(id);
  if (s == nullptr) return done(std::string_view());
  done(s->used);
}

void RedisQueue::Watch(SessionId id, std::string_view name, queue::Completion<Code, size_t> done) {
  Session* s = FindSession(id);
  if (s == nullptr) return done(Code::kInternalError, 0);
  if (std::find(s->watches.begin(), s->watches.end(), name) != s->watches.end()) {
    return done(Code::kOk, s->watches.size());
  }
  std::string tube(name);
  LocalTube& t = RefTube(tube);
  ++t.watching_count;
  if (s->waiting) ++t.waiting_count;
  s->watches.push_back(tube);
  done(Code::kOk, s->watches.size());
}

void RedisQueue::Ignore(SessionId id, std::string_view name, queue::Completion<Code, size_t> done) {
  Session* s = FindSession(id);
  if (s == nullptr) return done(Code::kInternalError, 0);
  auto it = std::find(s->watches.begin(), s->watches.end(), name);
  if (it == s->watches.end()) return done(Code::kOk, s->watches.size());
  if (s->watches.size() == 1) return done(Code::kNotIgnored, 1);
  std::string tube = std::move(*it);
  // beanstalkd's ms_delete: the last entry moves into the hole.
  *it = std::move(s->watches.back());
  s->watches.pop_back();
  LocalTube& t = local_tubes_[tube];
  --t.watching_count;
  if (s->waiting) --t.waiting_count;
  UnrefTube(tube);
  done(Code::kOk, s->watches.size());
}

void RedisQueue::WatchedTubes(SessionId id,
                              queue::Completion<const std::vector<std::string>&> done) {
  Session* s = FindSession(id);
  if (s == nullptr) return done({});
  done(s->watches);
}

void RedisQueue::ListTubes(std::function<void(std::vector<std::string>)> done) {
  client_.Command(
      TubeSlot(kRegistryKey), {"SMEMBERS", std::string(kRegistryKey)},
      Guard([this, done = std::move(done)](Reply reply) {
        std::set<std::string, std::less<>> names{"default"};
        if (reply.ok() && reply->type == Value::Type::kArray) {
          for (const Value& v : reply->elements) names.insert(v.str);
        } else {
          spdlog::warn("redis: list tubes: {}",
                       reply.ok() ? reply->ToString() : reply.status().ToString());
        }
        for (const auto& [name, t] : local_tubes_) names.insert(name);
        std::vector<std::string> out{"default"};
        for (const std::string& n : names) {
          if (n != "default") out.push_back(n);
        }
        done(std::move(out));
      }));
}

void RedisQueue::Tubes(queue::Completion<const std::vector<std::string>&> done) {
  ListTubes([done = std::move(done)](std::vector<std::string> names) { done(names); });
}

// ---------------------------------------------------------------------------
// Tube timers and the sweep

void RedisQueue::NoteDue(const std::string& tube, int64_t due_ms, int64_t now_ms) {
  if (tube.empty()) return;
  heads_.erase(tube);  // a script of this node touched the tube: its cached head may be stale
  auto it = tube_due_.find(tube);
  if (it != tube_due_.end()) {
    due_order_.erase({it->second, tube});
    tube_due_.erase(it);
  }
  if (due_ms > 0) {
    const TimePoint at = LocalTime(due_ms, now_ms);
    tube_due_.emplace(tube, at);
    due_order_.emplace(at, tube);
  }
  ArmTubeAlarm();
}

void RedisQueue::ArmTubeAlarm() {
  if (due_order_.empty()) return tube_alarm_->Cancel();
  tube_alarm_->SetAt(std::max(due_order_.begin()->first, clock_.Now() + kMinRearm));
}

void RedisQueue::OnTubeAlarm() {
  const TimePoint now = clock_.Now();
  std::vector<std::string> due;
  while (!due_order_.empty() && due_order_.begin()->first <= now) {
    due.push_back(due_order_.begin()->second);
    tube_due_.erase(due.back());
    due_order_.erase(due_order_.begin());
  }
  for (const std::string& tube : due) {
    EvalTube(scripts_.promote, tube, {}, [this, tube](Reply reply) {
      if (auto r = ParseScript(reply, "promote")) NoteDue(tube, r->due_ms, r->now_ms);
    });
  }
  ArmTubeAlarm();
}

void RedisQueue::Sweep() {
  sweep_alarm_->SetAt(clock_.Now() + options_.sweep_interval);
  if (sweeping_) return;  // the last one has not finished (a slow or unreachable Redis)
  sweeping_ = true;
  client_.Command(TubeSlot(kRegistryKey), {"SMEMBERS", std::string(kRegistryKey)},
                  Guard([this](Reply reply) {
                    sweeping_ = false;
                    if (!reply.ok() || reply->type != Value::Type::kArray) return;
                    for (const Value& v : reply->elements) PruneTube(v.str);
                  }));
}

// prune.lua forgets an idle empty tube; the registry entry then goes, and if a put recreated
// the tube meanwhile (its meta hash exists again) the entry comes back: a put that lands after
// the prune always re-adds the tube itself, so no tube with jobs stays unlisted.
void RedisQueue::PruneTube(const std::string& tube) {
  EvalTube(scripts_.prune, tube, {std::to_string(Ms(options_.prune_idle))},
           [this, tube](Reply reply) {
             auto r = ParseScript(reply, "prune");
             if (!r) return;
             if (r->status != "pruned") return NoteDue(tube, r->due_ms, r->now_ms);
             NoteDue(tube, 0, 0);
             const uint16_t reg = TubeSlot(kRegistryKey);
             client_.Command(reg, {"SREM", std::string(kRegistryKey), tube},
                             Guard([this, tube, reg](Reply) {
                               client_.Command(
                                   TubeSlot(tube), {"EXISTS", TubeKey(tube, "meta")},
                                   Guard([this, tube, reg](Reply exists) {
                                     if (exists.ok() && exists->integer == 1) {
                                       client_.Command(reg, {"SADD", std::string(kRegistryKey),
                                                             tube},
                                                       [](Reply) {});
                                     }
                                   }));
                             }));
           });
}

// ---------------------------------------------------------------------------
// Put

void RedisQueue::Put(SessionId id, const queue::PutArgs& args,
                     queue::Completion<Code, JobId> done) {
  Session* s = FindSession(id);
  if (s == nullptr) return done(Code::kInternalError, 0);
  const std::string tube = s->used;
  const uint16_t slot = TubeSlot(tube);
  const Duration ttr = std::max(args.ttr, kMinTtr);
  const Duration delay = std::max(args.delay, Duration::zero());
  std::vector<std::string> argv{tube,
                                JobPrefix(slot),
                                std::to_string(args.pri),
                                std::to_string(Ms(delay)),
                                std::to_string(Ms(ttr)),
                                std::string(args.body)};
  std::vector<std::string> keys = TubeKeys(tube);
  keys.push_back(SeqKey(slot));
  client_.Eval(
      slot, scripts_.put, std::move(keys), std::move(argv),
      Guard([this, tube, slot, done = std::move(done)](Reply reply) {
        const bool short_of_replicas = ShortOfReplicas();
        if (IsOom(reply)) return done(Code::kOutOfMemory, 0);
        auto r = ParseScript(reply, "put");
        if (!r) return done(Code::kInternalError, 0);
        NoteDue(tube, r->due_ms, r->now_ms);
        if (r->status != "ok") return done(Code::kOutOfMemory, 0);  // the slot's ids ran out
        if (IntAt(r->e, 4) == 1) {
          // A new (or pruned) tube: list it. See PruneTube for the race this closes.
          client_.Command(TubeSlot(kRegistryKey), {"SADD", std::string(kRegistryKey), tube},
                          [](Reply) {});
        }
        const JobId job = MakeJobId(slot, static_cast<uint64_t>(IntAt(r->e, 3)));
        NoteJobTube(job, tube);
        // Not replicated as asked: the job exists and will be delivered, but the reply says
        // the put may not have stuck; a client that retries makes a duplicate, not a loss.
        if (short_of_replicas) return done(Code::kInternalError, 0);
        done(Code::kOk, job);
      }),
      Mutating(/*idempotent=*/false));
}

// ---------------------------------------------------------------------------
// Reserve

void RedisQueue::Reserve(SessionId id, std::optional<Duration> timeout, ReserveDone done) {
  Session* s = FindSession(id);
  if (s == nullptr || s->reserving) return done(Code::kInternalError, nullptr);
  const TimePoint now = clock_.Now();
  s->reserving = true;
  s->waiting = false;
  s->done = std::move(done);
  s->zero_timeout = timeout && *timeout <= Duration::zero();
  s->wait_deadline = TimePoint::max();
  if (timeout && !s->zero_timeout) {
    s->wait_deadline = *timeout > TimePoint::max() - now ? TimePoint::max() : now + *timeout;
  }
  ++s->gen;
  s->in_flight = false;
  s->again = false;
  Attempt(s);
}

void RedisQueue::CancelReserve(SessionId id) {
  Session* s = FindSession(id);
  if (s != nullptr && s->reserving) FinishReserve(s, Code::kTimedOut, nullptr);
}

void RedisQueue::Attempt(Session* s) {
  s->in_flight = true;
  s->again = false;
  const uint64_t gen = ++s->gen;
  if (s->watches.size() == 1) {
    // One tube (the common case): claim its head in one round trip.
    return ClaimHead(s->id, gen, s->watches.front(), "");
  }
  AttemptHeads(s->id, gen);
}

// Step 1 of the cross-tube pick: the head of every watched tube — from heads_ when this node
// read it recently and nothing has touched the tube since, else read now, pipelined (one write
// per shard). Step 2 (ClaimHead) claims the best if it is still there.
void RedisQueue::AttemptHeads(SessionId id, uint64_t gen) {
  Session* s = FindSession(id);
  if (s == nullptr || s->gen != gen) return;
  struct Pick {
    size_t pending = 0;
    bool failed = false;
    std::optional<Head> best;
    std::optional<Head> runner_up;  // the best head of a tube other than best's
    void Consider(const Head& h) {
      // (pri, born, id): beanstalkd compares (pri, id) with one global id counter, i.e.
      // oldest first; ids here are per slot, so the creation time (µs, from the shard's
      // clock) stands in for age.
      auto key = [](const Head& x) {
        return std::make_tuple(x.pri, x.born, MakeJobId(x.slot, x.seq));
      };
      if (!best || key(h) < key(*best)) {
        if (best) runner_up = best;
        best = h;
      } else if (!runner_up || key(h) < key(*runner_up)) {
        runner_up = h;
      }
    }
  };
  auto pick = std::make_shared<Pick>();
  const TimePoint now = clock_.Now();
  std::vector<std::string> to_read;
  for (const std::string& tube : s->watches) {
    auto cached = heads_.find(tube);
    if (cached != heads_.end() && now - cached->second.fetched < kHeadCacheTtl) {
      const CachedHead& c = cached->second;
      pick->Consider(Head{tube, c.seq, c.pri, c.born, TubeSlot(tube)});
    } else {
      to_read.push_back(tube);
    }
  }
  // Called once every head is known.
  auto claim_best = [this, id, gen, pick] {
    Session* ss = FindSession(id);
    if (ss == nullptr || ss->gen != gen) return;
    if (!pick->best) return AttemptFoundNothing(ss, pick->failed);
    std::vector<std::string> bound;
    if (pick->runner_up) bound = {std::to_string(pick->runner_up->pri)};
    ClaimHead(id, gen, pick->best->tube, PadSeq(static_cast<uint64_t>(pick->best->seq)),
              std::move(bound));
  };
  if (to_read.empty()) return claim_best();
  pick->pending = to_read.size();
  for (const std::string& tube : to_read) {
    EvalTube(scripts_.head, tube, {}, [this, tube, pick, claim_best](Reply reply) {
      auto r = ParseScript(reply, "head");
      if (!r) {
        pick->failed = true;
      } else {
        NoteDue(tube, r->due_ms, r->now_ms);  // forgets any cached head of the tube
        if (r->status == "ok") {
          Head h{tube, IntAt(r->e, 3), IntAt(r->e, 4), IntAt(r->e, 5), TubeSlot(tube)};
          if (heads_.size() >= kJobTubeCacheSize) heads_.clear();  // bounded, like job_tubes_
          heads_[tube] = CachedHead{h.seq, h.pri, h.born, clock_.Now()};
          pick->Consider(h);
        }
      }
      if (--pick->pending == 0) claim_best();
    });
  }
}

void RedisQueue::ClaimHead(SessionId id, uint64_t gen, const std::string& tube,
                           const std::string& expected, std::vector<std::string> bound) {
  Session* s = FindSession(id);
  if (s == nullptr) return;
  ++claims_in_flight_;
  std::vector<std::string> args = {s->owner, expected};
  args.insert(args.end(), std::make_move_iterator(bound.begin()),
              std::make_move_iterator(bound.end()));
  const bool picked = !expected.empty();
  EvalTube(scripts_.reserve, tube, std::move(args),
           [this, id, gen, tube, picked](Reply reply) {
             OnClaim(id, gen, tube, picked, std::move(reply));
           },
           Claiming());
}

void RedisQueue::OnClaim(SessionId id, uint64_t gen, const std::string& tube,
                         bool picked, Reply reply) {
  --claims_in_flight_;
  // may give the job back (counted there)
  HandleClaim(id, gen, tube, picked, std::move(reply));
  CheckShutdown();
}

void RedisQueue::HandleClaim(SessionId id, uint64_t gen, const std::string& tube,
                             bool picked, Reply reply) {
  auto r = ParseScript(reply, "reserve");
  if (r) NoteDue(tube, r->due_ms, r->now_ms);  // the tube's head changed, or was stale
  Session* s = FindSession(id);
  if (r && r->status == "ok") {
    const JobId job = MakeJobId(TubeSlot(StrAt(r->e, 6)), static_cast<uint64_t>(IntAt(r->e, 3)));
    NoteJobTube(job, StrAt(r->e, 6));
    if (s == nullptr || s->gen != gen || !s->reserving) {
      // Closed, cancelled or timed out meanwhile: the job goes back at once.
      return GiveBack(job, s != nullptr ? s->owner : node_id_ + ":" + std::to_string(id));
    }
    s->held[job] = LocalTime(IntAt(r->e, 5), r->now_ms);
    const JobRef ref{job, StrAt(r->e, 4)};
    return FinishReserve(s, Code::kOk, &ref);
  }
  if (s == nullptr || s->gen != gen) return;
  // After a cross-tube pick, 'beaten' (the job picked left the ready set, and the tube's next
  // head is worse than another watched tube's), 'empty' or 'paused' (the head read, or
  // cached, is gone) mean: pick again. Each is another client's progress or a change the
  // next pick sees, so this ends, and a reserve never waits because it lost a race.
  if (r && picked && r->status != "ok") return AttemptHeads(id, gen);
  AttemptFoundNothing(s, !r);
}

void RedisQueue::AttemptFoundNothing(Session* s, bool failed) {
  s->in_flight = false;
  if (!s->reserving) return;
  if (s->again) return Attempt(s);
  const TimePoint now = clock_.Now();
  if (!s->waiting) {
    // The first look found nothing: answer now, or start waiting (LocalQueue's order).
    if (DeadlineSoon(s, now)) return FinishReserve(s, Code::kDeadlineSoon, nullptr);
    // A Redis that cannot be reached is an error, not an empty queue.
    if (failed) return FinishReserve(s, Code::kInternalError, nullptr);
    if (s->zero_timeout) return FinishReserve(s, Code::kTimedOut, nullptr);
    StartWaiting(s);
  }
  ArmSessionAlarm(s);
}

void RedisQueue::FinishReserve(Session* s, Code code, const JobRef* job) {
  StopWaiting(s);
  s->reserving = false;
  s->in_flight = false;
  ++s->gen;  // whatever is still in flight is stale now
  s->alarm->Cancel();
  ReserveDone done = std::move(s->done);
  s->done = nullptr;
  if (done) done(code, job);  // may call back into the queue
}

void RedisQueue::StartWaiting(Session* s) {
  s->waiting = true;
  ++waiting_;
  for (const std::string& w : s->watches) ++local_tubes_[w].waiting_count;
}

void RedisQueue::StopWaiting(Session* s) {
  if (!s->waiting) return;
  s->waiting = false;
  --waiting_;
  for (const std::string& w : s->watches) --local_tubes_[w].waiting_count;
}

void RedisQueue::ArmSessionAlarm(Session* s) {
  const TimePoint now = clock_.Now();
  TimePoint next = std::min(s->wait_deadline, now + options_.safety_poll);
  for (const auto& [job, deadline] : s->held) next = std::min(next, deadline - kSafetyMargin);
  s->alarm->SetAt(std::max(next, now + kMinRearm));
}

void RedisQueue::OnSessionAlarm(SessionId id) {
  Session* s = FindSession(id);
  if (s == nullptr || !s->reserving || !s->waiting) return;
  const TimePoint now = clock_.Now();
  if (DeadlineSoon(s, now)) return FinishReserve(s, Code::kDeadlineSoon, nullptr);
  if (s->wait_deadline <= now) return FinishReserve(s, Code::kTimedOut, nullptr);
  if (s->in_flight) {
    s->again = true;
  } else {
    ++safety_polls_;
    Attempt(s);
  }
  ArmSessionAlarm(s);
}

void RedisQueue::OnWake(const std::string& tube) {
  heads_.erase(tube);
  std::vector<SessionId> ids;
  for (const auto& [id, s] : sessions_) {
    if (!s->waiting) continue;
    if (std::find(s->watches.begin(), s->watches.end(), tube) != s->watches.end()) {
      ids.push_back(id);
    }
  }
  for (SessionId id : ids) {
    Session* s = FindSession(id);
    if (s == nullptr || !s->waiting) continue;
    if (s->in_flight) {
      s->again = true;
    } else {
      Attempt(s);
    }
  }
}

void RedisQueue::WakeAllWaiters() {
  heads_.clear();  // a pub/sub gap: wake-ups may have been missed
  std::vector<SessionId> ids;
  for (const auto& [id, s] : sessions_) {
    if (s->waiting) ids.push_back(id);
  }
  for (SessionId id : ids) {
    Session* s = FindSession(id);
    if (s == nullptr || !s->waiting) continue;
    if (s->in_flight) {
      s->again = true;
    } else {
      Attempt(s);
    }
  }
}

void RedisQueue::DropExpired(Session* s, TimePoint now) {
  std::erase_if(s->held, [now](const auto& entry) { return entry.second <= now; });
}

bool RedisQueue::DeadlineSoon(Session* s, TimePoint now) {
  DropExpired(s, now);
  for (const auto& [job, deadline] : s->held) {
    if (deadline - kSafetyMargin <= now) return true;
  }
  return false;
}

void RedisQueue::ReserveJob(SessionId id, JobId job, ReserveDone done) {
  Session* s = FindSession(id);
  if (s == nullptr) return done(Code::kInternalError, nullptr);
  auto on_reply = [this, id, job, done](Reply reply) {
    --claims_in_flight_;
    struct Check {  // after the give-back below, if any, is counted
      RedisQueue* q;
      ~Check() { q->CheckShutdown(); }
    } check{this};
    auto r = ParseScript(reply, "reserve-job");
    if (!r) return done(Code::kInternalError, nullptr);
    if (r->status != "ok") return done(Code::kNotFound, nullptr);
    NoteDue(StrAt(r->e, 6), r->due_ms, r->now_ms);
    Session* ss = FindSession(id);
    if (ss == nullptr) {
      GiveBack(job, node_id_ + ":" + std::to_string(id));
      return done(Code::kInternalError, nullptr);
    }
    ss->held[job] = LocalTime(IntAt(r->e, 5), r->now_ms);
    const JobRef ref{job, StrAt(r->e, 4)};
    done(Code::kOk, &ref);
  };
  if (EvalJob(scripts_.reserve_job, job, {s->owner}, std::move(on_reply),
              Claiming())) {
    ++claims_in_flight_;
  } else {
    done(Code::kNotFound, nullptr);
  }
}

// ---------------------------------------------------------------------------
// Job commands

void RedisQueue::Delete(SessionId id, JobId job, queue::Completion<Code> done) {
  Session* s = FindSession(id);
  if (s == nullptr) return done(Code::kInternalError);
  auto on_reply = [this, id, job, done](Reply reply) {
    const bool short_of_replicas = ShortOfReplicas();
    auto r = ParseScript(reply, "delete");
    if (!r) return done(Code::kInternalError);
    if (r->status == "ok") job_tubes_.erase(job);
    if (r->e.size() > 3) NoteDue(StrAt(r->e, 3), r->due_ms, r->now_ms);
    if (Session* ss = FindSession(id)) ss->held.erase(job);
    if (r->status != "ok") return done(Code::kNotFound);
    done(short_of_replicas ? Code::kInternalError : Code::kOk);
  };
  if (!EvalJob(scripts_.del, job, {s->owner}, std::move(on_reply), Mutating(false))) {
    done(Code::kNotFound);
  }
}

void RedisQueue::Release(SessionId id, JobId job, uint32_t pri, Duration delay,
                         queue::Completion<Code> done) {
  Session* s = FindSession(id);
  if (s == nullptr) return done(Code::kInternalError);
  auto on_reply = [this, id, job, done](Reply reply) {
    const bool short_of_replicas = ShortOfReplicas();
    auto r = ParseScript(reply, "release");
    if (!r) return done(Code::kInternalError);
    if (r->e.size() > 3) NoteDue(StrAt(r->e, 3), r->due_ms, r->now_ms);
    if (r->status != "ok") return done(Code::kNotFound);
    if (Session* ss = FindSession(id)) ss->held.erase(job);
    done(short_of_replicas ? Code::kInternalError : Code::kOk);
  };
  const int64_t delay_ms = Ms(std::max(delay, Duration::zero()));
  if (!EvalJob(scripts_.release, job, {s->owner, std::to_string(pri), std::to_string(delay_ms)},
               std::move(on_reply), Mutating(false))) {
    done(Code::kNotFound);
  }
}

void RedisQueue::Bury(SessionId id, JobId job, uint32_t pri, queue::Completion<Code> done) {
  Session* s = FindSession(id);
  if (s == nullptr) return done(Code::kInternalError);
  auto on_reply = [this, id, job, done](Reply reply) {
    const bool short_of_replicas = ShortOfReplicas();
    auto r = ParseScript(reply, "bury");
    if (!r) return done(Code::kInternalError);
    if (r->e.size() > 3) NoteDue(StrAt(r->e, 3), r->due_ms, r->now_ms);
    if (r->status != "ok") return done(Code::kNotFound);
    if (Session* ss = FindSession(id)) ss->held.erase(job);
    done(short_of_replicas ? Code::kInternalError : Code::kOk);
  };
  if (!EvalJob(scripts_.bury, job, {s->owner, std::to_string(pri)}, std::move(on_reply),
               Mutating(false))) {
    done(Code::kNotFound);
  }
}

void RedisQueue::Touch(SessionId id, JobId job, queue::Completion<Code> done) {
  Session* s = FindSession(id);
  if (s == nullptr) return done(Code::kInternalError);
  auto on_reply = [this, id, job, done](Reply reply) {
    auto r = ParseScript(reply, "touch");
    if (!r) return done(Code::kInternalError);
    if (r->status != "ok") {
      if (Session* ss = FindSession(id)) ss->held.erase(job);
      return done(Code::kNotFound);
    }
    NoteDue(StrAt(r->e, 3), r->due_ms, r->now_ms);
    if (Session* ss = FindSession(id)) ss->held[job] = LocalTime(IntAt(r->e, 4), r->now_ms);
    done(Code::kOk);
  };
  // Idempotent: a resend only sets the same deadline again.
  if (!EvalJob(scripts_.touch, job, {s->owner}, std::move(on_reply))) done(Code::kNotFound);
}

void RedisQueue::Kick(SessionId id, uint32_t bound, queue::Completion<Code, uint64_t> done) {
  Session* s = FindSession(id);
  if (s == nullptr) return done(Code::kInternalError, 0);
  const std::string tube = s->used;
  EvalTube(
      scripts_.kick, tube, {std::to_string(bound)},
      [this, tube, done](Reply reply) {
        const bool short_of_replicas = ShortOfReplicas();
        auto r = ParseScript(reply, "kick");
        if (!r) return done(Code::kInternalError, 0);
        NoteDue(tube, r->due_ms, r->now_ms);
        if (short_of_replicas) return done(Code::kInternalError, 0);
        done(Code::kOk, static_cast<uint64_t>(IntAt(r->e, 3)));
      },
      Mutating(false));
}

void RedisQueue::KickJob(SessionId, JobId job, queue::Completion<Code> done) {
  auto on_reply = [this, done](Reply reply) {
    const bool short_of_replicas = ShortOfReplicas();
    auto r = ParseScript(reply, "kick-job");
    if (!r) return done(Code::kInternalError);
    if (r->status != "ok") return done(Code::kNotFound);
    NoteDue(StrAt(r->e, 3), r->due_ms, r->now_ms);
    done(short_of_replicas ? Code::kInternalError : Code::kOk);
  };
  if (!EvalJob(scripts_.kick_job, job, {}, std::move(on_reply), Mutating(false))) {
    done(Code::kNotFound);
  }
}

// ---------------------------------------------------------------------------
// Reading

void RedisQueue::Peek(SessionId, JobId job, queue::Completion<Code, const JobRef*> done) {
  uint16_t slot = 0;
  uint64_t seq = 0;
  if (!SplitJobId(job, &slot, &seq)) return done(Code::kNotFound, nullptr);
  client_.Command(slot, {"HGET", JobPrefix(slot) + PadSeq(seq), "body"},
                  Guard([job, done](Reply reply) {
                    if (!reply.ok() || reply->is_error()) {
                      spdlog::warn("redis: peek: {}", reply.ok() ? reply->ToString()
                                                                 : reply.status().ToString());
                      return done(Code::kInternalError, nullptr);
                    }
                    if (reply->is_nil()) return done(Code::kNotFound, nullptr);
                    const JobRef ref{job, reply->str};
                    done(Code::kOk, &ref);
                  }));
}

void RedisQueue::PeekTube(SessionId id, PeekWhich which,
                          queue::Completion<Code, const JobRef*> done) {
  Session* s = FindSession(id);
  if (s == nullptr) return done(Code::kInternalError, nullptr);
  const std::string tube = s->used;
  const char* set = which == PeekWhich::kReady     ? "ready"
                    : which == PeekWhich::kDelayed ? "delayed"
                                                   : "buried";
  EvalTube(scripts_.peek_tube, tube, {set}, [this, tube, done](Reply reply) {
    auto r = ParseScript(reply, "peek");
    if (!r) return done(Code::kInternalError, nullptr);
    NoteDue(tube, r->due_ms, r->now_ms);
    if (r->status != "ok") return done(Code::kNotFound, nullptr);
    const JobRef ref{MakeJobId(TubeSlot(tube), static_cast<uint64_t>(IntAt(r->e, 3))),
                     StrAt(r->e, 4)};
    done(Code::kOk, &ref);
  });
}

void RedisQueue::PauseTube(SessionId, std::string_view name, Duration delay,
                           queue::Completion<Code> done) {
  const std::string tube(name);
  const int64_t delay_ms = Ms(std::max(delay, Duration::zero()));
  EvalTube(
      scripts_.pause, tube, {std::to_string(delay_ms), KnownLocally(tube) ? "0" : "1"},
      [this, tube, done](Reply reply) {
        const bool short_of_replicas = ShortOfReplicas();
        auto r = ParseScript(reply, "pause-tube");
        if (!r) return done(Code::kInternalError);
        NoteDue(tube, r->due_ms, r->now_ms);
        if (r->status != "ok") return done(Code::kNotFound);
        if (IntAt(r->e, 3) == 1) {
          client_.Command(TubeSlot(kRegistryKey), {"SADD", std::string(kRegistryKey), tube},
                          [](Reply) {});
        }
        done(short_of_replicas ? Code::kInternalError : Code::kOk);
      },
      Mutating(false));
}

void RedisQueue::StatsJob(SessionId, JobId job,
                          queue::Completion<Code, const queue::JobInfo*> done) {
  auto on_reply = [this, job, done](Reply reply) {
    auto r = ParseScript(reply, "stats-job");
    if (!r) return done(Code::kInternalError, nullptr);
    if (r->status != "ok") return done(Code::kNotFound, nullptr);
    std::map<std::string, const Value*> f;
    for (size_t i = 3; i + 1 < r->e.size(); i += 2) f[r->e[i].str] = &r->e[i + 1];
    auto get = [&](const char* k) -> int64_t {
      auto it = f.find(k);
      return it == f.end() ? 0 : std::strtoll(it->second->str.c_str(), nullptr, 10);
    };
    auto str = [&](const char* k) -> std::string {
      auto it = f.find(k);
      return it == f.end() ? std::string() : it->second->str;
    };
    queue::JobInfo info;
    info.id = job;
    info.tube = str("tube");
    NoteDue(info.tube, r->due_ms, r->now_ms);
    const std::string state = str("state");
    info.state = state == "reserved" ? queue::JobState::kReserved
                 : state == "delayed" ? queue::JobState::kDelayed
                 : state == "buried"  ? queue::JobState::kBuried
                                      : queue::JobState::kReady;
    info.pri = static_cast<uint32_t>(get("pri"));
    info.age = std::chrono::milliseconds(std::max<int64_t>(0, r->now_ms - get("created")));
    info.delay = std::chrono::milliseconds(get("delay"));
    info.ttr = std::chrono::milliseconds(get("ttr"));
    if (info.state == queue::JobState::kReserved || info.state == queue::JobState::kDelayed) {
      info.time_left = std::chrono::milliseconds(std::max<int64_t>(0, get("deadline") - r->now_ms));
    }
    info.reserves = static_cast<uint32_t>(get("reserves"));
    info.timeouts = static_cast<uint32_t>(get("timeouts"));
    info.releases = static_cast<uint32_t>(get("releases"));
    info.buries = static_cast<uint32_t>(get("buries"));
    info.kicks = static_cast<uint32_t>(get("kicks"));
    done(Code::kOk, &info);
  };
  if (!EvalJob(scripts_.stats_job, job, {}, std::move(on_reply))) done(Code::kNotFound, nullptr);
}

void RedisQueue::StatsTube(SessionId, std::string_view name,
                           queue::Completion<Code, const queue::TubeInfo*> done) {
  const std::string tube(name);
  EvalTube(scripts_.stats_tube, tube, {}, [this, tube, done](Reply reply) {
    auto r = ParseScript(reply, "stats-tube");
    if (!r) return done(Code::kInternalError, nullptr);
    NoteDue(tube, r->due_ms, r->now_ms);
    const bool exists = IntAt(r->e, 3) == 1;
    if (!exists && !KnownLocally(tube)) return done(Code::kNotFound, nullptr);
    queue::TubeInfo info;
    info.name = tube;
    info.urgent = static_cast<uint64_t>(IntAt(r->e, 4));
    info.ready = static_cast<uint64_t>(IntAt(r->e, 5));
    info.reserved = static_cast<uint64_t>(IntAt(r->e, 6));
    info.delayed = static_cast<uint64_t>(IntAt(r->e, 7));
    info.buried = static_cast<uint64_t>(IntAt(r->e, 8));
    info.total_jobs = static_cast<uint64_t>(IntAt(r->e, 9));
    info.cmd_delete = static_cast<uint64_t>(IntAt(r->e, 10));
    info.cmd_pause_tube = static_cast<uint64_t>(IntAt(r->e, 11));
    const int64_t unpause_at = IntAt(r->e, 13);
    if (unpause_at > r->now_ms) {
      info.pause = std::chrono::milliseconds(IntAt(r->e, 12));
      info.pause_time_left = std::chrono::milliseconds(unpause_at - r->now_ms);
    }
    auto it = local_tubes_.find(tube);
    if (it != local_tubes_.end()) {
      info.using_count = it->second.using_count;
      info.watching_count = it->second.watching_count;
      info.waiting_count = it->second.waiting_count;
    }
    done(Code::kOk, &info);
  });
}

void RedisQueue::Stats(queue::Completion<const queue::QueueInfo&> done) {
  ListTubes([this, done = std::move(done)](std::vector<std::string> tubes) mutable {
    DoStats(std::move(tubes), std::move(done));
  });
}

// The sum of every listed tube's stats-tube, pipelined (one write per shard).
void RedisQueue::DoStats(std::vector<std::string> tubes,
                         queue::Completion<const queue::QueueInfo&> done) {
  struct Sum {
    size_t pending = 0;
    queue::QueueInfo info;
    queue::Completion<const queue::QueueInfo&> done;
  };
  auto sum = std::make_shared<Sum>();
  sum->pending = tubes.size();
  sum->info.tubes = tubes.size();
  sum->info.waiting = waiting_;
  sum->done = std::move(done);
  for (const std::string& tube : tubes) {
    EvalTube(scripts_.stats_tube, tube, {}, [this, tube, sum](Reply reply) {
      if (auto r = ParseScript(reply, "stats")) {
        NoteDue(tube, r->due_ms, r->now_ms);
        sum->info.urgent += static_cast<uint64_t>(IntAt(r->e, 4));
        sum->info.ready += static_cast<uint64_t>(IntAt(r->e, 5));
        sum->info.reserved += static_cast<uint64_t>(IntAt(r->e, 6));
        sum->info.delayed += static_cast<uint64_t>(IntAt(r->e, 7));
        sum->info.buried += static_cast<uint64_t>(IntAt(r->e, 8));
        sum->info.total_jobs += static_cast<uint64_t>(IntAt(r->e, 9));
        sum->info.job_timeouts += static_cast<uint64_t>(IntAt(r->e, 14));
      }
      if (--sum->pending == 0) sum->done(sum->info);
    });
  }
}

}  // namespace stalk::redis_queue
