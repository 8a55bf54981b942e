#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "local/job.h"
#include "local/job_table.h"
#include "local/session.h"
#include "local/timer_queue.h"
#include "local/tube.h"
#include "local/tube_registry.h"
#include "queue/queue.h"

namespace stalk::local {

// The Queue in memory, with beanstalkd 1.13's semantics (reference/beanstalkd.md
// §1.5-1.8), minus its scaling and timing bugs.
//
// Data structures:
// - Each job is one allocation (Job: 80-byte header + body), indexed by id in a
//   JobTable (open addressing, one pointer per slot) and sitting in exactly one
//   heap: its tube's ready (pri, id), delay (deadline, id) or buried (FIFO) heap,
//   or its holder's reservation heap (deadline, id).
// - Tubes are found by name through a hash map (TubeRegistry).
// - Each tube has a FIFO of the sessions waiting on it (WaiterList). A job that
//   becomes ready goes to the front waiter of its tube, if the tube is not paused,
//   in O(1) plus O(log n) heap work plus O(the waiter's watched tubes) to unlink
//   the waiter. Invariant: a tube that is not paused never has both ready jobs
//   and waiters.
// - Every deadline lives in one TimerQueue with one Alarm: each Tube has a timer
//   at min(soonest delayed job, unpause), each Session a timer at min(soonest TTR
//   expiry, and while waiting: its timeout and its DEADLINE_SOON point). Events
//   happen at exactly their time: a TTR runs out at its deadline even if the
//   holder never sends another command (beanstalkd #262, #380), and a delayed job
//   becomes ready at its deadline. Timers are moved only earlier, never later or
//   out (except when their owner is destroyed): one that is early fires, finds
//   nothing due and is re-armed, which is cheaper than the heap work it saves.
//
// Cost: no operation scans all tubes or all sessions (beanstalkd #561). Reserve
// scans only the calling session's watch list; CloseSession is O(its watches +
// its reservations x log); list-tubes is O(tubes) by nature. Everything else is
// O(1) or O(log n).
//
// Completions: the caller's own completion is called before the call returns.
// Completions of other sessions' waiting reserves (woken by this call, or by a
// timer) are queued and called after the state change is complete, just before
// the outermost call returns, so a completion may call back into the queue.
//
// Threading: one thread, the one owning `clock` (see Queue).
class LocalQueue final : public queue::Queue {
 public:
  // `clock` must outlive the queue.
  explicit LocalQueue(Clock& clock);
  ~LocalQueue() override;
  LocalQueue(const LocalQueue&) = delete;
  LocalQueue& operator=(const LocalQueue&) = delete;

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

  // Introspection for tests and benchmarks.
  size_t job_count() const { return jobs_.size(); }
  size_t timer_count() const { return timers_.size(); }

 private:
  using ReserveDone = Session::ReserveDone;

  // Timer ranks: at the same instant, tubes (delayed jobs, unpause) go before
  // sessions (TTR, timeouts), as in beanstalkd's prottick.
  static constexpr uint8_t kTubeTimerRank = 0;
  static constexpr uint8_t kSessionTimerRank = 1;

  // Marks a public entry point; when the outermost one ends, the queued replies
  // of woken sessions are delivered.
  class OpScope;

  // A completion of a waiting reserve, queued until the state change is done.
  struct PendingReply {
    queue::SessionId session = 0;
    queue::JobId job = 0;  // 0 for kTimedOut / kDeadlineSoon
    queue::Code code = queue::Code::kOk;
    ReserveDone done;
  };

  Session* FindSession(queue::SessionId id) const;

  // Tube references (see Tube). AcquireTube finds or creates and takes one.
  Tube* AcquireTube(std::string_view name);
  void ReleaseTube(Tube* t);

  // Job moves. Each keeps the tube's and the global counters right.
  void MakeReady(Job* job);                    // -> ready, then wakes waiters
  void MakeDelayed(Job* job, Duration delay);  // -> delayed until now + delay
  void MakeBuried(Job* job);                   // -> tail of the buried FIFO
  void Detach(Job* job);                       // ready/delayed/buried -> nowhere
  void Hold(Session* s, Job* job);             // nowhere -> reserved by s
  void Unhold(Session* s, Job* job);           // reserved by s -> nowhere
  void DestroyJob(Job* job);

  // Gives t's ready jobs to t's waiters while both exist and t is not paused.
  void WakeWaiters(Tube* t);
  // The lowest (pri, id) ready job among s's watched tubes that are not paused.
  Job* BestReady(Session* s) const;

  void LinkWaiter(Session* s);
  void UnlinkWaiter(Session* s);
  void StartWaiting(Session* s, TimePoint deadline, ReserveDone done);
  ReserveDone StopWaiting(Session* s);
  // Ends s's wait with `code` (kTimedOut or kDeadlineSoon), reply queued.
  void FinishWait(Session* s, queue::Code code);

  // Makes sure the owner's timer fires no later than its next event.
  void UpdateTimer(Tube* t);
  void UpdateTimer(Session* s);
  void Rearm(Timer& timer, TimePoint next);
  void OnTimer(Timer& timer);
  void OnTubeTimer(Tube* t);
  void OnSessionTimer(Session* s);

  void FlushReplies();

  Clock& clock_;
  TubeRegistry tubes_;
  Tube* default_tube_ = nullptr;
  JobTable jobs_;
  std::unordered_map<queue::SessionId, std::unique_ptr<Session>> sessions_;

  queue::JobId next_job_id_ = 1;
  queue::SessionId next_session_id_ = 1;
  uint64_t next_bury_seq_ = 1;

  // Global counters for stats.
  uint64_t urgent_ = 0, ready_ = 0, reserved_ = 0, delayed_ = 0, buried_ = 0;
  uint64_t job_timeouts_ = 0, total_jobs_ = 0, waiting_ = 0;

  int depth_ = 0;  // nesting of public calls (completions may call back in)
  std::vector<PendingReply> replies_;

  // Last: destroyed first, while the timers it links are still alive.
  TimerQueue timers_;
};

}  // namespace stalk::local
