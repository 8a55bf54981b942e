#pragma once

#include <chrono>
#include <cstddef>
#include <vector>

#include "base/time.h"
#include "local/indexed_heap.h"
#include "local/job.h"
#include "local/timer_queue.h"
#include "local/waiter_list.h"
#include "queue/queue.h"

namespace stalk::local {

class Tube;

// One client connection as the queue sees it: the tube it uses, the tubes it
// watches (in beanstalkd's list-tubes-watched order), the jobs it holds and, while
// it is blocked in reserve, its pending completion and the time it gives up.
//
// Session keeps its own containers consistent; the rules are LocalQueue's. Not
// thread-safe.
class Session {
 public:
  using ReserveDone = queue::Completion<queue::Code, const queue::JobRef*>;
  using ReservedHeap = IndexedHeap<Job, Job::DeadlineOrder>;

  // DEADLINE_SOON margin (beanstalkd conn.c SAFETY_MARGIN).
  static constexpr Duration kSafetyMargin = std::chrono::seconds(1);

  // `timer_rank` orders this session's timer among timers due at the same instant.
  Session(queue::SessionId id, Tube* used, uint8_t timer_rank);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  queue::SessionId id() const { return id_; }

  Tube* used() const { return used_; }
  void set_used(Tube* t) { used_ = t; }

  // The watch list. Entries move when the list changes, so they must not be
  // linked into waiter lists while AddWatch() or RemoveWatch() runs.
  std::vector<WatchEntry>& watches() { return watches_; }
  const std::vector<WatchEntry>& watches() const { return watches_; }
  // The entry for `t`, or nullptr. O(watched tubes).
  WatchEntry* FindWatch(const Tube* t);
  // Appends `t`. REQUIRES: not watched.
  void AddWatch(Tube* t);
  // Removes `e`, moving the last entry into its place (beanstalkd ms_delete).
  void RemoveWatch(WatchEntry* e);

  // Jobs this session holds, soonest TTR deadline first.
  ReservedHeap& reserved() { return reserved_; }
  const ReservedHeap& reserved() const { return reserved_; }
  // True if this session holds `job` (which must be alive). O(1).
  bool Holds(const Job* job) const {
    return job->state() == queue::JobState::kReserved && reserved_.Contains(job);
  }
  // True if a held job's deadline is at most kSafetyMargin away from `now`.
  bool DeadlineSoon(TimePoint now) const;

  // Blocked in reserve: until `deadline` (TimePoint::max() for ever).
  bool waiting() const { return waiting_; }
  TimePoint wait_deadline() const { return wait_deadline_; }
  void BeginWait(TimePoint deadline, ReserveDone done);
  // Stops waiting and hands back the pending completion. REQUIRES: waiting().
  ReserveDone EndWait();

  // When this session next needs attention: its soonest TTR expiry and, while
  // waiting, its wait deadline and the DEADLINE_SOON point (soonest TTR expiry
  // minus the margin). TimePoint::max() if never.
  TimePoint NextEvent() const;

  Timer& timer() { return timer_; }

 private:
  const queue::SessionId id_;
  Tube* used_;
  std::vector<WatchEntry> watches_;
  ReservedHeap reserved_;
  bool waiting_ = false;
  TimePoint wait_deadline_ = TimePoint::max();
  ReserveDone pending_;
  Timer timer_;
};

}  // namespace stalk::local
