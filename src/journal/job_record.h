#pragma once

// The values the journal stores about a job. The journal is independent of src/queue: it
// has its own state enum and plain fields; the queue converts.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "journal/wal_format.h"

namespace stalk::journal {

// A job's state as recorded. A reserved job is recorded as ready: a reservation does not
// survive a restart (as in beanstalkd).
enum class RecState : uint8_t { kReady, kDelayed, kBuried };

// A full record: everything needed to rebuild one job. The views are borrowed: the journal
// copies them before the call that takes the record returns, and the ones it hands out are
// valid only during the callback that receives them.
struct JobRecord {
  uint64_t id = 0;        // never 0
  std::string_view tube;  // 1..200 bytes
  uint32_t pri = 0;
  RecState state = RecState::kReady;
  int64_t delay_ns = 0;  // the last delay set
  int64_t ttr_ns = 0;
  int64_t created_unix_ns = 0;   // wall clock
  int64_t ready_at_unix_ns = 0;  // wall clock; meaningful for kDelayed only
  uint32_t reserves = 0, timeouts = 0, releases = 0, buries = 0, kicks = 0;
  std::string_view body;  // the job's bytes exactly as stored (no trailing CRLF is added)
};

// A short record: a state change of a job already recorded in full. Tube, TTR, creation
// time and body never change, so they are not repeated.
struct JobUpdate {
  uint64_t id = 0;
  uint32_t pri = 0;
  RecState state = RecState::kReady;
  int64_t delay_ns = 0;
  int64_t ready_at_unix_ns = 0;  // kDelayed only
  uint32_t reserves = 0, timeouts = 0, releases = 0, buries = 0, kicks = 0;
};

// Where a job's full record lives. Returned by Journal::AppendPut, given to
// RecoveryVisitor::OnJob and LiveJobs::Moved; the owner keeps it with the job and hands it
// back to Journal::AppendDelete. `segment` is what stats-job shows as `file`.
struct Placement {
  uint32_t segment = 0;
  uint32_t record_bytes = 0;  // size of the full record (constant for a job's life)
};

// Placement::record_bytes of a job whose tube name and body have these sizes. It depends
// on nothing else, so an owner short of memory may keep only Placement::segment with each
// job and recompute the size when it needs the whole Placement.
// REQUIRES: the sizes of a job the journal accepted (tube 1..200 bytes, body under 4 GiB).
constexpr uint32_t FullRecordBytes(size_t tube_bytes, size_t body_bytes) {
  return static_cast<uint32_t>(format::JobRecordBytes(tube_bytes, body_bytes));
}

}  // namespace stalk::journal
