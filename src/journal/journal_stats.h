#pragma once

#include <cstdint>

namespace stalk::journal {

// What Journal::Open found, for logs and tests. Every damage is also logged (spdlog).
struct RecoveryReport {
  uint64_t segments = 0;          // segment files read
  uint64_t records = 0;           // good records read (segment start records included)
  uint64_t live_jobs = 0;         // jobs alive at the end of the replay
  uint64_t skipped_records = 0;   // records dropped for a bad checksum or payload, reading went on
  uint64_t lost_bytes = 0;        // bytes that could not be read (skipped records included)
  uint64_t torn_tails = 0;        // segments whose last record was cut short (a crash mid-write)
  uint64_t damaged_segments = 0;  // segments with damage other than a torn tail
  uint64_t missing_segments = 0;  // gaps in the numbering (a segment file vanished)
  uint64_t removed_empty_segments = 0;  // preallocated segments never written, deleted
  int64_t elapsed_ns = 0;               // time spent reading and replaying
};

// Journal::stats(). Names follow beanstalkd's binlog-* stats where there is one.
struct JournalStats {
  uint32_t oldest_segment = 0;        // binlog-oldest-index
  uint32_t current_segment = 0;       // binlog-current-index
  uint64_t records_written = 0;       // binlog-records-written (job, update, delete records)
  uint64_t records_migrated = 0;      // binlog-records-migrated (full records moved by Compact)
  uint64_t segment_bytes = 0;         // binlog-max-size
  uint64_t segments = 0;              // segment files in use, oldest..current
  uint64_t spare_segments = 0;        // preallocated, ready for use
  uint64_t disk_bytes = 0;            // bytes of all segment files, spares included
  uint64_t live_jobs = 0;             // jobs with a full record and no delete
  uint64_t live_bytes = 0;            // their full records' bytes
  uint64_t syncs = 0;                 // fdatasync calls on segments
  uint64_t write_failures = 0;        // failed writes (their completions reported failure)
  uint64_t sync_failures = 0;         // failed fdatasyncs
  uint64_t allocation_failures = 0;   // failed attempts to create a spare segment
  uint64_t records_without_room = 0;  // deletes that found no room (only after a failure)
};

}  // namespace stalk::journal
