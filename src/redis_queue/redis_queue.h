#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "queue/queue.h"
#include "redis/cluster.h"

namespace stalk::redis_queue {

struct RedisQueueOptions {
  // Waiting reserves are woken by pub/sub; they also re-check this often in case a message
  // was lost (the safety net, never the normal path).
  Duration safety_poll = std::chrono::seconds(1);
  // How often the node sweeps every tube of the registry: promotes what is due (so that jobs
  // reserved through a node that died come back after their TTR) and prunes empty tubes.
  Duration sweep_interval = std::chrono::seconds(1);
  // An empty, unpaused tube is forgotten (registry entry and counters) after this long with
  // no put, delete or pause.
  Duration prune_idle = std::chrono::seconds(10);
  // >0: mutating commands (put, delete, release, bury, kick, kick-job, pause) wait for this
  // many replicas (Redis WAIT) before they complete. Narrows the failover loss window; does
  // not close it (docs/redis_schema.md).
  int wait_replicas = 0;
  Duration wait_timeout = std::chrono::milliseconds(100);
  // This node's part of every owner token; empty = random (the normal case).
  std::string node_id;
};

// The Queue on a Redis Cluster (or one non-cluster Redis): every job and tube lives in Redis,
// so any number of stalkd nodes serve the same tubes. Data model, scripts, reserve algorithm,
// timers and the failover loss window: docs/redis_schema.md.
//
// In short: a tube's keys share the hash tag {<tube>} and each state change is one Lua script
// on that tube's shard; a job id is slot * 2^39 + seq, so id-only commands find the shard
// without a lookup. Reserve reads the heads of the watched tubes and claims the best with an
// owner token "<node id>:<session id>"; with nothing ready the session waits for a sharded
// pub/sub wake-up from its tubes (plus a safety poll). Delayed jobs and expired reservations
// are moved by whichever node gets there first (every script promotes its tube first; each
// node arms a timer at the next due time it has seen, and sweeps the tube registry).
//
// Per node (not shared): sessions and what they use and watch, the current-* and waiting
// counts, DEADLINE_SOON (from the node's own record of its sessions' reservations).
//
// Errors: a Redis that cannot be reached (after the client's retry budget) or whose outcome
// is unknown gives kInternalError; Redis OOM gives kOutOfMemory on put. Every completion is
// called, except a pending Reserve dropped by CloseSession (the Queue contract) and the
// completions still pending when the queue is destroyed.
//
// Threading: single-threaded, on the io_context that runs `client` and `clock`'s alarms.
//
// Lifetime: `client` and `clock` must outlive the queue. Destroying the queue without
// closing its sessions leaves their reservations in Redis; they come back after their TTR
// (this is also what a crashed node does).
class RedisQueue final : public queue::Queue {
 public:
  // Registers the scripts with `client`. REQUIRES: client.Start() has completed OK.
  RedisQueue(redis::ClusterClient& client, Clock& clock, RedisQueueOptions options = {});
  ~RedisQueue() override;
  RedisQueue(const RedisQueue&) = delete;
  RedisQueue& operator=(const RedisQueue&) = delete;

  // Starts the sweep timer. Call once, before serving.
  void Start();

  const std::string& node_id() const { return node_id_; }

  // Orderly stop (stalkd's SIGTERM): closes every session, so that the jobs they hold go
  // back to ready at once, as beanstalkd releases a closed connection's jobs, instead of
  // after their TTR. `done` runs once Redis has answered every give-back and every claim
  // still in flight (whose job goes back too), or after `bound`, whichever comes first;
  // what is still unanswered then comes back after its TTR, as after a crash. Later calls
  // on the closed sessions answer INTERNAL_ERROR. Call once.
  void Shutdown(Duration bound, std::function<void()> done);

  queue::SessionId OpenSession() override;
  void CloseSession(queue::SessionId s) override;

  void Put(queue::SessionId s, const queue::PutArgs& args,
           queue::Completion<queue::Code, queue::JobId> done) override;

  void Use(queue::SessionId s, std::string_view tube, queue::Completion<queue::Code> done) override;
  void UsedTube(queue::SessionId s, queue::Completion<std::string_view> done) override;
  void Watch(queue::SessionId s, std::string_view tube,
             queue::Completion<queue::Code, size_t> done) override;
  void Ignore(queue::SessionId s, std::string_view tube,
              queue::Completion<queue::Code, size_t> done) override;
  void WatchedTubes(queue::SessionId s,
                    queue::Completion<const std::vector<std::string>&> done) override;
  void Tubes(queue::Completion<const std::vector<std::string>&> done) override;

