#pragma once

#include <cstdint>

#include "journal/job_record.h"

namespace stalk::journal {

// Receives the journal's records during Journal::Open, oldest first. Replaying them in
// order rebuilds every live job. Called on the thread that calls Open; the views inside a
// record are valid only during the call.
//
// The journal filters for the owner: OnUpdate and OnDelete come only for ids that have had
// an OnJob and no OnDelete since, so the owner can assume the id is known.
class RecoveryVisitor {
 public:
  virtual ~RecoveryVisitor() = default;
  // Creates the job, or replaces it entirely if the id is already known (a later full
  // record, written by compaction, supersedes the earlier one). The counters (reserves,
  // buries, ...) are the recorded values: restore them as they are, never count the replay
  // itself (beanstalkd counts a buried job's replay as another bury).
  virtual void OnJob(const JobRecord& record, Placement where) = 0;
  // Applies a state change to a known job.
  virtual void OnUpdate(const JobUpdate& update) = 0;
  // Forgets a known job.
  virtual void OnDelete(uint64_t id) = 0;
};

}  // namespace stalk::journal
