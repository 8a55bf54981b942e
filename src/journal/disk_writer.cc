#include "journal/disk_writer.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "journal/record_codec.h"
#include "journal/wal_format.h"

namespace stalk::journal {
namespace {

constexpr uint64_t kFillChunkBytes = 1 << 20;
constexpr auto kAllocationRetry = std::chrono::seconds(1);

}  // namespace

DiskWriter::DiskWriter(Config config) : cfg_(std::move(config)) {}

DiskWriter::~DiskWriter() { Stop(); }

std::string DiskWriter::PathOf(uint32_t index) const {
  return cfg_.dir + "/" + format::SegmentFileName(index);
}

Status DiskWriter::CreateFirstSegment(uint32_t index) {
  next_alloc_index_ = index;
  newest_written_ = index;
  {
    std::lock_guard l(mu_);
    wanted_spares_ = 1;
  }
  AllocationStep(/*to_completion=*/true);
  std::lock_guard l(mu_);
  if (ready_spares_.empty() || ready_spares_.front() != index) {
    return last_alloc_error_.ok() ? Status(StatusCode::kIOError, "cannot create " + PathOf(index))
                                  : last_alloc_error_;
  }
  ready_spares_.pop_front();  // it is the current segment, not a spare
  wanted_spares_ = 0;
  return Status::Ok();
}

Status DiskWriter::CreateSpares(size_t n) {
  {
    std::lock_guard l(mu_);
    wanted_spares_ = ready_spares_.size() + n;
  }
  for (size_t i = 0; i < n; ++i) {
    alloc_retry_at_ = {};
    AllocationStep(/*to_completion=*/true);
    if (alloc_failing_) return last_alloc_error_;
  }
  return Status::Ok();
}

void DiskWriter::Start(uint32_t oldest_on_disk) {
  removed_below_ = remove_below_ = oldest_on_disk;
  last_sync_ = std::chrono::steady_clock::now();
  thread_ = std::thread([this] { Run(); });
  pthread_setname_np(thread_.native_handle(), "stalk-journal");
}

void DiskWriter::Stop() {
  {
    std::lock_guard l(mu_);
    if (stopped_) return;
    stopped_ = stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void DiskWriter::Append(uint32_t segment, uint64_t offset, std::string_view bytes) {
  bool wake;
  {
    std::lock_guard l(mu_);
    Batch& b = pending_;
    const size_t begin = b.bytes.size();
    b.bytes.append(bytes);
    if (!b.spans.empty() && b.spans.back().segment == segment &&
        b.spans.back().offset + (b.spans.back().end - b.spans.back().begin) == offset) {
      b.spans.back().end = b.bytes.size();
    } else {
      b.spans.push_back(Span{segment, offset, begin, b.bytes.size()});
    }
    wake = idle_;
    idle_ = false;
  }
  if (wake) cv_.notify_one();
}

void DiskWriter::AddCompletion(CompletionQueue::Done done, bool failed) {
  bool wake;
  {
    std::lock_guard l(mu_);
    pending_.markers.push_back(Marker{pending_.bytes.size(), failed, std::move(done)});
    wake = idle_;
    idle_ = false;
  }
  if (wake) cv_.notify_one();
}

void DiskWriter::RemoveSegmentsBelow(uint32_t index) {
  {
    std::lock_guard l(mu_);
    pending_.remove_below = std::max(pending_.remove_below, index);
    idle_ = false;
  }
  cv_.notify_one();
}

std::optional<uint32_t> DiskWriter::TakeSpare() {
  bool wake;
  std::optional<uint32_t> index;
  {
    std::lock_guard l(mu_);
    if (ready_spares_.empty()) return std::nullopt;
    index = ready_spares_.front();
    ready_spares_.pop_front();
    wake = idle_;
    idle_ = false;
  }
  if (wake) cv_.notify_one();  // to create the next spare
  return index;
}

bool DiskWriter::WaitForSpare(size_t have, std::chrono::steady_clock::time_point deadline) {
  std::unique_lock l(mu_);
  if (ready_spares_.size() < wanted_spares_ || ready_spares_.size() <= have) {
    wanted_spares_ = std::max(wanted_spares_, have + 1);
    idle_ = false;
    cv_.notify_one();
  }
  spare_cv_.wait_until(l, deadline, [&] {
    return ready_spares_.size() > have || alloc_failing_shared_.load() || stopped_;
  });
  return ready_spares_.size() > have;
}

size_t DiskWriter::ready_spares() const {
  std::lock_guard l(mu_);
  return ready_spares_.size();
}

void DiskWriter::SetWantedSpares(size_t n) {
  bool wake;
  {
    std::lock_guard l(mu_);
    wanted_spares_ = n;
    wake = idle_ && ready_spares_.size() < n;
    if (wake) idle_ = false;
  }
  if (wake) cv_.notify_one();
}

void DiskWriter::Flush() {
  std::unique_lock l(mu_);
  if (stopped_) return;
  const uint64_t gen = ++flush_requested_;
  retry_allocation_ = true;
  idle_ = false;
  cv_.notify_one();
  flush_cv_.wait(l, [&] { return flush_done_ >= gen || stopped_; });
}

DiskWriter::Counters DiskWriter::counters() const {
  return Counters{syncs_.load(), write_failures_.load(), sync_failures_.load(),
                  allocation_failures_.load()};
}

void DiskWriter::Run() {
  Batch batch;
  for (;;) {
    uint64_t flush_gen;
    bool flushing, stopping;
    {
      std::unique_lock l(mu_);
      for (;;) {
        if (retry_allocation_) {
          retry_allocation_ = false;
          alloc_retry_at_ = {};
        }
        if (stop_ || !pending_.empty() || flush_requested_ != flush_done_) break;
        const auto now = std::chrono::steady_clock::now();
        const bool alloc_wanted = alloc_.has_value() || ready_spares_.size() < wanted_spares_;
        if (alloc_wanted && now >= alloc_retry_at_) break;
        const bool sync_wanted = any_dirty_ && cfg_.sync == SyncPolicy::kInterval;
        if (sync_wanted && now >= last_sync_ + cfg_.sync_interval) break;
        SteadyTime deadline = SteadyTime::max();
        if (sync_wanted) deadline = std::min(deadline, last_sync_ + cfg_.sync_interval);
        if (alloc_wanted) deadline = std::min(deadline, alloc_retry_at_);
        idle_ = true;
        if (deadline == SteadyTime::max()) {
          cv_.wait(l);
        } else {
          cv_.wait_until(l, deadline);
        }
        idle_ = false;
      }
      std::swap(batch, pending_);
      flush_gen = flush_requested_;
      flushing = flush_requested_ != flush_done_;
      stopping = stop_;
    }

    if (!batch.empty()) Process(batch);
    batch.Clear();

    if (stopping || flushing) {
      if (SyncDirty()) RemoveSegments();
    } else if (any_dirty_ && cfg_.sync == SyncPolicy::kInterval &&
               std::chrono::steady_clock::now() >= last_sync_ + cfg_.sync_interval) {
      SyncDirty();
    }
    CloseFinished();
    if (!stopping) AllocationStep(/*to_completion=*/flushing);

    if (flushing || stopping) {
      std::lock_guard l(mu_);
      flush_done_ = std::max(flush_done_, flush_gen);
      if (stopping && pending_.empty()) {
        flush_cv_.notify_all();
        break;
      }
    }
    if (flushing) flush_cv_.notify_all();
  }
}

void DiskWriter::Process(Batch& batch) {
  // Byte ranges of the batch that did not make it, in order.
  std::vector<std::pair<size_t, size_t>> failed;
  for (const Span& s : batch.spans) {
    auto it = open_.find(s.segment);
    if (it == open_.end() || it->second.broken) {
      if (it == open_.end()) {
        spdlog::error("journal {}: write to segment {} which is not open; records lost", cfg_.dir,
                      s.segment);
      }
      failed.emplace_back(s.begin, s.end);
      continue;
    }
    Status st = it->second.file->Write(
        s.offset, std::string_view(batch.bytes.data() + s.begin, s.end - s.begin));
    if (!st.ok()) {
      ++write_failures_;
      MarkBroken(s.segment, st, "write");
      failed.emplace_back(s.begin, s.end);
      continue;
    }
    it->second.dirty = true;
    any_dirty_ = true;
    newest_written_ = std::max(newest_written_, s.segment);
  }

  if (cfg_.sync == SyncPolicy::kEveryWrite && any_dirty_) {
    // One fdatasync per segment written, for every record in the batch (group commit).
    std::vector<uint32_t> failed_segments;
    SyncDirty(&failed_segments);
    for (uint32_t index : failed_segments) {
      for (const Span& s : batch.spans) {
        if (s.segment == index) failed.emplace_back(s.begin, s.end);
      }
    }
  }

  // Resolve markers: a marker covers the bytes queued since the previous marker, which may
  // have been in an earlier batch (failed_since_marker_).
  std::sort(failed.begin(), failed.end());
  size_t prev = 0;
  for (Marker& m : batch.markers) {
    bool ok = !m.failed && !failed_since_marker_;
    failed_since_marker_ = false;
    for (const auto& [b, e] : failed) {
      if (b >= m.pos) break;
      if (e > prev) {
        ok = false;
        break;
      }
    }
    prev = m.pos;
    resolved_.emplace_back(std::move(m.done), ok);
  }
  for (const auto& [b, e] : failed) {
    if (e > prev) failed_since_marker_ = true;
  }
  cfg_.completions->Push(&resolved_);

  if (batch.remove_below > remove_below_) remove_below_ = batch.remove_below;
  if (remove_below_ > removed_below_) {
    // What made these segments dead (deletes, records moved forward) must be durable before
    // they go, whatever the policy.
    if (SyncDirty()) RemoveSegments();
  }
}

bool DiskWriter::SyncDirty(std::vector<uint32_t>* failed_segments) {
  bool ok = true;
  for (auto& [index, seg] : open_) {
    if (!seg.dirty) continue;
    Status st = seg.file->Sync();
    seg.dirty = false;
    if (st.ok()) {
      ++syncs_;
      continue;
    }
    ok = false;
    ++sync_failures_;
    MarkBroken(index, st, "fdatasync");
    if (failed_segments != nullptr) failed_segments->push_back(index);
  }
  any_dirty_ = false;
  last_sync_ = std::chrono::steady_clock::now();
  return ok;
}

void DiskWriter::MarkBroken(uint32_t segment, const Status& why, const char* what) {
  auto it = open_.find(segment);
  if (it != open_.end()) it->second.broken = true;
  uint32_t cur = broken_max_.load();
  while (cur < segment && !broken_max_.compare_exchange_weak(cur, segment)) {
  }
  spdlog::error(
      "journal {}: {} of segment {} FAILED: {}. Records queued for it from this point are "
      "reported as failed (their clients get OUT_OF_MEMORY for a put, INTERNAL_ERROR "
      "otherwise) and nothing more is written to it; the journal moves on to a new segment.{}",
      cfg_.dir, what, segment, why.ToString(),
      cfg_.sync == SyncPolicy::kEveryWrite
          ? ""
          : " Records already acknowledged since the last good fdatasync may not survive an OS "
            "crash.");
}

void DiskWriter::RemoveSegments() {
  if (remove_below_ <= removed_below_) return;
  // After a failed write or sync, a record that made an old segment dead (a job
  // moved forward by compaction, a delete) may be lost, and the old segment may
  // hold the only durable copy of a live job. Keep every segment until a restart
  // replays them all: disk use grows, nothing acknowledged is lost (a lost delete
  // can bring a job back: at-least-once).
  if (broken_max_.load(std::memory_order_acquire) != 0) {
    if (!removal_stopped_logged_) {
      removal_stopped_logged_ = true;
      spdlog::error(
          "journal {}: a segment failed; old segments are no longer removed until the next "
          "restart, so that no job loses its only durable record",
          cfg_.dir);
    }
    return;
  }
  for (uint32_t index = removed_below_; index < remove_below_; ++index) {
    open_.erase(index);
    Status st = cfg_.fs->Remove(PathOf(index));
    if (!st.ok() && st.code() != StatusCode::kNotFound) {
      spdlog::error("journal {}: cannot remove segment {}: {}", cfg_.dir, index, st.ToString());
    }
    // One directory sync per removal, in order: a crash can only leave a prefix of the old
    // segments removed, never a newer one gone with an older one still there (which could
    // bring back a job whose delete record was in the newer one).
    Status ds = cfg_.fs->SyncDir(cfg_.dir);
    if (!ds.ok()) {
      spdlog::error("journal {}: directory sync failed: {}; stopping segment removal here",
                    cfg_.dir, ds.ToString());
      removed_below_ = index + 1;
      return;
    }
  }
  removed_below_ = remove_below_;
  // Space came back: try again at once if spare creation was failing.
  alloc_retry_at_ = {};
}

void DiskWriter::CloseFinished() {
  for (auto it = open_.begin(); it != open_.end();) {
    if (it->first >= newest_written_) break;  // the current segment and the spares
    OpenSegment& seg = it->second;
    if (seg.dirty) {
      // Once per segment, whatever the policy: a finished segment is durable before it is
      // closed, so removals (which sync only open segments) never outrun its records.
      Status st = seg.file->Sync();
      seg.dirty = false;
      if (st.ok()) {
        ++syncs_;
      } else {
        ++sync_failures_;
        MarkBroken(it->first, st, "fdatasync");
      }
    }
    it = open_.erase(it);
  }
}

bool DiskWriter::AllocationStep(bool to_completion) {
  for (;;) {
    if (!alloc_) {
      {
        std::lock_guard l(mu_);
        if (ready_spares_.size() >= wanted_spares_) return false;
      }
      if (std::chrono::steady_clock::now() < alloc_retry_at_) return false;
      const uint32_t index = next_alloc_index_;
      auto file = cfg_.fs->CreateNew(PathOf(index));
      if (!file) {
        AllocationFailed(file.status());
        return false;
      }
      std::string header;
      AppendFileHeader(index, &header);
      Status st = (*file)->Allocate(cfg_.segment_bytes);
      if (st.ok()) st = (*file)->Write(0, header);
      alloc_.emplace();
      alloc_->index = index;
      alloc_->file = std::move(*file);
      alloc_->filled = header.size();
      if (!st.ok()) {
        AllocationFailed(st);
        return false;
      }
    }
    if (cfg_.zero_fill && alloc_->filled < cfg_.segment_bytes) {
      const uint64_t n = std::min(kFillChunkBytes, cfg_.segment_bytes - alloc_->filled);
      if (zeros_.size() < n) zeros_.assign(n, '\0');
      Status st = alloc_->file->Write(alloc_->filled, std::string_view(zeros_.data(), n));
      if (!st.ok()) {
        AllocationFailed(st);
        return false;
      }
      alloc_->filled += n;
      if (!to_completion && alloc_->filled < cfg_.segment_bytes) return true;
      continue;
    }
    Status st = alloc_->file->Sync();
    if (st.ok()) st = cfg_.fs->SyncDir(cfg_.dir);
    if (!st.ok()) {
      AllocationFailed(st);
      return false;
    }
    const uint32_t index = alloc_->index;
    open_[index].file = std::move(alloc_->file);
    alloc_.reset();
    ++next_alloc_index_;
    if (alloc_failing_) {
      spdlog::warn("journal {}: segment creation works again (segment {})", cfg_.dir, index);
      alloc_failing_ = false;
    }
    {
      std::lock_guard l(mu_);
      ready_spares_.push_back(index);
      alloc_failing_shared_.store(false, std::memory_order_release);
    }
    spare_cv_.notify_all();
    if (!to_completion) return true;  // look at queued writes before the next spare
  }
}

void DiskWriter::AllocationFailed(const Status& why) {
  if (alloc_) {
    const uint32_t index = alloc_->index;
    alloc_.reset();  // close before removing
    Status st = cfg_.fs->Remove(PathOf(index));
    (void)st;  // best effort: it holds nothing
  }
  last_alloc_error_ = why;
  ++allocation_failures_;
  if (!alloc_failing_) {
    spdlog::error(
        "journal {}: cannot create segment {}: {}. Puts are refused (OUT_OF_MEMORY) "
        "once the current segment is full; deletes still have their reserved room. "
        "Retrying every second.",
        cfg_.dir, PathOf(next_alloc_index_), why.ToString());
  }
  alloc_failing_ = true;
  alloc_retry_at_ = std::chrono::steady_clock::now() + kAllocationRetry;
  {
    std::lock_guard l(mu_);
    alloc_failing_shared_.store(true, std::memory_order_release);
  }
  spare_cv_.notify_all();
}

}  // namespace stalk::journal