  void Reserve(queue::SessionId s, std::optional<Duration> timeout,
               queue::Completion<queue::Code, const queue::JobRef*> done) override;
  void CancelReserve(queue::SessionId s) override;
  void ReserveJob(queue::SessionId s, queue::JobId id,
                  queue::Completion<queue::Code, const queue::JobRef*> done) override;

  void Delete(queue::SessionId s, queue::JobId id, queue::Completion<queue::Code> done) override;
  void Release(queue::SessionId s, queue::JobId id, uint32_t pri, Duration delay,
               queue::Completion<queue::Code> done) override;
  void Bury(queue::SessionId s, queue::JobId id, uint32_t pri,
            queue::Completion<queue::Code> done) override;
  void Touch(queue::SessionId s, queue::JobId id, queue::Completion<queue::Code> done) override;
  void Kick(queue::SessionId s, uint32_t bound,
            queue::Completion<queue::Code, uint64_t> done) override;
  void KickJob(queue::SessionId s, queue::JobId id, queue::Completion<queue::Code> done) override;

  void Peek(queue::SessionId s, queue::JobId id,
            queue::Completion<queue::Code, const queue::JobRef*> done) override;
  void PeekTube(queue::SessionId s, PeekWhich which,
                queue::Completion<queue::Code, const queue::JobRef*> done) override;

  void PauseTube(queue::SessionId s, std::string_view tube, Duration delay,
                 queue::Completion<queue::Code> done) override;

  void StatsJob(queue::SessionId s, queue::JobId id,
                queue::Completion<queue::Code, const queue::JobInfo*> done) override;
  void StatsTube(queue::SessionId s, std::string_view tube,
                 queue::Completion<queue::Code, const queue::TubeInfo*> done) override;
  void Stats(queue::Completion<const queue::QueueInfo&> done) override;

  // Introspection for tests: reserve attempts made by waiting sessions because of a timer
  // (safety poll) rather than a wake-up or a call.
  uint64_t safety_polls() const { return safety_polls_; }

 private:
  using ReserveDone = queue::Completion<queue::Code, const queue::JobRef*>;
  struct Session;
  struct LocalTube;
  struct ScriptReply;
  struct Head;

  // Scripts, by name (see scripts/*.lua).
  struct ScriptIds {
    redis::ScriptId put, head, reserve, reserve_job, del, release, bury, touch, unreserve,
        kick_job, kick, peek_tube, pause, stats_job, stats_tube, promote, prune;
  };

  Session* FindSession(queue::SessionId id);

  // A callback that runs `f` only while this queue is alive.
  redis::Callback Guard(std::function<void(redis::Reply)> f);
  redis::CallOptions Mutating(bool idempotent) const;
  // Inside the callback of a Mutating() call: true when --redis-wait-replicas asked for N
  // replicas and fewer acknowledged the write in time. The write happened on the primary but
  // may not survive a failover, so the command is answered INTERNAL_ERROR, not success.
  bool ShortOfReplicas() const;
  static redis::CallOptions Claiming();

  // The keys of `tube` every script declares, in the order of scripts/common.lua.
  static std::vector<std::string> TubeKeys(const std::string& tube);
  // Runs a script about tube `tube` (KEYS = TubeKeys; ARGV = tube, jp, extra...).
  void EvalTube(redis::ScriptId script, const std::string& tube, std::vector<std::string> extra,
                std::function<void(redis::Reply)> done, redis::CallOptions opts = {});
  // Runs a script about job `id` (KEYS = its tube's keys and the job's key; ARGV = jp,
  // padded seq, tube, extra...). The tube comes from job_tubes_, or else from one HGET first
  // (a job that does not exist then answers {'notfound', 0, 0} without a script). Returns
  // false (nothing sent) if no job can have that id.
  bool EvalJob(redis::ScriptId script, queue::JobId id, std::vector<std::string> extra,
               std::function<void(redis::Reply)> done, redis::CallOptions opts = {});
  // EvalJob with the tube named; a {'tube', ...} reply (the job is elsewhere) is retried once
  // with the tube it names.
  void EvalJobIn(redis::ScriptId script, queue::JobId id, const std::string& tube,
                 std::vector<std::string> extra, std::function<void(redis::Reply)> done,
                 redis::CallOptions opts, bool retried);
  // Remembers the tube of a job this node put or handed out, so that later commands on it
  // can declare the tube's keys without asking Redis first (a job never changes tube).
  void NoteJobTube(queue::JobId id, const std::string& tube);
  // Parses a script reply; nullopt (and a log line) on a transport failure or an error reply.
  std::optional<ScriptReply> ParseScript(const redis::Reply& reply, std::string_view what);

