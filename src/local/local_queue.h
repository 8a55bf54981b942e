#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "base/clock.h"
#include "journal/job_record.h"
#include "journal/live_jobs.h"
#include "journal/recovery_visitor.h"
#include "local/job.h"
#include "local/job_table.h"
#include "local/session.h"
#include "local/timer_queue.h"
#include "local/tube.h"
#include "local/tube_registry.h"
#include "queue/queue.h"

namespace stalk::journal {
class Journal;
}

namespace stalk::local {

// The Queue in memory, with beanstalkd 1.13's semantics (reference/beanstalkd.md
// §1.5-1.8), minus its scaling and timing bugs.
//
// Data structures:
// - Each job is one allocation (Job: 84-byte header + body), indexed by id in a
//   JobTable (a paged direct map: consecutive ids share pages of 512 pointers)
//   and sitting in exactly one
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
// Completions: without a journal, the caller's own completion is called before
// the call returns. Completions of other sessions' waiting reserves (woken by this
// call, or by a timer) are queued and called after the state change is complete,
// just before the outermost call returns, so a completion may call back into the
// queue.
//
// Durability (docs/architecture.md "Durability: what the queue logs"): with a
// journal attached (AttachJournal), every state change that must survive a restart
// appends a record at call time, and the call's completion waits until the
// journal reports the record stored under its sync policy (Journal::WhenDurable;
// after fdatasync under -f0). Logged: put (a full record), release (every one,
// with or without delay, with its new priority), bury, kick, kick-job, delete. Not
// logged, as in beanstalkd: reserve, reserve-job, touch, TTR timeouts, delayed ->
// ready, the releases of a closing session. After a restart a job is as its last
// record says (a reserved one comes back ready; one taken by reserve-job from
// delayed or buried comes back delayed or buried), with the counters it had at
// that record.
//
// The completions of all the calls of one turn of the event loop share one
// WhenDurable, registered (after one Journal::Compact for the turn's records) by
// a function posted to the loop through Journal::Post by the turn's first call
// that appended: with one WhenDurable per call, a pipelined put + reserve + delete
// cost the loop 1.4-1.6x as much time (docs/architecture.md).
//
// The effects of every call are applied in memory at call time, so the effects of
// one session's calls happen in call order. Completions that wait for the journal
// come in call order among themselves (WhenDurable fires in order); a later call
// that appends nothing (peek, stats, reserve, ...) completes at once, i.e. before
// them: the server orders each connection's replies by command sequence.
//
// When the journal cannot take a record (disk full, a failed segment), the
// operation is not applied and completes at once: put (no job created, no id used)
// and release with kOutOfMemory (beanstalkd's answer), bury, kick and kick-job
// with kInternalError. Delete always succeeds (its room was reserved by the put).
// When a record was taken but could not be made durable (a failed write or
// fdatasync), the effect stays applied and the completion gets kInternalError,
// except put, which gets kOutOfMemory and whose job is removed again if it is
// still ready, delayed or buried; if a worker has reserved it meanwhile it stays
// (at-least-once: the producer was told OUT_OF_MEMORY and may put it again, and it
// may not survive a restart).
//
// Recovery: Journal::Open replays the journal into the queue through its
// RecoveryVisitor side, before AttachJournal. Jobs keep their ids, priorities,
// counters (a replay is not another bury), delays (a delayed job keeps the rest of
// its delay, measured on the wall clock) and bodies; tubes are created as their
// jobs need them. Cumulative counters (total-jobs, cmd-delete, job-timeouts)
// start from zero, as in beanstalkd. The buried FIFO is rebuilt in the order of
// the records, which compaction may have changed.
//
// Threading: one thread, the one owning `clock` (see Queue).
class LocalQueue final : public queue::Queue,
                         public journal::RecoveryVisitor,
                         private journal::LiveJobs {
 public:
  // `clock` must outlive the queue.
  explicit LocalQueue(Clock& clock);
  ~LocalQueue() override;
  LocalQueue(const LocalQueue&) = delete;
  LocalQueue& operator=(const LocalQueue&) = delete;

  // Makes the queue log to `journal` from now on and sets the next job id above
  // every id the journal has ever recorded. `journal` must stay alive while it is
  // attached.
  // REQUIRES: Journal::Open has replayed into this queue (or the journal is empty)
  // and no session was opened yet.
  //
  // AttachJournal(nullptr) detaches it, at any time: the completions of the current
  // loop turn are handed to the journal first, and later calls are not logged.
  // Orderly shutdown: detach, destroy the journal (it syncs what was appended and
  // runs the completions still waiting, which may call into the queue), then the
  // queue. Destroying an attached journal is allowed only once the loop runs
  // nothing more (the function posted at the end of a turn would reach it); that
  // turn's completions are then never called.
  void AttachJournal(journal::Journal* journal);

  // journal::RecoveryVisitor: called by Journal::Open, before any session.
  void OnJob(const journal::JobRecord& record, journal::Placement where) override;
  void OnUpdate(const journal::JobUpdate& update) override;
  void OnDelete(uint64_t id) override;

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

  // A completion waiting for the journal, with what it is called with.
  // (JobId is uint64_t: put and kick share a completion type.)
  struct DurableReply {
    enum class Kind : uint8_t {
      kCode,  // delete, release, bury, kick-job: kOk, or kInternalError
      kPut,   // (kOk, id), or (kOutOfMemory, 0) and the job removed
      kKick,  // (kOk, count), or (kInternalError, 0)
    };
    Kind kind = Kind::kCode;
    uint64_t value = 0;  // the put's job id, or the kick's count
    std::variant<queue::Completion<queue::Code>, queue::Completion<queue::Code, uint64_t>> done;
  };

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

  // Journal. Each Log* appends the record for a change about to be applied to
  // `job` (so that a refused record leaves the job untouched); false if the journal
  // refused it. Called only with a journal.
  journal::RecState RecStateOf(const Job* job) const;
  journal::JobUpdate UpdateOf(const Job* job) const;
  journal::JobRecord RecordOf(const Job* job) const;
  journal::Placement PlacementOf(const Job* job) const;
  bool LogUpdate(const journal::JobUpdate& update);
  bool LogKick(const Job* job);  // buried or delayed -> ready
  void LogDelete(Job* job);
  // Wall-clock nanoseconds of a steady-clock time point and back, saturating.
  int64_t UnixNs(TimePoint t) const;
  TimePoint FromUnixNs(int64_t unix_ns) const;
  // Puts a job rebuilt from a record where its recorded state says.
  void PlaceRecovered(Job* job, journal::RecState state, int64_t ready_at_unix_ns);
  // Queues `reply` until what this call appended is durable.
  void AfterDurable(DurableReply reply);
  // End of the outermost call: posts FlushJournal if this turn appended.
  void ScheduleJournalFlush();
  // End of the loop turn: compaction, then one WhenDurable for the turn's replies.
  void FlushJournal();
  // Calls the replies of a WhenDurable; `q` is null if the queue is gone by then
  // (they are called all the same).
  static void RunDurable(LocalQueue* q, std::vector<DurableReply>& replies, bool ok);
  // A put reported not durable: its job goes, unless it is reserved.
  void DropUndurablePut(queue::JobId id);

  // journal::LiveJobs, for Journal::Compact.
  bool CurrentRecord(uint64_t id, uint32_t segment, journal::JobRecord* out) override;
  void Moved(uint64_t id, journal::Placement where) override;

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

  journal::Journal* journal_ = nullptr;
  // Records appended since the last Journal::Compact (its `max_jobs`).
  size_t appended_ = 0;
  // Completions of this loop turn waiting for the journal.
  std::vector<DurableReply> durable_;
  bool flush_posted_ = false;
  // What a posted FlushJournal holds (weakly), so that it does nothing once the
  // queue is gone.
  std::shared_ptr<LocalQueue*> self_ = std::make_shared<LocalQueue*>(this);

  // Last: destroyed first, while the timers it links are still alive.
  TimerQueue timers_;
};

}  // namespace stalk::local
