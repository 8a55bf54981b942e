#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/time.h"
#include "local/indexed_heap.h"
#include "local/job.h"
#include "local/timer_queue.h"
#include "local/waiter_list.h"

namespace stalk::local {

// A named queue of jobs: ready jobs by (pri, id), delayed jobs by (deadline, id),
// buried jobs first-in first-out, plus the sessions waiting on it, its pause and
// its counters. Reserved jobs of the tube live in their holders' sessions and are
// only counted here.
//
// A tube is reference-counted (beanstalkd tube.c): one reference per session
// using it, per session watching it, per job in it (any state), and a permanent
// one for "default". LocalQueue frees it when the count reaches zero.
//
// Tube only keeps its own containers and counters consistent; the rules (what
// moves where, the global counters, waking waiters) are LocalQueue's. Not
// thread-safe.
class Tube {
 public:
  using ReadyHeap = IndexedHeap<Job, Job::ReadyOrder>;
  using DelayHeap = IndexedHeap<Job, Job::DeadlineOrder>;
  using BuriedHeap = IndexedHeap<Job, Job::BuriedOrder>;

  // What stats-tube shows beyond the container sizes.
  struct Counters {
    uint64_t urgent = 0;    // ready jobs with pri < 1024
    uint64_t reserved = 0;  // jobs of this tube held by sessions
    uint64_t total_jobs = 0;
    uint64_t using_count = 0, watching_count = 0;
    uint64_t cmd_delete = 0, cmd_pause_tube = 0;
  };

  // `timer_rank` orders this tube's timer among timers due at the same instant.
  Tube(std::string_view name, uint8_t timer_rank);
  Tube(const Tube&) = delete;
  Tube& operator=(const Tube&) = delete;

  const std::string& name() const { return name_; }

  // Ready jobs. Push/Remove/Pop keep `counters().urgent` right.
  const ReadyHeap& ready() const { return ready_; }
  void PushReady(Job* job);
  void RemoveReady(Job* job);

  // Delayed jobs, soonest deadline first.
  DelayHeap& delayed() { return delayed_; }
  const DelayHeap& delayed() const { return delayed_; }

  // Buried jobs: a FIFO ordered by the job's bury sequence (oldest at the top).
  BuriedHeap& buried() { return buried_; }
  const BuriedHeap& buried() const { return buried_; }

  // Sessions waiting in reserve that watch this tube, oldest first.
  WaiterList& waiters() { return waiters_; }
  const WaiterList& waiters() const { return waiters_; }

  // Pause: while paused, reserve takes no job from this tube.
  bool paused() const { return paused_; }
  Duration pause() const { return pause_; }
  TimePoint unpause_at() const { return unpause_at_; }
  void Pause(Duration pause, TimePoint until);
  void Unpause();

  // When this tube next needs attention: its soonest delayed job or its unpause.
  // TimePoint::max() if never.
  TimePoint NextEvent() const;

  Counters& counters() { return counters_; }
  const Counters& counters() const { return counters_; }

  void Ref() { ++refs_; }
  // Returns true when the last reference is gone.
  bool Unref() { return --refs_ == 0; }
  uint64_t refs() const { return refs_; }

  Timer& timer() { return timer_; }

  // Position in TubeRegistry's list; maintained by the registry.
  size_t registry_pos() const { return registry_pos_; }
  void set_registry_pos(size_t pos) { registry_pos_ = pos; }

 private:
  const std::string name_;
  ReadyHeap ready_;
  DelayHeap delayed_;
  BuriedHeap buried_;
  WaiterList waiters_;
  Counters counters_;
  uint64_t refs_ = 0;
  bool paused_ = false;
  Duration pause_{};
  TimePoint unpause_at_{};
  size_t registry_pos_ = 0;
  Timer timer_;
};

}  // namespace stalk::local
