#pragma once

// stalkd's write-ahead log. Format: docs/wal_format.md.
//
// A Journal owns a directory of segment files (DIR/wal.0000000001, ...) and a lock on it.
// Open() replays what is there into a RecoveryVisitor, then the owner (the queue, on its
// event-loop thread) appends a record for every state change of a job and asks to be told
// when what it appended is stored (WhenDurable). A thread of the journal's own writes the
// records of all callers together and, under SyncPolicy::kEveryWrite, makes them durable
// with one fdatasync per batch (group commit); the owner's thread never waits on the disk.
//
// Room: a put reserves room for its job's later delete record, so AppendDelete never fails
// for lack of space (beanstalkd's walresvput); a put or update that cannot get room fails
// at once (the queue answers OUT_OF_MEMORY). Spare segments are created ahead by the disk
// thread, as many as the reserved deletes need plus one.
//
// Disk use: a segment is deleted when no live job has its full record in it and every older
// segment is deleted (oldest first; see docs/wal_format.md "Garbage collection" for why this
// order never brings a deleted job back). Compact() moves live jobs out of the oldest
// segment (rewriting them as full records in the current one) when the files hold more than
// twice the live bytes plus two segments, so endless release-with-delay loops (beanstalkd
// issue #622) do not grow the directory.
//
// Threading: every method must be called on one thread, the owner's (the loop). Completions
// run on that thread, through Options::post. The journal's disk thread touches only its own
// state and the hand-over queue.
//
// Usage:
//   journal::Options o;  o.dir = "/var/lib/stalkd";  o.post = [&](auto f) { asio::post(io, f); };
//   auto j = journal::Journal::Open(o, my_visitor);          // replays into my_visitor
//   if (!j) { log(j.status().ToString()); exit(10); }
//   auto where = (*j)->AppendPut(rec);                        // error -> OUT_OF_MEMORY
//   (*j)->WhenDurable([=](bool ok) { reply(ok ? "INSERTED" : "INTERNAL_ERROR"); });

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "journal/file_system.h"
#include "journal/job_record.h"
#include "journal/journal_options.h"
#include "journal/journal_stats.h"
#include "journal/live_jobs.h"
#include "journal/recovery_visitor.h"

namespace stalk::journal {

class CompletionQueue;
class DiskWriter;

class Journal {
 public:
  // At most this many spare segments are kept ahead beyond what reserved deletes
  // need, added one by one each time a burst of writes outran segment creation.
  static constexpr size_t kMaxBurstSpares = 4;

  // Locks `options.dir` (kLocked if another Journal, in this process or another, holds it),
  // replays every segment into `visitor` (on this thread, before returning), deletes spare
  // segments that were never written, and opens a fresh segment for writing.
  // Errors: kInvalidArgument (bad options), kLocked, kUnsupported (a segment of a newer
  // format version), kIOError / kNoSpace (cannot read, or cannot create the first segment).
  // Damaged records are not errors: they are logged, skipped, and counted in
  // recovery_report().
  static Result<std::unique_ptr<Journal>> Open(const Options& options, RecoveryVisitor& visitor);

  // Writes and syncs everything appended, stops the disk thread, then runs the completions
  // still pending, on the calling thread (which must be the owner's). Destroy the journal
  // before whatever those completions touch.
  ~Journal();

  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Above every job id ever recorded in this directory, including ids of jobs since deleted
  // and collected (each segment records the next id when it starts), so ids are never
  // reused across restarts.
  uint64_t next_job_id() const { return next_job_id_; }
  const RecoveryReport& recovery_report() const { return report_; }

  // Appends a full record for a new job and reserves room for its delete. Returns where the
  // record lands; keep it with the job and pass it to AppendDelete.
  // Errors (nothing is appended): kNoSpace (no room now: the current segment is full and no
  // spare could be created, or the reserved deletes need it), kIOError (the current segment
  // failed and no fresh one is ready yet), kInvalidArgument (id 0, tube not 1..200 bytes,
  // body over max_job_bytes).
  Result<Placement> AppendPut(const JobRecord& record);

  // Appends a short record for a state change of a job already put. Errors as AppendPut
  // (nothing appended). Which changes to log is the owner's choice; beanstalkd logs bury,
  // kick, release with delay and delete, so reserve counts persist only with the next record.
  Status AppendUpdate(const JobUpdate& update);

