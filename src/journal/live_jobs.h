#pragma once

#include <cstdint>

#include "journal/job_record.h"

namespace stalk::journal {

// The owner's view of its live jobs, used by Journal::Compact to move old full records
// forward. Implemented by the queue; called on the owner's thread from inside Compact.
class LiveJobs {
 public:
  virtual ~LiveJobs() = default;
  // If job `id` is alive and its full record is in `segment`, fills *out with the job's
  // current state as a full record (a reserved job as kReady) and returns true; otherwise
  // returns false. The views in *out must stay valid until the next call on this object or
  // until Compact returns.
  virtual bool CurrentRecord(uint64_t id, uint32_t segment, JobRecord* out) = 0;
  // The job's full record now lives at `where`: the owner must store it and pass it to
  // AppendDelete from now on.
  virtual void Moved(uint64_t id, Placement where) = 0;
};

}  // namespace stalk::journal
