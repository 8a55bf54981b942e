#include "local/local_queue.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "journal/journal.h"

namespace stalk::local {

using queue::Code;
using queue::JobId;
using queue::JobRef;
using queue::JobState;
using queue::SessionId;

namespace {

constexpr Duration kMinTtr = std::chrono::seconds(1);

// t + d, saturating at TimePoint::max() (timeouts of "for ever").
TimePoint AddSat(TimePoint t, Duration d) {
  if (d > TimePoint::max() - t) return TimePoint::max();
  return t + d;
}

Duration NonNegative(Duration d) { return d < Duration::zero() ? Duration::zero() : d; }

int64_t AddSat(int64_t a, int64_t b) {
  int64_t sum;
  if (!__builtin_add_overflow(a, b, &sum)) return sum;
  return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}

int64_t SubSat(int64_t a, int64_t b) {
  int64_t diff;
  if (!__builtin_sub_overflow(a, b, &diff)) return diff;
  return b < 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}

// A refused AppendPut: no room (or a failed segment and no fresh one yet) is
// OUT_OF_MEMORY, as in beanstalkd; anything else should not happen.
Code PutRefusal(const Status& st) {
  return st.code() == StatusCode::kInvalidArgument ? Code::kInternalError : Code::kOutOfMemory;
}

}  // namespace

class LocalQueue::OpScope {
 public:
  explicit OpScope(LocalQueue* q) : q_(q) { ++q_->depth_; }
  ~OpScope() {
    if (--q_->depth_ != 0) return;
    if (!q_->replies_.empty()) q_->FlushReplies();
    if (q_->journal_ != nullptr) q_->ScheduleJournalFlush();
  }
  OpScope(const OpScope&) = delete;
  OpScope& operator=(const OpScope&) = delete;

