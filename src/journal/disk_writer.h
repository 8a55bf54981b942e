#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/result.h"
#include "journal/completion_queue.h"
#include "journal/file_system.h"
#include "journal/journal_options.h"

namespace stalk::journal {

// The journal's disk thread: group commit, sync policy, spare segments, segment removal.
//
// The owner's thread (through Journal) hands it an ordered stream of writes (bytes at a
// segment and offset already chosen by the Journal), completion markers and removal
// requests. The disk thread takes everything queued at once as a batch, writes it
// (one pwrite per contiguous run), then — under kEveryWrite — fdatasyncs each segment
// written, once for the whole batch; resolves the batch's markers in order (ok unless a
// record between the previous marker and this one failed) and sends them back through the
// CompletionQueue. Under kInterval it syncs at most every interval, on a timer when idle.
//
// Failures are not retried and forgotten: a failed write or fdatasync marks the segment
// broken, every record in it from there on is reported failed, it is logged, and the
// Journal moves to a fresh segment. Spares are created ahead, to the number the Journal
// asks for; a failed creation is logged and retried (every second, at once after segments
// are removed, and on Flush).
//
// Thread-safety: the public methods are thread-safe (one mutex); the Journal calls them
// from its owner's thread. Everything marked "disk thread" is touched only by the thread
// (or before Start()).
class DiskWriter {
 public:
  struct Config {
    FileSystem* fs = nullptr;
    std::string dir;
    uint64_t segment_bytes = 0;
    SyncPolicy sync = SyncPolicy::kInterval;
    std::chrono::milliseconds sync_interval{50};
    bool zero_fill = true;
    std::shared_ptr<CompletionQueue> completions;
  };

  struct Counters {
    uint64_t syncs = 0;
    uint64_t write_failures = 0;
    uint64_t sync_failures = 0;
    uint64_t allocation_failures = 0;
  };

  explicit DiskWriter(Config config);
  ~DiskWriter();  // Stop()

  DiskWriter(const DiskWriter&) = delete;
  DiskWriter& operator=(const DiskWriter&) = delete;

  // Before Start(): creates segment `index` now (header, preallocation, sync), to be written
  // first. Later spares get the following indexes.
  Status CreateFirstSegment(uint32_t index);
  // Before Start(): creates up to `n` spare segments now; returns the first failure.
  Status CreateSpares(size_t n);
  // Starts the thread. Segments below `oldest_on_disk` are already gone.
  void Start(uint32_t oldest_on_disk);
  // Writes and syncs everything queued, then stops the thread. Idempotent.
  void Stop();

  // Queues `bytes` for writing at `offset` of `segment`, after everything queued before.
  void Append(uint32_t segment, uint64_t offset, std::string_view bytes);
  // Queues a completion for everything queued since the previous one; `failed` forces ok=false.
  void AddCompletion(CompletionQueue::Done done, bool failed);
  // Deletes segment files below `index` once everything queued so far is durable.
  void RemoveSegmentsBelow(uint32_t index);
  // Hands over the oldest ready spare segment (the next index), if any.
  std::optional<uint32_t> TakeSpare();
  size_t ready_spares() const;
  // Blocks the caller until more than `have` spares are ready, creation fails, or
  // `deadline` passes; true if a spare is ready. Used only when a burst of writes
  // has outrun segment creation (the alternative is refusing a put for no reason).
  bool WaitForSpare(size_t have, std::chrono::steady_clock::time_point deadline);
  // Whether creating the next segment is currently failing (disk full, ...).
  bool allocation_failing() const { return alloc_failing_shared_.load(std::memory_order_acquire); }
  // How many ready spares to keep.
  void SetWantedSpares(size_t n);
  // Whether writes to `segment` have failed (it takes no more records).
  bool broken(uint32_t segment) const {
    return broken_max_.load(std::memory_order_acquire) >= segment && segment != 0;
  }
  // Blocks until everything queued before the call is written and synced (whatever the
  // policy) and one attempt to create the wanted spares has finished. For tests and
  // shutdown; never on the owner's hot path.
  void Flush();

  Counters counters() const;

 private:
  struct Span {
    uint32_t segment;
    uint64_t offset;
    size_t begin, end;  // in Batch::bytes
  };
  struct Marker {
    size_t pos;  // Batch::bytes.size() when queued
    bool failed;
    CompletionQueue::Done done;
  };
  struct Batch {
    std::string bytes;
    std::vector<Span> spans;
    std::vector<Marker> markers;
    uint32_t remove_below = 0;
    bool empty() const { return spans.empty() && markers.empty() && remove_below == 0; }
    void Clear() {
      bytes.clear();
      spans.clear();
      markers.clear();
      remove_below = 0;
    }
  };
  struct OpenSegment {
    std::unique_ptr<File> file;
    bool dirty = false;
    bool broken = false;
  };
  struct Allocation {
    uint32_t index = 0;
    std::unique_ptr<File> file;
    uint64_t filled = 0;
  };
  using SteadyTime = std::chrono::steady_clock::time_point;

  void Run();
  void Process(Batch& batch);
  // fdatasync of every dirty segment; false if any failed (their indexes are
  // appended to *failed_segments when given).
  bool SyncDirty(std::vector<uint32_t>* failed_segments = nullptr);
  void MarkBroken(uint32_t segment, const Status& why, const char* what);
  void RemoveSegments();
  // Syncs and closes segments that will not be written again.
  void CloseFinished();
  // Advances spare creation: one 1 MiB fill step (or to completion); true if there is
  // more to do right away.
  bool AllocationStep(bool to_completion);
  void AllocationFailed(const Status& why);
  std::string PathOf(uint32_t index) const;

  const Config cfg_;

  mutable std::mutex mu_;
  std::condition_variable cv_;         // wakes the disk thread
  std::condition_variable flush_cv_;   // wakes Flush()
  std::condition_variable spare_cv_;   // wakes WaitForSpare()
  std::atomic<bool> alloc_failing_shared_{false};
  Batch pending_;                      // GUARDED_BY(mu_)
  bool stop_ = false;                  // GUARDED_BY(mu_)
  bool stopped_ = false;               // GUARDED_BY(mu_)
  bool idle_ = false;                  // GUARDED_BY(mu_)
  uint64_t flush_requested_ = 0;       // GUARDED_BY(mu_)
  uint64_t flush_done_ = 0;            // GUARDED_BY(mu_)
  std::deque<uint32_t> ready_spares_;  // GUARDED_BY(mu_)
  size_t wanted_spares_ = 1;           // GUARDED_BY(mu_)
  bool retry_allocation_ = false;      // GUARDED_BY(mu_)

  std::atomic<uint32_t> broken_max_{0};
  bool removal_stopped_logged_ = false;  // disk thread only
  std::atomic<uint64_t> syncs_{0}, write_failures_{0}, sync_failures_{0}, allocation_failures_{0};

  std::thread thread_;

  // Disk thread.
  std::map<uint32_t, OpenSegment> open_;
  std::optional<Allocation> alloc_;
  uint32_t next_alloc_index_ = 1;
  bool alloc_failing_ = false;
  Status last_alloc_error_;
  SteadyTime alloc_retry_at_{};
  uint32_t removed_below_ = 0;  // segments below this are deleted
  uint32_t remove_below_ = 0;   // requested
  uint32_t newest_written_ = 0;
  bool any_dirty_ = false;
  // A record queued after the last resolved marker failed: the next marker reports it.
  bool failed_since_marker_ = false;
  SteadyTime last_sync_{};
  std::string zeros_;
  std::vector<std::pair<CompletionQueue::Done, bool>> resolved_;
};

}  // namespace stalk::journal