  // Appends a delete record for a job whose full record is at `where`. Never fails for lack
  // of room (the put reserved it); only if a segment failed and no fresh one could be made
  // is the record lost, and then the next WhenDurable reports failure.
  void AppendDelete(uint64_t id, Placement where);

  // `done(ok)` runs on the owner's thread (via Options::post, never inline) once every
  // record appended before this call is stored as the policy says (kEveryWrite: fdatasync
  // returned; kInterval/kNever: written to the file). Completions run in call order.
  // ok == false if any record appended since the previous WhenDurable could not be written
  // or synced (the owner answers INTERNAL_ERROR); it is logged.
  void WhenDurable(std::function<void(bool ok)> done);

  // Runs `f` on the owner's thread later, never inline, through Options::post. For an owner
  // that batches per turn of its loop: the queue registers one WhenDurable (and calls
  // Compact once) for all the operations of a turn, from a function posted here.
  void Post(std::function<void()> f) const { options_.post(std::move(f)); }

  // Incremental compaction; call after each batch of work. If the segment files hold more
  // than 2 x the live bytes + 2 segments, rewrites up to `max_jobs` live jobs from the
  // oldest segment into the current one (asking `live` for their current state and telling
  // it their new Placement), and deletes the oldest segments once nothing live is in them.
  // To keep up, `max_jobs` should be at least the number of records appended since the
  // last call. Returns the number of jobs moved.
  size_t Compact(LiveJobs& live, size_t max_jobs);

  JournalStats stats() const;

  // Blocks until everything appended so far is written and synced, whatever the policy,
  // and spare segments have been (re)tried. Does not run completions (they are posted as
  // usual). For tests and orderly shutdown only: it waits on the disk.
  void Flush();

 private:
  struct Segment {
    uint32_t index = 0;
    uint64_t file_bytes = 0;  // on-disk size (0 for a gap in the numbering)
    uint64_t live_jobs = 0;   // live jobs whose full record is here
    uint64_t live_bytes = 0;
    std::vector<uint64_t> ids;  // jobs whose full record was written here (some since gone)
    size_t compact_cursor = 0;  // next entry of `ids` to look at
  };

  explicit Journal(const Options& options);

  // Chooses where a record of `bytes` goes such that the room left afterwards still holds
  // `deletes_after` delete records; moves to the next segment if needed. On success the
  // record must be appended at *offset of the current segment.
  Status Place(uint64_t bytes, uint64_t deletes_after, uint64_t* offset);
  void SwitchSegment();
  void Write(uint64_t offset);  // hands scratch_ to the disk writer
  Segment* FindSegment(uint32_t index);
  bool NeedCompaction() const;
  void CollectGarbage();
  void UpdateWantedSpares();
  uint64_t FreshSegmentRoom() const;

  Options options_;
  FileSystem* fs_;
  uint64_t segment_bytes_;
  uint64_t max_record_bytes_;
  std::unique_ptr<FileLock> lock_;
  std::shared_ptr<CompletionQueue> completions_;
  std::unique_ptr<DiskWriter> writer_;

  std::deque<Segment> segments_;  // oldest first; back() is the current segment
  uint64_t cur_offset_ = 0;       // next write offset in the current segment
  uint64_t disk_bytes_ = 0;       // sum of segments_[i].file_bytes
  uint64_t live_jobs_ = 0;        // = delete records reserved
  uint64_t live_bytes_ = 0;
  uint64_t max_id_ = 0;
  uint64_t next_job_id_ = 1;
  uint64_t records_written_ = 0;
  uint64_t records_migrated_ = 0;
  uint64_t records_without_room_ = 0;
  size_t wanted_spares_ = 0;
  // Extra spare segments kept ahead after writes outran segment creation.
  size_t burst_spares_ = 0;
  uint64_t spare_waits_ = 0;
  // How long Place() waits for the disk thread to finish a spare segment before a
  // put is refused. Only when creation is working but behind (a burst).
  static constexpr std::chrono::seconds kSpareWait{5};
  bool fail_next_completion_ = false;
  bool compacting_ = false;
  RecoveryReport report_;
  std::string scratch_;
};

}  // namespace stalk::journal
