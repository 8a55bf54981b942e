#pragma once

// Slot: one of a Worker run's N concurrent job runners. It owns one Client (one
// connection, watching every handled tube), one thread that reserves a job, runs
// its handler and finishes it (delete, release, bury), and a JobKeeper that
// touches the job from a second thread while the handler runs.
//
// Thread-safety: Start and Join from the coordinator; Abandon from any thread.

#include <memory>
#include <thread>

#include "stalk/client.h"
#include "stalk/worker.h"
#include "worker/job_keeper.h"
#include "worker/run_state.h"

namespace stalk::detail {

class Slot {
 public:
  // `run` must outlive the slot.
  Slot(RunState& run, std::unique_ptr<Client> client);
  ~Slot();  // joins
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

  void Start();
  void Join();
  // The stop grace period is over: release the job in flight, cancel its handler.
  void Abandon() { keeper_.Abandon(); }

 private:
  void Loop();
  void Process(Job job);
  // Fills in `ctx` from stats-job; false (with the outcome reported) if the job
  // cannot be worked on.
  bool Describe(Job& job, JobContext& ctx, const TubeHandler** handler);
  Outcome RunHandler(const TubeHandler& handler, const JobContext& ctx);
  void Finish(const TubeHandler& handler, const JobContext& ctx, const Outcome& outcome,
              Duration took);
  void Retry(const TubeHandler& handler, const JobContext& ctx, const std::string& reason);
  void BuryJob(const JobContext& ctx, const std::string& reason);
  // A delete, release or bury that did not go through.
  void Failed(const JobContext& ctx, const Status& why);
  Duration TouchInterval(Duration ttr) const;

  RunState& run_;
  std::unique_ptr<Client> client_;
  JobKeeper keeper_;
  std::thread thread_;
};

}  // namespace stalk::detail
