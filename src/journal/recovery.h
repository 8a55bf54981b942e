#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "journal/file_system.h"
#include "journal/journal_stats.h"
#include "journal/recovery_visitor.h"

namespace stalk::journal {

// One segment as recovery left it.
struct RecoveredSegment {
  uint32_t index = 0;
  uint64_t file_bytes = 0;
  uint64_t records = 0;  // good records in it
  // Holds nothing: no header (allocated, never written) or a header and no records and no
  // damage (a spare segment never used). Safe to delete.
  bool unused = false;
  uint64_t live_jobs = 0;  // live jobs whose latest full record is here
  uint64_t live_bytes = 0;
  std::vector<uint64_t> live_ids;
};

struct RecoveryResult {
  std::vector<RecoveredSegment> segments;  // ascending index, as found on disk
  uint64_t next_job_id = 1;            // above every id ever recorded (records and segment floors)
  uint64_t max_live_record_bytes = 0;  // the largest full record of a live job
  RecoveryReport report;
};

// Reads every segment of a journal directory in order and replays it into a visitor
// (docs/wal_format.md "Recovery"). Damage is logged and skipped as the framing allows, never
// fatal; only an I/O error or a segment of a newer format version fails the run. Not
// thread-safe; used once by Journal::Open.
class Recovery {
 public:
  // `max_record_bytes`: the largest full record this configuration writes; damage at the
  // end of a segment no larger than that is called a torn tail (a crash mid-write).
  Recovery(FileSystem* fs, std::string dir, uint64_t max_record_bytes);

  Result<RecoveryResult> Run(RecoveryVisitor& visitor);

 private:
  FileSystem* fs_;
  std::string dir_;
  uint64_t max_record_bytes_;
};

}  // namespace stalk::journal