  // Local tube records (what this node's sessions use, watch and wait on).
  LocalTube& RefTube(const std::string& name);
  void UnrefTube(const std::string& name);
  bool KnownLocally(std::string_view name) const;

  // Tube timers: the next due time (this node's clock) of each tube it has seen.
  void NoteDue(const std::string& tube, int64_t due_ms, int64_t now_ms);
  void ArmTubeAlarm();
  void OnTubeAlarm();
  void Sweep();
  void PruneTube(const std::string& tube);

  // Reserve.
  void Attempt(Session* s);
  void AttemptHeads(queue::SessionId id, uint64_t gen);
  // Claims the head of `tube`; `expected` and `bound` as reserve.lua's ARGV describes.
  void ClaimHead(queue::SessionId id, uint64_t gen, const std::string& tube,
                 const std::string& expected, std::vector<std::string> bound = {});
  void OnClaim(queue::SessionId id, uint64_t gen, const std::string& tube,
               bool picked, redis::Reply reply);
  void HandleClaim(queue::SessionId id, uint64_t gen, const std::string& tube,
                   bool picked, redis::Reply reply);
  void AttemptFoundNothing(Session* s, bool failed);
  void FinishReserve(Session* s, queue::Code code, const queue::JobRef* job);
  void StartWaiting(Session* s);
  void StopWaiting(Session* s);
  void ArmSessionAlarm(Session* s);
  void OnSessionAlarm(queue::SessionId id);
  void OnWake(const std::string& tube);
  void WakeAllWaiters();
  // Drops the session's reservations whose TTR has run out (the job is no longer held).
  void DropExpired(Session* s, TimePoint now);
  bool DeadlineSoon(Session* s, TimePoint now);
  // Gives a job reserved for a session that no longer wants it back to ready.
  void GiveBack(queue::JobId id, const std::string& owner);
  // Runs the Shutdown completion once nothing it waits for is left (or `force`).
  void CheckShutdown(bool force = false);
  // This node's clock time of a shard time, given the shard's "now" of the same reply.
  TimePoint LocalTime(int64_t at_ms, int64_t now_ms) const;

  void DoStats(std::vector<std::string> tubes, queue::Completion<const queue::QueueInfo&> done);
  void ListTubes(std::function<void(std::vector<std::string>)> done);

  redis::ClusterClient& client_;
  Clock& clock_;
  const RedisQueueOptions options_;
  std::string node_id_;
  ScriptIds scripts_{};

  std::unordered_map<queue::SessionId, std::unique_ptr<Session>> sessions_;
  queue::SessionId next_session_id_ = 1;
  std::map<std::string, LocalTube, std::less<>> local_tubes_;
  uint64_t waiting_ = 0;

  // Job id -> tube: a bounded cache for EvalJob (cleared when full).
  std::unordered_map<queue::JobId, std::string> job_tubes_;

  // The last ready head read from each tube, for the cross-tube pick: a reserve reads only
  // the watched tubes it has no fresh head for. An entry goes when any script of this node
  // touches the tube (NoteDue), when a wake-up for the tube arrives (another node's put,
  // release, kick or promotion), after a pub/sub gap, and after kHeadCacheTtl. Empty tubes
  // are never cached, so a job put through another node is never hidden by a stale entry;
  // a stale head only makes a claim take the tube's real head or re-pick.
  struct CachedHead {
    int64_t seq = 0, pri = 0, born = 0;
    TimePoint fetched{};
  };
  std::unordered_map<std::string, CachedHead> heads_;

  std::map<std::string, TimePoint, std::less<>> tube_due_;
  std::set<std::pair<TimePoint, std::string>> due_order_;
  std::unique_ptr<Alarm> tube_alarm_;
  std::unique_ptr<Alarm> sweep_alarm_;
  bool sweeping_ = false;
  // Shutdown: give-backs and claims whose replies have not come back yet.
  uint64_t give_backs_in_flight_ = 0;
  uint64_t claims_in_flight_ = 0;
  std::function<void()> shutdown_done_;
  std::unique_ptr<Alarm> shutdown_alarm_;
  uint64_t safety_polls_ = 0;

  // What callbacks hold (weakly), so that they do nothing once the queue is gone.
  std::shared_ptr<RedisQueue*> self_ = std::make_shared<RedisQueue*>(this);
};

}  // namespace stalk::redis_queue