 private:
  LocalQueue* q_;
};

LocalQueue::LocalQueue(Clock& clock)
    : clock_(clock), tubes_(kTubeTimerRank), timers_(clock, [this](Timer& t) { OnTimer(t); }) {
  default_tube_ = AcquireTube("default");  // the permanent reference
}

LocalQueue::~LocalQueue() {
  jobs_.ForEach([](Job* job) { Job::Destroy(job); });
}

// ---------------------------------------------------------------------------
// Sessions

SessionId LocalQueue::OpenSession() {
  OpScope scope(this);
  const SessionId id = next_session_id_++;
  auto session = std::make_unique<Session>(id, default_tube_, kSessionTimerRank);
  default_tube_->Ref();
  ++default_tube_->counters().using_count;
  default_tube_->Ref();
  ++default_tube_->counters().watching_count;
  session->AddWatch(default_tube_);
  sessions_.emplace(id, std::move(session));
  return id;
}

void LocalQueue::CloseSession(SessionId id) {
  OpScope scope(this);
  Session* s = FindSession(id);
  if (s == nullptr) return;
  if (s->waiting()) StopWaiting(s);  // the completion is dropped, never called
  // Jobs go back to ready at once, soonest deadline first; not timeouts.
  while (!s->reserved().empty()) {
    Job* job = s->reserved().Top();
    Unhold(s, job);
    MakeReady(job);
  }
  timers_.Cancel(s->timer());
  // Unwatch as beanstalkd's ms_clear does (remove index 0, the last moving in),
  // since the order tubes are freed in decides the list-tubes order.
  while (!s->watches().empty()) {
    WatchEntry& first = s->watches().front();
    Tube* t = first.tube;
    s->RemoveWatch(&first);
    --t->counters().watching_count;
    ReleaseTube(t);
  }
  --s->used()->counters().using_count;
  ReleaseTube(s->used());
  sessions_.erase(id);
}

Session* LocalQueue::FindSession(SessionId id) const {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second.get();
}

// ---------------------------------------------------------------------------
// Tubes

Tube* LocalQueue::AcquireTube(std::string_view name) {
  Tube* t = tubes_.FindOrCreate(name);
  t->Ref();
  return t;
}

void LocalQueue::ReleaseTube(Tube* t) {
  if (!t->Unref()) return;
  timers_.Cancel(t->timer());
  tubes_.Erase(t);
}

void LocalQueue::Use(SessionId id, std::string_view name, queue::Completion<Code> done) {
  OpScope scope(this);
  Session* s = FindSession(id);
  if (s == nullptr) return done(Code::kInternalError);
  Tube* t = AcquireTube(name);  // before releasing the old one: it may be the same
  ++t->counters().using_count;
  Tube* old = s->used();
  s->set_used(t);
  --old->counters().using_count;
  ReleaseTube(old);
  done(Code::kOk);
}

void LocalQueue::UsedTube(SessionId id, queue::Completion<std::string_view> done) {
  OpScope scope(this);
  Session* s = FindSession(id);
  if (s == nullptr) return done(std::string_view());
  done(s->used()->name());
}

void LocalQueue::Watch(SessionId id, std::string_view name, queue::Completion<Code, size_t> done) {
  OpScope scope(this);
  Session* s = FindSession(id);
  if (s == nullptr) return done(Code::kInternalError, 0);
  Tube* existing = tubes_.Find(name);
  if (existing != nullptr && s->FindWatch(existing) != nullptr) {
    return done(Code::kOk, s->watches().size());
  }
  Tube* t = AcquireTube(name);
  ++t->counters().watching_count;
  // Not expected while waiting (the server sends nothing during a reserve), but
  // keep the waiter links valid if it happens: entries may move.
  const bool waiting = s->waiting();
  if (waiting) UnlinkWaiter(s);
  s->AddWatch(t);
  if (waiting) {
    LinkWaiter(s);
    WakeWaiters(t);
  }
  done(Code::kOk, s->watches().size());
}

void LocalQueue::Ignore(SessionId id, std::string_view name, queue::Completion<Code, size_t> done) {
  OpScope scope(this);
  Session* s = FindSession(id);
  if (s == nullptr) return done(Code::kInternalError, 0);
  Tube* t = tubes_.Find(name);
  WatchEntry* e = t == nullptr ? nullptr : s->FindWatch(t);
  if (e == nullptr) return done(Code::kOk, s->watches().size());
  if (s->watches().size() == 1) return done(Code::kNotIgnored, 1);
  const bool waiting = s->waiting();
  if (waiting) UnlinkWaiter(s);
  s->RemoveWatch(e);
  if (waiting) LinkWaiter(s);
  --t->counters().watching_count;
  ReleaseTube(t);
  done(Code::kOk, s->watches().size());
}

void LocalQueue::WatchedTubes(SessionId id,
                              queue::Completion<const std::vector<std::string>&> done) {
  OpScope scope(this);
  std::vector<std::string> names;
  if (Session* s = FindSession(id)) {
    names.reserve(s->watches().size());
    for (const WatchEntry& e : s->watches()) names.emplace_back(e.tube->name());
  }
  done(names);
}

void LocalQueue::Tubes(queue::Completion<const std::vector<std::string>&> done) {
  OpScope scope(this);
  std::vector<std::string> names;
  names.reserve(tubes_.size());
  for (const Tube* t : tubes_.list()) names.emplace_back(t->name());
  done(names);
}

void LocalQueue::PauseTube(SessionId, std::string_view name, Duration delay,
                           queue::Completion<Code> done) {
  OpScope scope(this);
  Tube* t = tubes_.Find(name);
  if (t == nullptr) return done(Code::kNotFound);
  ++t->counters().cmd_pause_tube;
  if (delay <= Duration::zero()) {
    // beanstalkd pauses for 1 ns, i.e. until its next tick; we unpause at once.
    t->Unpause();
    WakeWaiters(t);
  } else {
    t->Pause(delay, AddSat(clock_.Now(), delay));
  }
  UpdateTimer(t);
  done(Code::kOk);
}

// ---------------------------------------------------------------------------
// Job moves

void LocalQueue::MakeReady(Job* job) {
  Tube* t = job->tube();
  job->set_state(JobState::kReady);
  t->PushReady(job);
  ++ready_;
  if (job->urgent()) ++urgent_;
  WakeWaiters(t);
}

void LocalQueue::MakeDelayed(Job* job, Duration delay) {
  Tube* t = job->tube();
  job->set_state(JobState::kDelayed);
  job->set_deadline(AddSat(clock_.Now(), delay));
  t->delayed().Push(job);
  ++delayed_;
  if (t->delayed().Top() == job) UpdateTimer(t);
}

void LocalQueue::MakeBuried(Job* job) {
  job->set_state(JobState::kBuried);
  job->set_bury_seq(next_bury_seq_++);
  job->tube()->buried().Push(job);
  ++buried_;
}

void LocalQueue::Detach(Job* job) {
  Tube* t = job->tube();
  switch (job->state()) {
    case JobState::kReady:
      t->RemoveReady(job);
      --ready_;
      if (job->urgent()) --urgent_;
      break;
    case JobState::kDelayed: {
      const bool was_top = t->delayed().Top() == job;
      t->delayed().Remove(job);
      --delayed_;
      if (was_top) UpdateTimer(t);
      break;
    }
    case JobState::kBuried:
      t->buried().Remove(job);
      --buried_;
      break;
    case JobState::kReserved:
      break;  // not reachable: callers use Unhold()
  }
}

void LocalQueue::Hold(Session* s, Job* job) {
  job->set_state(JobState::kReserved);
  job->count_reserve();
  job->set_deadline(AddSat(clock_.Now(), job->ttr()));
  s->reserved().Push(job);
  ++job->tube()->counters().reserved;
  ++reserved_;
  UpdateTimer(s);
}

void LocalQueue::Unhold(Session* s, Job* job) {
  s->reserved().Remove(job);
  --job->tube()->counters().reserved;
  --reserved_;
  UpdateTimer(s);
}

void LocalQueue::DestroyJob(Job* job) {
  Tube* t = job->tube();
  jobs_.Erase(job);
  Job::Destroy(job);
  ReleaseTube(t);
}

// ---------------------------------------------------------------------------
// Waiting

Job* LocalQueue::BestReady(Session* s) const {
  Job* best = nullptr;
  for (const WatchEntry& e : s->watches()) {
    const Tube* t = e.tube;
    if (t->paused() || t->ready().empty()) continue;
    Job* top = t->ready().Top();
    if (best == nullptr || Job::ReadyOrder::Less(*top, *best)) best = top;
  }
  return best;
}

void LocalQueue::WakeWaiters(Tube* t) {
  while (!t->paused() && !t->ready().empty() && !t->waiters().empty()) {
    Session* w = t->waiters().front()->session;
    Job* job = t->ready().Top();
    Detach(job);
    ReserveDone done = StopWaiting(w);
    Hold(w, job);
    replies_.push_back(PendingReply{w->id(), job->id(), Code::kOk, std::move(done)});
  }
}

void LocalQueue::LinkWaiter(Session* s) {
  for (WatchEntry& e : s->watches()) e.tube->waiters().PushBack(&e);
}

void LocalQueue::UnlinkWaiter(Session* s) {
  for (WatchEntry& e : s->watches()) e.tube->waiters().Remove(&e);
}

void LocalQueue::StartWaiting(Session* s, TimePoint deadline, ReserveDone done) {
  s->BeginWait(deadline, std::move(done));
  LinkWaiter(s);
  ++waiting_;
  UpdateTimer(s);
}

LocalQueue::ReserveDone LocalQueue::StopWaiting(Session* s) {
  UnlinkWaiter(s);
  --waiting_;
  ReserveDone done = s->EndWait();
  UpdateTimer(s);
  return done;
}

void LocalQueue::FinishWait(Session* s, Code code) {
  ReserveDone done = StopWaiting(s);
  replies_.push_back(PendingReply{s->id(), 0, code, std::move(done)});
}

// ---------------------------------------------------------------------------
// Timers

void LocalQueue::UpdateTimer(Tube* t) { Rearm(t->timer(), t->NextEvent()); }

void LocalQueue::UpdateTimer(Session* s) { Rearm(s->timer(), s->NextEvent()); }

void LocalQueue::Rearm(Timer& timer, TimePoint next) {
  // A timer is only ever moved earlier. One already queued at or before `next`
  // stays: it fires early, its owner finds nothing due and re-arms it at its real
  // next event. So a worker's reserve/delete cycles cost no heap work at all
  // (its timer sits at the first TTR deadline), and the heap's size never makes
  // a command slower.
  if (timer.queued() ? timer.when <= next : next == TimePoint::max()) return;
  timers_.Schedule(timer, next);
}

void LocalQueue::OnTimer(Timer& timer) {
  OpScope scope(this);
  if (timer.rank == kTubeTimerRank) {
    OnTubeTimer(static_cast<Tube*>(timer.owner));
  } else {
    OnSessionTimer(static_cast<Session*>(timer.owner));
  }
}

void LocalQueue::OnTubeTimer(Tube* t) {
  const TimePoint now = clock_.Now();
  // Each due job becomes ready on its own, in (deadline, id) order, and may go
  // to a waiter at once (beanstalkd #400 behaviour).
  while (!t->delayed().empty() && t->delayed().Top()->deadline() <= now) {
    Job* job = t->delayed().Pop();
    --delayed_;
    MakeReady(job);
  }
  if (t->paused() && t->unpause_at() <= now) {
    t->Unpause();
    WakeWaiters(t);
  }
  UpdateTimer(t);
}

void LocalQueue::OnSessionTimer(Session* s) {
  const TimePoint now = clock_.Now();
  // The wait ends first, so that the session cannot be handed back a job of its
  // own that is timing out right now.
  if (s->waiting()) {
    if (s->DeadlineSoon(now)) {
      FinishWait(s, Code::kDeadlineSoon);
    } else if (s->wait_deadline() <= now) {
      FinishWait(s, Code::kTimedOut);
    }
  }
  while (!s->reserved().empty() && s->reserved().Top()->deadline() <= now) {
    Job* job = s->reserved().Top();
    Unhold(s, job);
    job->count_timeout();
    ++job_timeouts_;
    MakeReady(job);
  }
  UpdateTimer(s);
}

void LocalQueue::FlushReplies() {
  ++depth_;  // completions may call back in; their replies join this loop
  for (size_t i = 0; i < replies_.size(); ++i) {
    PendingReply reply = std::move(replies_[i]);  // replies_ may grow meanwhile
    Session* s = FindSession(reply.session);
    if (s == nullptr || !reply.done) continue;  // closed since: dropped
    if (reply.job == 0) {
      reply.done(reply.code, nullptr);
      continue;
    }
    Job* job = jobs_.Find(reply.job);
    if (job == nullptr || !s->Holds(job)) {
      // Cannot happen: nothing but the session itself (or its closing) can take
      // a job from it before its reserve completes.
      reply.done(Code::kInternalError, nullptr);
      continue;
    }
    const JobRef ref{job->id(), job->body()};
    reply.done(Code::kOk, &ref);
  }
  replies_.clear();
  --depth_;
}

// ---------------------------------------------------------------------------
// Producer and worker commands

void LocalQueue::Put(SessionId id, const queue::PutArgs& args,
                     queue::Completion<Code, JobId> done) {
  OpScope scope(this);
  Session* s = FindSession(id);
  if (s == nullptr) return done(Code::kInternalError, 0);
  // Heap positions are 30 bits; far beyond any memory we could have anyway.
  if (jobs_.size() >= Job::kMaxHeapPos) return done(Code::kOutOfMemory, 0);
  Tube* t = s->used();
  const Duration ttr = std::max(args.ttr, kMinTtr);
  const Duration delay = NonNegative(args.delay);
  const TimePoint now = clock_.Now();
  Job* job = Job::Create(next_job_id_, t, args.pri, delay, ttr, now, args.body);
  if (job == nullptr) return done(Code::kOutOfMemory, 0);
  if (journal_ != nullptr) {
    journal::JobRecord rec;
    rec.id = job->id();
    rec.tube = t->name();
    rec.pri = args.pri;
    rec.state = delay > Duration::zero() ? journal::RecState::kDelayed : journal::RecState::kReady;
    rec.delay_ns = delay.count();
    rec.ttr_ns = ttr.count();
    rec.created_unix_ns = UnixNs(now);
    if (delay > Duration::zero()) rec.ready_at_unix_ns = UnixNs(AddSat(now, delay));
    rec.body = args.body;
    Result<journal::Placement> where = journal_->AppendPut(rec);
    if (!where.ok()) {
      Job::Destroy(job);  // no job, no id used
      return done(PutRefusal(where.status()), 0);
    }
    job->set_segment(where->segment);
    ++appended_;
  }
  const JobId job_id = job->id();
  ++next_job_id_;
  jobs_.Insert(job);
  t->Ref();
  ++t->counters().total_jobs;
  ++total_jobs_;
  if (delay > Duration::zero()) {
    MakeDelayed(job, delay);
  } else {
    MakeReady(job);  // may hand it to a waiter at once
  }
  if (journal_ != nullptr) {
    return AfterDurable(DurableReply{DurableReply::Kind::kPut, job_id, std::move(done)});
  }
  done(Code::kOk, job_id);
}

void LocalQueue::Reserve(SessionId id, std::optional<Duration> timeout,
                         queue::Completion<Code, const JobRef*> done) {
  OpScope scope(this);
  Session* s = FindSession(id);
  if (s == nullptr || s->waiting()) return done(Code::kInternalError, nullptr);
  const TimePoint now = clock_.Now();
  Job* job = BestReady(s);
  if (job == nullptr) {
    if (s->DeadlineSoon(now)) return done(Code::kDeadlineSoon, nullptr);
    if (timeout && *timeout <= Duration::zero()) return done(Code::kTimedOut, nullptr);
    const TimePoint deadline = timeout ? AddSat(now, *timeout) : TimePoint::max();
    StartWaiting(s, deadline, std::move(done));
    return;
  }
  Detach(job);
  Hold(s, job);
  const JobRef ref{job->id(), job->body()};
  done(Code::kOk, &ref);
}

void LocalQueue::CancelReserve(SessionId id) {
  OpScope scope(this);
  Session* s = FindSession(id);
  if (s != nullptr && s->waiting()) FinishWait(s, Code::kTimedOut);
}

void LocalQueue::ReserveJob(SessionId id, JobId job_id,
                            queue::Completion<Code, const JobRef*> done) {
  OpScope scope(this);
  Session* s = FindSession(id);
  if (s == nullptr) return done(Code::kInternalError, nullptr);
  Job* job = jobs_.Find(job_id);
  if (job == nullptr || job->state() == JobState::kReserved) {
    return done(Code::kNotFound, nullptr);
  }
  Detach(job);
  Hold(s, job);
  const JobRef ref{job->id(), job->body()};
  done(Code::kOk, &ref);
}

void LocalQueue::Delete(SessionId id, JobId job_id, queue::Completion<Code> done) {
  OpScope scope(this);
  Session* s = FindSession(id);
  if (s == nullptr) return done(Code::kInternalError);
  Job* job = jobs_.Find(job_id);
  if (job == nullptr) return done(Code::kNotFound);
  if (job->state() == JobState::kReserved) {
    if (!s->Holds(job)) return done(Code::kNotFound);
    Unhold(s, job);
  } else {
    Detach(job);
  }
  ++job->tube()->counters().cmd_delete;
  if (journal_ != nullptr) {
    LogDelete(job);  // never refused: the put reserved its room
    DestroyJob(job);
    return AfterDurable(DurableReply{DurableReply::Kind::kCode, 0, std::move(done)});
  }
  DestroyJob(job);
  done(Code::kOk);
}

void LocalQueue::Release(SessionId id, JobId job_id, uint32_t pri, Duration delay,
                         queue::Completion<Code> done) {
  OpScope scope(this);
  Session* s = FindSession(id);
  if (s == nullptr) return done(Code::kInternalError);
  Job* job = jobs_.Find(job_id);
  if (job == nullptr || !s->Holds(job)) return done(Code::kNotFound);
  delay = NonNegative(delay);
  if (journal_ != nullptr) {
    // Every release is logged (beanstalkd logs only those with a delay), so the new
    // priority survives a restart too.
    journal::JobUpdate u = UpdateOf(job);
    u.pri = pri;
    u.delay_ns = delay.count();
    ++u.releases;
    if (delay > Duration::zero()) {
      u.state = journal::RecState::kDelayed;
      u.ready_at_unix_ns = UnixNs(AddSat(clock_.Now(), delay));
    }
    // Refused: the job stays reserved; OUT_OF_MEMORY as beanstalkd answers a
    // release with delay it cannot log.
    if (!LogUpdate(u)) return done(Code::kOutOfMemory);
  }
  Unhold(s, job);
  job->set_pri(pri);
  job->set_delay(delay);
  job->count_release();
  if (delay > Duration::zero()) {
    MakeDelayed(job, delay);
  } else {
    MakeReady(job);
  }
  if (journal_ != nullptr) {
    return AfterDurable(DurableReply{DurableReply::Kind::kCode, 0, std::move(done)});
  }
  done(Code::kOk);
}

void LocalQueue::Bury(SessionId id, JobId job_id, uint32_t pri, queue::Completion<Code> done) {
  OpScope scope(this);
  Session* s = FindSession(id);
  if (s == nullptr) return done(Code::kInternalError);
  Job* job = jobs_.Find(job_id);
  if (job == nullptr || !s->Holds(job)) return done(Code::kNotFound);
  if (journal_ != nullptr) {
    journal::JobUpdate u = UpdateOf(job);
    u.pri = pri;
    u.state = journal::RecState::kBuried;
    ++u.buries;
    if (!LogUpdate(u)) return done(Code::kInternalError);  // stays reserved
  }
  Unhold(s, job);
  job->set_pri(pri);
  job->count_bury();
  MakeBuried(job);
  if (journal_ != nullptr) {
    return AfterDurable(DurableReply{DurableReply::Kind::kCode, 0, std::move(done)});
  }
  done(Code::kOk);
}

void LocalQueue::Touch(SessionId id, JobId job_id, queue::Completion<Code> done) {
  OpScope scope(this);
  Session* s = FindSession(id);
  if (s == nullptr) return done(Code::kInternalError);
  Job* job = jobs_.Find(job_id);
  if (job == nullptr || !s->Holds(job)) return done(Code::kNotFound);
  job->set_deadline(AddSat(clock_.Now(), job->ttr()));
  s->reserved().Fix(job);
  UpdateTimer(s);
  done(Code::kOk);
}

void LocalQueue::Kick(SessionId id, uint32_t bound, queue::Completion<Code, uint64_t> done) {
  OpScope scope(this);
  Session* s = FindSession(id);
  if (s == nullptr) return done(Code::kInternalError, 0);
  Tube* t = s->used();
  uint64_t kicked = 0;
  bool refused = false;  // the journal took no more records
  if (!t->buried().empty()) {
    // Buried jobs only, oldest first, even if delayed ones exist.
    while (kicked < bound && !t->buried().empty()) {
      Job* job = t->buried().Top();
      if (journal_ != nullptr && !LogKick(job)) {
        refused = true;
        break;
      }
      t->buried().Pop();
      --buried_;
      job->count_kick();
      MakeReady(job);
      ++kicked;
    }
  } else {
    while (kicked < bound && !t->delayed().empty()) {
      Job* job = t->delayed().Top();
      if (journal_ != nullptr && !LogKick(job)) {
        refused = true;
        break;
      }
      t->delayed().Pop();
      --delayed_;
      job->count_kick();
      MakeReady(job);
      ++kicked;
    }
    UpdateTimer(t);
  }
  // A refusal after some kicks reports those (beanstalkd stops the same way); one
  // before any is an error rather than beanstalkd's "KICKED 0".
  if (refused && kicked == 0) return done(Code::kInternalError, 0);
  if (journal_ != nullptr && kicked > 0) {
    return AfterDurable(DurableReply{DurableReply::Kind::kKick, kicked, std::move(done)});
  }
  done(Code::kOk, kicked);
}

void LocalQueue::KickJob(SessionId, JobId job_id, queue::Completion<Code> done) {
  OpScope scope(this);
  Job* job = jobs_.Find(job_id);
  if (job == nullptr || (job->state() != JobState::kBuried && job->state() != JobState::kDelayed)) {
    return done(Code::kNotFound);
  }
  if (journal_ != nullptr && !LogKick(job)) return done(Code::kInternalError);
  Detach(job);
  job->count_kick();
  MakeReady(job);
  if (journal_ != nullptr) {
    return AfterDurable(DurableReply{DurableReply::Kind::kCode, 0, std::move(done)});
  }
  done(Code::kOk);
}

// ---------------------------------------------------------------------------
// Reading

void LocalQueue::Peek(SessionId, JobId job_id, queue::Completion<Code, const JobRef*> done) {
  OpScope scope(this);
  const Job* job = jobs_.Find(job_id);
  if (job == nullptr) return done(Code::kNotFound, nullptr);
  const JobRef ref{job->id(), job->body()};
  done(Code::kOk, &ref);
}

void LocalQueue::PeekTube(SessionId id, PeekWhich which,
                          queue::Completion<Code, const JobRef*> done) {
  OpScope scope(this);
  Session* s = FindSession(id);
  if (s == nullptr) return done(Code::kInternalError, nullptr);
  const Tube* t = s->used();
  const Job* job = nullptr;
  switch (which) {
    case PeekWhich::kReady:
      if (!t->ready().empty()) job = t->ready().Top();
      break;
    case PeekWhich::kDelayed:
      if (!t->delayed().empty()) job = t->delayed().Top();
      break;
    case PeekWhich::kBuried:
      if (!t->buried().empty()) job = t->buried().Top();
      break;
  }
  if (job == nullptr) return done(Code::kNotFound, nullptr);
  const JobRef ref{job->id(), job->body()};
  done(Code::kOk, &ref);
}

void LocalQueue::StatsJob(SessionId, JobId job_id,
                          queue::Completion<Code, const queue::JobInfo*> done) {
  OpScope scope(this);
  const Job* job = jobs_.Find(job_id);
  if (job == nullptr) return done(Code::kNotFound, nullptr);
  const TimePoint now = clock_.Now();
  queue::JobInfo info;
  info.id = job->id();
  info.tube = job->tube()->name();
  info.state = job->state();
  info.pri = job->pri();
  info.age = now - job->created();
  info.delay = job->delay();
  info.ttr = job->ttr();
  if (info.state == JobState::kReserved || info.state == JobState::kDelayed) {
    info.time_left = NonNegative(job->deadline() - now);
  }
  info.file = job->segment();
  info.reserves = job->reserves();
  info.timeouts = job->timeouts();
  info.releases = job->releases();
  info.buries = job->buries();
  info.kicks = job->kicks();
  done(Code::kOk, &info);
}

void LocalQueue::StatsTube(SessionId, std::string_view name,
                           queue::Completion<Code, const queue::TubeInfo*> done) {
  OpScope scope(this);
  const Tube* t = tubes_.Find(name);
  if (t == nullptr) return done(Code::kNotFound, nullptr);
  const Tube::Counters& c = t->counters();
  queue::TubeInfo info;
  info.name = t->name();
  info.urgent = c.urgent;
  info.ready = t->ready().size();
  info.reserved = c.reserved;
  info.delayed = t->delayed().size();
  info.buried = t->buried().size();
  info.total_jobs = c.total_jobs;
  info.using_count = c.using_count;
  info.watching_count = c.watching_count;
  info.waiting_count = t->waiters().size();
  info.cmd_delete = c.cmd_delete;
  info.cmd_pause_tube = c.cmd_pause_tube;
  if (t->paused()) {
    info.pause = t->pause();
    info.pause_time_left = NonNegative(t->unpause_at() - clock_.Now());
  }
  done(Code::kOk, &info);
}

void LocalQueue::Stats(queue::Completion<const queue::QueueInfo&> done) {
  OpScope scope(this);
  queue::QueueInfo info;
  info.urgent = urgent_;
  info.ready = ready_;
  info.reserved = reserved_;
  info.delayed = delayed_;
  info.buried = buried_;
  info.job_timeouts = job_timeouts_;
  info.total_jobs = total_jobs_;
  info.tubes = tubes_.size();
  info.waiting = waiting_;
  if (journal_ != nullptr) {
    const journal::JournalStats js = journal_->stats();
    info.binlog_oldest_index = js.oldest_segment;
    info.binlog_current_index = js.current_segment;
    info.binlog_records_migrated = js.records_migrated;
    info.binlog_records_written = js.records_written;
  }
  done(info);
}

// ---------------------------------------------------------------------------
// Journal: logging

void LocalQueue::AttachJournal(journal::Journal* journal) {
  if (journal_ != nullptr && journal != journal_) FlushJournal();  // this turn's completions
  journal_ = journal;
  if (journal != nullptr) next_job_id_ = std::max(next_job_id_, journal->next_job_id());
}

int64_t LocalQueue::UnixNs(TimePoint t) const {
  const int64_t wall =
      std::chrono::duration_cast<Duration>(clock_.WallNow().time_since_epoch()).count();
  return AddSat(wall,
                SubSat(t.time_since_epoch().count(), clock_.Now().time_since_epoch().count()));
}

TimePoint LocalQueue::FromUnixNs(int64_t unix_ns) const {
  const int64_t wall =
      std::chrono::duration_cast<Duration>(clock_.WallNow().time_since_epoch()).count();
  return TimePoint(
      Duration(AddSat(clock_.Now().time_since_epoch().count(), SubSat(unix_ns, wall))));
}

journal::RecState LocalQueue::RecStateOf(const Job* job) const {
  switch (job->state()) {
    case JobState::kDelayed:
      return journal::RecState::kDelayed;
    case JobState::kBuried:
      return journal::RecState::kBuried;
    case JobState::kReady:
    case JobState::kReserved:  // a reservation does not survive a restart
      break;
  }
  return journal::RecState::kReady;
}

journal::JobUpdate LocalQueue::UpdateOf(const Job* job) const {
  journal::JobUpdate u;
  u.id = job->id();
  u.pri = job->pri();
  u.state = RecStateOf(job);
  u.delay_ns = job->delay().count();
  if (u.state == journal::RecState::kDelayed) u.ready_at_unix_ns = UnixNs(job->deadline());
  u.reserves = job->reserves();
  u.timeouts = job->timeouts();
  u.releases = job->releases();
  u.buries = job->buries();
  u.kicks = job->kicks();
  return u;
}

journal::JobRecord LocalQueue::RecordOf(const Job* job) const {
  journal::JobRecord r;
  r.id = job->id();
  r.tube = job->tube()->name();
  r.pri = job->pri();
  r.state = RecStateOf(job);
  r.delay_ns = job->delay().count();
  r.ttr_ns = job->ttr().count();
  r.created_unix_ns = UnixNs(job->created());
  if (r.state == journal::RecState::kDelayed) r.ready_at_unix_ns = UnixNs(job->deadline());
  r.reserves = job->reserves();
  r.timeouts = job->timeouts();
  r.releases = job->releases();
  r.buries = job->buries();
  r.kicks = job->kicks();
  r.body = job->body();
  return r;
}

journal::Placement LocalQueue::PlacementOf(const Job* job) const {
  return journal::Placement{
      job->segment(), journal::FullRecordBytes(job->tube()->name().size(), job->body().size())};
}

bool LocalQueue::LogUpdate(const journal::JobUpdate& update) {
  Status st = journal_->AppendUpdate(update);
  if (!st.ok()) return false;
  ++appended_;
  return true;
}

bool LocalQueue::LogKick(const Job* job) {
  journal::JobUpdate u = UpdateOf(job);
  u.state = journal::RecState::kReady;
  u.ready_at_unix_ns = 0;
  ++u.kicks;
  return LogUpdate(u);
}

void LocalQueue::LogDelete(Job* job) {
  journal_->AppendDelete(job->id(), PlacementOf(job));
  ++appended_;
}

void LocalQueue::AfterDurable(DurableReply reply) { durable_.push_back(std::move(reply)); }

void LocalQueue::ScheduleJournalFlush() {
  if (flush_posted_ || (appended_ == 0 && durable_.empty())) return;
  flush_posted_ = true;
  journal_->Post([weak = std::weak_ptr<LocalQueue*>(self_)] {
    if (std::shared_ptr<LocalQueue*> self = weak.lock()) (*self)->FlushJournal();
  });
}

void LocalQueue::FlushJournal() {
  flush_posted_ = false;
  if (journal_ == nullptr) return;
  if (appended_ > 0) {
    // At least as many moves as records appended since the last call keeps disk
    // use bounded (Journal::Compact); before WhenDurable, so that the moved
    // records are durable with the turn's own.
    const size_t appended = appended_;
    appended_ = 0;
    journal_->Compact(*this, appended);
  }
  if (durable_.empty()) return;
  journal_->WhenDurable(
      [weak = std::weak_ptr<LocalQueue*>(self_), replies = std::move(durable_)](bool ok) mutable {
        std::shared_ptr<LocalQueue*> self = weak.lock();
        RunDurable(self ? *self : nullptr, replies, ok);
      });
  durable_.clear();
}

void LocalQueue::RunDurable(LocalQueue* q, std::vector<DurableReply>& replies, bool ok) {
  std::optional<OpScope> scope;
  if (q != nullptr) scope.emplace(q);
  for (DurableReply& r : replies) {
    switch (r.kind) {
      case DurableReply::Kind::kCode:
        std::get<0>(r.done)(ok ? Code::kOk : Code::kInternalError);
        break;
      case DurableReply::Kind::kPut:
        if (ok) {
          std::get<1>(r.done)(Code::kOk, r.value);
        } else {
          if (q != nullptr) q->DropUndurablePut(r.value);
          std::get<1>(r.done)(Code::kOutOfMemory, 0);
        }
        break;
      case DurableReply::Kind::kKick:
        std::get<1>(r.done)(ok ? Code::kOk : Code::kInternalError, ok ? r.value : 0);
        break;
    }
  }
}

void LocalQueue::DropUndurablePut(JobId id) {
  Job* job = jobs_.Find(id);
  // Gone already (deleted), or handed to a worker: then it stays (at-least-once).
  if (job == nullptr || job->state() == JobState::kReserved) return;
  Detach(job);
  if (journal_ != nullptr) LogDelete(job);
  DestroyJob(job);
}

// ---------------------------------------------------------------------------
// Journal: recovery and compaction

void LocalQueue::PlaceRecovered(Job* job, journal::RecState state, int64_t ready_at_unix_ns) {
  switch (state) {
    case journal::RecState::kBuried:
      MakeBuried(job);  // not counted: the record holds the counters
      return;
    case journal::RecState::kDelayed: {
      const int64_t wall =
          std::chrono::duration_cast<Duration>(clock_.WallNow().time_since_epoch()).count();
      const Duration left(SubSat(ready_at_unix_ns, wall));
      if (left > Duration::zero()) {
        MakeDelayed(job, left);
        return;
      }
      break;  // due while we were down: ready now
    }
    case journal::RecState::kReady:
      break;
  }
  MakeReady(job);
}

void LocalQueue::OnJob(const journal::JobRecord& r, journal::Placement where) {
  OpScope scope(this);
  Tube* t = AcquireTube(r.tube);  // the new job's reference, before the old one goes
  if (Job* old = jobs_.Find(r.id)) {
    // A later full record (written by compaction) supersedes the earlier one.
    Detach(old);
    DestroyJob(old);
  }
  const TimePoint created = std::min(FromUnixNs(r.created_unix_ns), clock_.Now());
  Job* job = Job::Create(r.id, t, r.pri, Duration(r.delay_ns), Duration(r.ttr_ns), created, r.body);
  if (job == nullptr) {
    spdlog::error("recovery: no memory for job {} ({} body bytes); it is lost", r.id,
                  r.body.size());
    ReleaseTube(t);
    return;
  }
  job->RestoreCounters(r.reserves, r.timeouts, r.releases, r.buries, r.kicks);
  job->set_segment(where.segment);
  jobs_.Insert(job);
  next_job_id_ = std::max(next_job_id_, r.id + 1);
  PlaceRecovered(job, r.state, r.ready_at_unix_ns);
}

void LocalQueue::OnUpdate(const journal::JobUpdate& u) {
  OpScope scope(this);
  Job* job = jobs_.Find(u.id);
  if (job == nullptr) return;  // its full record could not be rebuilt
  Detach(job);
  job->set_pri(u.pri);
  job->set_delay(Duration(u.delay_ns));
  job->RestoreCounters(u.reserves, u.timeouts, u.releases, u.buries, u.kicks);
  PlaceRecovered(job, u.state, u.ready_at_unix_ns);
}

void LocalQueue::OnDelete(uint64_t id) {
  OpScope scope(this);
  Job* job = jobs_.Find(id);
  if (job == nullptr) return;
  Detach(job);
  DestroyJob(job);
}

bool LocalQueue::CurrentRecord(uint64_t id, uint32_t segment, journal::JobRecord* out) {
  const Job* job = jobs_.Find(id);
  if (job == nullptr || job->segment() != segment) return false;
  *out = RecordOf(job);
  return true;
}

void LocalQueue::Moved(uint64_t id, journal::Placement where) {
  if (Job* job = jobs_.Find(id)) job->set_segment(where.segment);
}

}  // namespace stalk::local
