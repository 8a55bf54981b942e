#include "journal/journal.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "journal/completion_queue.h"
#include "journal/disk_writer.h"
#include "journal/record_codec.h"
#include "journal/recovery.h"
#include "journal/wal_format.h"

namespace stalk::journal {
namespace {

using format::kDeleteRecordBytes;

// Compaction starts when the segment files hold more than this many times the live bytes
// plus kCompactSlackSegments segments.
constexpr uint64_t kCompactRatio = 2;
constexpr uint64_t kCompactSlackSegments = 2;
// Compact() looks at no more than this many stale entries per job it may move.
constexpr size_t kProbesPerMove = 64;

}  // namespace

Journal::Journal(const Options& options)
    : options_(options),
      fs_(options.fs != nullptr ? options.fs : FileSystem::Default()),
      segment_bytes_(options.segment_bytes),
      max_record_bytes_(format::JobRecordBytes(format::kMaxTubeBytes, options.max_job_bytes)) {}

Result<std::unique_ptr<Journal>> Journal::Open(const Options& options, RecoveryVisitor& visitor) {
  if (options.dir.empty()) return Status(StatusCode::kInvalidArgument, "journal: no directory");
  if (!options.post) return Status(StatusCode::kInvalidArgument, "journal: no post function");
  if (options.max_job_bytes > UINT32_MAX - 4096) {
    return Status(StatusCode::kInvalidArgument, "journal: max_job_bytes too large");
  }
  std::unique_ptr<Journal> j(new Journal(options));

  if (Status st = j->fs_->CreateDir(options.dir); !st.ok()) return st;
  auto lock = j->fs_->Lock(options.dir + "/" + std::string(format::kLockFileName));
  if (!lock) return lock.status();
  j->lock_ = std::move(*lock);

  Recovery recovery(j->fs_, options.dir, j->max_record_bytes_);
  auto recovered = recovery.Run(visitor);
  if (!recovered) return recovered.status();
  RecoveryResult& r = *recovered;
  j->report_ = r.report;

  // A segment must hold its header, its start record, the largest full record (a new job of
  // max_job_bytes, or a recovered one written under a larger limit, which compaction may
  // have to move) and a delete.
  const uint64_t largest = std::max(j->max_record_bytes_, r.max_live_record_bytes);
  const uint64_t min_segment =
      format::kFileHeaderBytes + format::kSegmentStartRecordBytes + largest + kDeleteRecordBytes;
  if (j->segment_bytes_ < min_segment) {
    spdlog::warn("journal {}: segment size {} cannot hold a job of {} bytes; using {}", options.dir,
                 j->segment_bytes_, largest, min_segment);
    j->segment_bytes_ = min_segment;
  }
  j->next_job_id_ = r.next_job_id;
  j->max_id_ = r.next_job_id - 1;

  // Spares created ahead by the last run and never used hold nothing: delete them, so the
  // numbering goes on without a gap.
  bool removed = false;
  while (!r.segments.empty() && r.segments.back().unused) {
    const std::string path = options.dir + "/" + format::SegmentFileName(r.segments.back().index);
    if (Status st = j->fs_->Remove(path); !st.ok()) {
      spdlog::warn("journal {}: cannot remove unused segment: {}", options.dir, st.ToString());
      break;
    }
    r.segments.pop_back();
    ++j->report_.removed_empty_segments;
    removed = true;
  }
  if (removed) {
    if (Status st = j->fs_->SyncDir(options.dir); !st.ok()) return st;
  }

  for (RecoveredSegment& rs : r.segments) {
    // Fill gaps in the numbering so that segments_[i].index == front().index + i.
    while (!j->segments_.empty() && j->segments_.back().index + 1 < rs.index) {
      Segment gap;
      gap.index = j->segments_.back().index + 1;
      j->segments_.push_back(std::move(gap));
    }
    Segment s;
    s.index = rs.index;
    s.file_bytes = rs.file_bytes;
    s.live_jobs = rs.live_jobs;
    s.live_bytes = rs.live_bytes;
    s.ids = std::move(rs.live_ids);
    j->disk_bytes_ += s.file_bytes;
    j->live_jobs_ += s.live_jobs;
    j->live_bytes_ += s.live_bytes;
    j->segments_.push_back(std::move(s));
  }
  const uint32_t oldest_on_disk = j->segments_.empty() ? 1 : j->segments_.front().index;
  const uint32_t first = j->segments_.empty() ? 1 : j->segments_.back().index + 1;

  j->completions_ = std::make_shared<CompletionQueue>(options.post);
  DiskWriter::Config wc;
  wc.fs = j->fs_;
  wc.dir = options.dir;
  wc.segment_bytes = j->segment_bytes_;
  wc.sync = options.sync;
  wc.sync_interval = options.sync_interval;
  wc.zero_fill = options.zero_fill_segments;
  wc.completions = j->completions_;
  j->writer_ = std::make_unique<DiskWriter>(std::move(wc));
  if (Status st = j->writer_->CreateFirstSegment(first); !st.ok()) return st;

  Segment cur;
  cur.index = first;
  cur.file_bytes = j->segment_bytes_;
  j->disk_bytes_ += cur.file_bytes;
  j->segments_.push_back(std::move(cur));
  j->cur_offset_ = format::kFileHeaderBytes;
  j->scratch_.clear();
  AppendSegmentStartRecord(j->max_id_ + 1, &j->scratch_);
  j->Write(j->cur_offset_);
  j->cur_offset_ += format::kSegmentStartRecordBytes;

  // Make room for the recovered jobs' deletes now, so the journal starts able to take puts.
  j->UpdateWantedSpares();
  if (Status st = j->writer_->CreateSpares(j->wanted_spares_); !st.ok()) {
    spdlog::error("journal {}: cannot create spare segments at start: {}", options.dir,
                  st.ToString());
  }
  j->writer_->Start(oldest_on_disk);
  j->CollectGarbage();  // segments left with nothing live (e.g. all jobs deleted)

  const RecoveryReport& rep = j->report_;
  spdlog::info(
      "journal {}: recovered {} live jobs from {} records in {} segments in {:.3f} s; "
      "writing segment {}",
      options.dir, rep.live_jobs, rep.records, rep.segments,
      static_cast<double>(rep.elapsed_ns) / 1e9, first);
  return j;
}

Journal::~Journal() {
  if (writer_) writer_->Stop();
  if (completions_) completions_->Drain();
}

uint64_t Journal::FreshSegmentRoom() const {
  return segment_bytes_ - format::kFileHeaderBytes - format::kSegmentStartRecordBytes;
}

Status Journal::Place(uint64_t bytes, uint64_t deletes_after, uint64_t* offset) {
  const auto wait_until = std::chrono::steady_clock::now() + kSpareWait;
  bool waited = false;
  bool next = false;
  for (;;) {
    const Segment& cur = segments_.back();
    const bool broken = writer_->broken(cur.index);
    const uint64_t room = broken ? 0 : segment_bytes_ - cur_offset_;
    const uint64_t spares = writer_->ready_spares();
    const uint64_t deletes_per_spare = FreshSegmentRoom() / kDeleteRecordBytes;
    next = bytes > room;
    if (next && bytes > FreshSegmentRoom()) {
      return Status(StatusCode::kInvalidArgument, "journal: record larger than a segment");
    }
    const uint64_t room_after = next ? (spares > 0 ? FreshSegmentRoom() - bytes : 0) : room - bytes;
    const uint64_t spares_after = next ? (spares > 0 ? spares - 1 : 0) : spares;
    const bool fits = (!next || spares > 0) &&
                      room_after / kDeleteRecordBytes + spares_after * deletes_per_spare >=
                          deletes_after;
    if (fits) break;
    // Short of ready segments. If the disk thread is still able to create them,
    // this is a burst that outran it: wait for the next one rather than refuse a
    // put the disk has room for, and keep more spares ahead from now on. Only a
    // disk that refuses (allocation failing) makes this a refusal.
    if (!writer_->allocation_failing() && std::chrono::steady_clock::now() < wait_until &&
        writer_->WaitForSpare(spares, wait_until)) {
      waited = true;
      continue;
    }
    if (next && spares == 0) {
      return broken ? Status(StatusCode::kIOError,
                             "journal: the current segment failed and no new one is ready")
                    : Status(StatusCode::kNoSpace, "journal: no room (no spare segment)");
    }
    return Status(StatusCode::kNoSpace, "journal: no room beyond what pending deletes need");
  }
  if (waited && burst_spares_ < kMaxBurstSpares) {
    ++burst_spares_;
    ++spare_waits_;
    spdlog::info("journal {}: writes outran segment creation; keeping {} more spare(s) ahead",
                 options_.dir, burst_spares_);
    UpdateWantedSpares();
  }
  if (next) SwitchSegment();
  *offset = cur_offset_;
  cur_offset_ += bytes;
  return Status::Ok();
}

void Journal::SwitchSegment() {
  std::optional<uint32_t> index = writer_->TakeSpare();
  // Place() saw a ready spare and only this thread takes them.
  while (segments_.back().index + 1 < *index) {
    Segment gap;
    gap.index = segments_.back().index + 1;
    segments_.push_back(std::move(gap));
  }
  Segment s;
  s.index = *index;
  s.file_bytes = segment_bytes_;
  disk_bytes_ += s.file_bytes;
  segments_.push_back(std::move(s));
  cur_offset_ = format::kFileHeaderBytes;
  std::string saved;
  saved.swap(scratch_);  // the caller may have a record encoded already
  AppendSegmentStartRecord(max_id_ + 1, &scratch_);
  Write(cur_offset_);
  cur_offset_ += format::kSegmentStartRecordBytes;
  saved.swap(scratch_);
}

void Journal::Write(uint64_t offset) { writer_->Append(segments_.back().index, offset, scratch_); }

Journal::Segment* Journal::FindSegment(uint32_t index) {
  if (segments_.empty() || index < segments_.front().index || index > segments_.back().index) {
    return nullptr;
  }
  return &segments_[index - segments_.front().index];
}

Result<Placement> Journal::AppendPut(const JobRecord& r) {
  if (r.id == 0) return Status(StatusCode::kInvalidArgument, "journal: job id 0");
  if (r.tube.empty() || r.tube.size() > format::kMaxTubeBytes) {
    return Status(StatusCode::kInvalidArgument, "journal: tube name must be 1..200 bytes");
  }
  if (r.body.size() > options_.max_job_bytes) {
    return Status(StatusCode::kInvalidArgument, "journal: body larger than max_job_bytes");
  }
  const uint64_t bytes = format::JobRecordBytes(r.tube.size(), r.body.size());
  uint64_t offset;
  if (Status st = Place(bytes, live_jobs_ + 1, &offset); !st.ok()) return st;
  scratch_.clear();
  AppendJobRecord(r, &scratch_);
  Write(offset);
  Segment& cur = segments_.back();
  ++cur.live_jobs;
  cur.live_bytes += bytes;
  cur.ids.push_back(r.id);
  ++live_jobs_;
  live_bytes_ += bytes;
  max_id_ = std::max(max_id_, r.id);
  ++records_written_;
  UpdateWantedSpares();
  return Placement{cur.index, static_cast<uint32_t>(bytes)};
}

Status Journal::AppendUpdate(const JobUpdate& u) {
  if (u.id == 0) return Status(StatusCode::kInvalidArgument, "journal: job id 0");
  uint64_t offset;
  if (Status st = Place(format::kUpdateRecordBytes, live_jobs_, &offset); !st.ok()) return st;
  scratch_.clear();
  AppendUpdateRecord(u, &scratch_);
  Write(offset);
  ++records_written_;
  UpdateWantedSpares();
  return Status::Ok();
}

void Journal::AppendDelete(uint64_t id, Placement where) {
  uint64_t offset;
  Status st = Place(kDeleteRecordBytes, live_jobs_ > 0 ? live_jobs_ - 1 : 0, &offset);
  if (st.ok()) {
    scratch_.clear();
    AppendDeleteRecord(id, &scratch_);
    Write(offset);
    ++records_written_;
  } else {
    // Only after a failed segment with no fresh one to go to (or a start on a full disk).
    ++records_without_room_;
    fail_next_completion_ = true;
    spdlog::error("journal {}: no room to record the delete of job {}: {}", options_.dir, id,
                  st.ToString());
  }
  if (Segment* s = FindSegment(where.segment); s != nullptr && s->live_jobs > 0) {
    --s->live_jobs;
    s->live_bytes -= std::min<uint64_t>(s->live_bytes, where.record_bytes);
    --live_jobs_;
    live_bytes_ -= std::min<uint64_t>(live_bytes_, where.record_bytes);
  }
  CollectGarbage();
  UpdateWantedSpares();
}

void Journal::WhenDurable(std::function<void(bool ok)> done) {
  writer_->AddCompletion(std::move(done), fail_next_completion_);
  fail_next_completion_ = false;
}

bool Journal::NeedCompaction() const {
  if (segments_.size() < 2) return false;
  const uint64_t live = live_bytes_ + live_jobs_ * kDeleteRecordBytes;
  return disk_bytes_ > kCompactRatio * live + kCompactSlackSegments * segment_bytes_;
}

size_t Journal::Compact(LiveJobs& live, size_t max_jobs) {
  size_t moved = 0;
  size_t probes = 0;
  const size_t max_probes = std::max<size_t>(1, max_jobs) * kProbesPerMove;
  while (moved < max_jobs && probes < max_probes && segments_.size() >= 2) {
    if (!compacting_ && !NeedCompaction()) break;
    compacting_ = true;  // once started on the oldest segment, empty it
    Segment& head = segments_.front();
    if (head.live_jobs == 0 || head.compact_cursor >= head.ids.size()) {
      if (head.live_jobs > 0) {
        // The owner says none of them is alive here: its word wins, or the segment would
        // stay forever. A missed AppendDelete, most likely.
        spdlog::error(
            "journal {}: segment {} still counts {} live jobs the owner does not "
            "know there; releasing it",
            options_.dir, head.index, head.live_jobs);
        live_jobs_ -= std::min(live_jobs_, head.live_jobs);
        live_bytes_ -= std::min(live_bytes_, head.live_bytes);
        head.live_jobs = head.live_bytes = 0;
      }
      compacting_ = false;
      CollectGarbage();
      continue;
    }
    ++probes;
    const uint64_t id = head.ids[head.compact_cursor++];
    JobRecord rec;
    if (!live.CurrentRecord(id, head.index, &rec)) continue;
    rec.id = id;
    const uint64_t bytes = format::JobRecordBytes(rec.tube.size(), rec.body.size());
    uint64_t offset;
    if (!Place(bytes, live_jobs_, &offset).ok()) {
      --head.compact_cursor;  // try it again next time
      break;
    }
    scratch_.clear();
    AppendJobRecord(rec, &scratch_);
    Write(offset);
    --head.live_jobs;
    head.live_bytes -= std::min(head.live_bytes, bytes);
    Segment& cur = segments_.back();
    ++cur.live_jobs;
    cur.live_bytes += bytes;
    cur.ids.push_back(id);
    ++records_written_;
    ++records_migrated_;
    ++moved;
    live.Moved(id, Placement{cur.index, static_cast<uint32_t>(bytes)});
  }
  if (!segments_.empty() && segments_.front().live_jobs == 0) {
    compacting_ = false;
    CollectGarbage();
  }
  UpdateWantedSpares();
  return moved;
}

void Journal::CollectGarbage() {
  uint32_t below = 0;
  while (segments_.size() > 1 && segments_.front().live_jobs == 0) {
    disk_bytes_ -= segments_.front().file_bytes;
    segments_.pop_front();
    below = segments_.front().index;
    compacting_ = false;
  }
  if (below != 0) writer_->RemoveSegmentsBelow(below);
}

void Journal::UpdateWantedSpares() {
  const Segment& cur = segments_.back();
  const uint64_t room = writer_->broken(cur.index) ? 0 : segment_bytes_ - cur_offset_;
  const uint64_t need = live_jobs_ + 1;  // every reserved delete, and the next put's
  const uint64_t here = room / kDeleteRecordBytes;
  const uint64_t per_spare = FreshSegmentRoom() / kDeleteRecordBytes;
  const uint64_t extra = need > here ? (need - here + per_spare - 1) / per_spare : 0;
  // Always one to move into, plus what bursts have shown to be needed.
  const size_t wanted = static_cast<size_t>(1 + extra + burst_spares_);
  if (wanted != wanted_spares_) {
    wanted_spares_ = wanted;
    writer_->SetWantedSpares(wanted);
  }
}

JournalStats Journal::stats() const {
  JournalStats s;
  s.oldest_segment = segments_.front().index;
  s.current_segment = segments_.back().index;
  s.records_written = records_written_;
  s.records_migrated = records_migrated_;
  s.segment_bytes = segment_bytes_;
  s.segments = segments_.size();
  s.spare_segments = writer_->ready_spares();
  s.disk_bytes = disk_bytes_ + s.spare_segments * segment_bytes_;
  s.live_jobs = live_jobs_;
  s.live_bytes = live_bytes_;
  DiskWriter::Counters c = writer_->counters();
  s.syncs = c.syncs;
  s.write_failures = c.write_failures;
  s.sync_failures = c.sync_failures;
  s.allocation_failures = c.allocation_failures;
  s.records_without_room = records_without_room_;
  return s;
}

void Journal::Flush() { writer_->Flush(); }

}  // namespace stalk::journal
