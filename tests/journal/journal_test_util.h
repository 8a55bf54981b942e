#pragma once

// Helpers shared by the journal tests: a loop that runs what the journal posts (the
// owner's thread, as asio would), and a job store that plays the queue's part (recovery
// visitor and LiveJobs for compaction).

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "journal/job_record.h"
#include "journal/live_jobs.h"
#include "journal/recovery_visitor.h"

namespace stalk::journal::testing {

// What `Options::post` feeds: a queue of functions run on the test's thread.
class TestLoop {
 public:
  TestLoop() : state_(std::make_shared<State>()) {}

  std::function<void(std::function<void()>)> Poster() {
    return [s = state_](std::function<void()> f) {
      std::lock_guard l(s->mu);
      s->queue.push_back(std::move(f));
      s->cv.notify_all();
    };
  }

  // Runs posted functions until pred() holds, re-checking it at least every millisecond
  // (it may depend on the disk thread, not only on what is posted); false if it still does
  // not hold after `timeout` (a generous bound against hangs, not a timing assertion).
  bool RunUntil(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      RunPending();
      if (pred()) return true;
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return false;
      std::unique_lock l(state_->mu);
      state_->cv.wait_until(l, std::min(deadline, now + std::chrono::milliseconds(1)),
                            [&] { return !state_->queue.empty(); });
    }
  }

  // Runs what is queued now; returns how many ran.
  size_t RunPending() {
    std::deque<std::function<void()>> run;
    {
      std::lock_guard l(state_->mu);
      run.swap(state_->queue);
    }
    for (auto& f : run) f();
    return run.size();
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::function<void()>> queue;
  };
  std::shared_ptr<State> state_;
};

// A job as the test keeps it (owning its strings).
struct StoredJob {
  uint64_t id = 0;
  std::string tube = "default";
  uint32_t pri = 0;
  RecState state = RecState::kReady;
  int64_t delay_ns = 0, ttr_ns = 0, created_unix_ns = 0, ready_at_unix_ns = 0;
  uint32_t reserves = 0, timeouts = 0, releases = 0, buries = 0, kicks = 0;
  std::string body;
  Placement where;

  JobRecord Record() const {
    JobRecord r;
    r.id = id;
    r.tube = tube;
    r.pri = pri;
    r.state = state;
    r.delay_ns = delay_ns;
    r.ttr_ns = ttr_ns;
    r.created_unix_ns = created_unix_ns;
    r.ready_at_unix_ns = ready_at_unix_ns;
    r.reserves = reserves;
    r.timeouts = timeouts;
    r.releases = releases;
    r.buries = buries;
    r.kicks = kicks;
    r.body = body;
    return r;
  }
  JobUpdate Update() const {
    JobUpdate u;
    u.id = id;
    u.pri = pri;
    u.state = state;
    u.delay_ns = delay_ns;
    u.ready_at_unix_ns = ready_at_unix_ns;
    u.reserves = reserves;
    u.timeouts = timeouts;
    u.releases = releases;
    u.buries = buries;
    u.kicks = kicks;
    return u;
  }
  void Apply(const JobUpdate& u) {
    pri = u.pri;
    state = u.state;
    delay_ns = u.delay_ns;
    ready_at_unix_ns = u.ready_at_unix_ns;
    reserves = u.reserves;
    timeouts = u.timeouts;
    releases = u.releases;
    buries = u.buries;
    kicks = u.kicks;
  }
  bool operator==(const StoredJob& o) const {
    return id == o.id && tube == o.tube && pri == o.pri && state == o.state &&
           delay_ns == o.delay_ns && ttr_ns == o.ttr_ns && created_unix_ns == o.created_unix_ns &&
           ready_at_unix_ns == o.ready_at_unix_ns && reserves == o.reserves &&
           timeouts == o.timeouts && releases == o.releases && buries == o.buries &&
           kicks == o.kicks && body == o.body;
  }
};

// The queue's part: rebuilt by recovery, consulted by compaction.
class JobStore : public RecoveryVisitor, public LiveJobs {
 public:
  std::map<uint64_t, StoredJob> jobs;
  uint64_t on_job = 0, on_update = 0, on_delete = 0, moved = 0;

  void OnJob(const JobRecord& r, Placement where) override {
    ++on_job;
    StoredJob j;
    j.id = r.id;
    j.tube = std::string(r.tube);
    j.pri = r.pri;
    j.state = r.state;
    j.delay_ns = r.delay_ns;
    j.ttr_ns = r.ttr_ns;
    j.created_unix_ns = r.created_unix_ns;
    j.ready_at_unix_ns = r.ready_at_unix_ns;
    j.reserves = r.reserves;
    j.timeouts = r.timeouts;
    j.releases = r.releases;
    j.buries = r.buries;
    j.kicks = r.kicks;
    j.body = std::string(r.body);
    j.where = where;
    jobs[r.id] = std::move(j);
  }
  void OnUpdate(const JobUpdate& u) override {
    ++on_update;
    jobs.at(u.id).Apply(u);  // the journal only sends known ids
  }
  void OnDelete(uint64_t id) override {
    ++on_delete;
    jobs.erase(id);
  }

  bool CurrentRecord(uint64_t id, uint32_t segment, JobRecord* out) override {
    auto it = jobs.find(id);
    if (it == jobs.end() || it->second.where.segment != segment) return false;
    *out = it->second.Record();
    return true;
  }
  void Moved(uint64_t id, Placement where) override {
    ++moved;
    jobs.at(id).where = where;
  }
};

}  // namespace stalk::journal::testing
