#pragma once

#include <cstdint>
#include <string_view>

#include "base/time.h"
#include "queue/types.h"

namespace stalk::local {

class Tube;

// One job, in one allocation: these fixed fields followed by the body bytes
// (without beanstalkd's trailing CRLF). The layout is packed for the memory budget
// of a large backlog: 84 bytes of header, no per-job pointers besides the tube.
//
// The header is packed to 4-byte alignment (#pragma pack(4)) so that the journal
// segment (a u32) costs 4 bytes, not 8: with malloc's 8 bytes of overhead and its
// 16-byte size classes, a job of 100 body bytes takes 192 bytes either way (80 or
// 84 + 100 + 8 rounds to 192; 88 would round to 208). The 8-byte fields still sit at
// 8-byte offsets of a malloc'ed block, so no access is actually misaligned. The
// journal's other half of a placement (the full record's size) is not stored: it is
// recomputed from the tube name and body sizes (journal::FullRecordBytes).
//
// A job is always in exactly one container, which the state names:
//   ready    -> its tube's ready heap, ordered by (pri, id)
//   delayed  -> its tube's delay heap, ordered by (deadline, id)
//   buried   -> its tube's buried heap, ordered by bury sequence (a FIFO)
//   reserved -> its holder's reservation heap, ordered by (deadline, id)
// so a single 30-bit heap position serves all four. The holder of a reserved job
// is not stored: a session holds the job iff its reservation heap has the job at
// the job's position (see IndexedHeap::Contains).
//
// Not thread-safe; owned by LocalQueue, which frees it with Destroy().
#pragma pack(push, 4)
class Job {
 public:
  // Heap positions are 30 bits wide; LocalQueue keeps the number of live jobs
  // below this.
  static constexpr uint32_t kMaxHeapPos = (1u << 30) - 1;
  // A ready job with pri below this counts as urgent (beanstalkd URGENT_THRESHOLD).
  static constexpr uint32_t kUrgentPri = 1024;

  // Allocates a job holding a copy of `body`, in the ready state with zero
  // counters. Returns nullptr when memory is exhausted or the body is over 4 GiB.
  static Job* Create(queue::JobId id, Tube* tube, uint32_t pri, Duration delay, Duration ttr,
                     TimePoint created, std::string_view body);
  // Frees a job made by Create(). Null is allowed.
  static void Destroy(Job* job);

  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;

  queue::JobId id() const { return id_; }
  Tube* tube() const { return tube_; }
  std::string_view body() const { return {reinterpret_cast<const char*>(this + 1), body_size_}; }

  queue::JobState state() const { return static_cast<queue::JobState>(pos_state_ >> 30); }
  void set_state(queue::JobState s) {
    pos_state_ = (pos_state_ & kMaxHeapPos) | (static_cast<uint32_t>(s) << 30);
  }

  uint32_t pri() const { return pri_; }
  void set_pri(uint32_t pri) { pri_ = pri; }
  bool urgent() const { return pri_ < kUrgentPri; }

  TimePoint created() const { return TimePoint(Duration(created_ns_)); }
  // Delayed: when it becomes ready. Reserved: when its TTR runs out. Meaningless
  // otherwise.
  TimePoint deadline() const { return TimePoint(Duration(at_)); }
  void set_deadline(TimePoint t) { at_ = t.time_since_epoch().count(); }
  // Buried: its place in the tube's buried FIFO (the field is shared with
  // deadline, which a buried job does not have).
  uint64_t bury_seq() const { return static_cast<uint64_t>(at_); }
  void set_bury_seq(uint64_t seq) { at_ = static_cast<int64_t>(seq); }

  Duration ttr() const { return Duration(ttr_ns_); }
  // The delay last given by put or release (not reset by kick).
  Duration delay() const { return Duration(delay_ns_); }
  void set_delay(Duration d) { delay_ns_ = d.count(); }

  uint32_t reserves() const { return reserves_; }
  uint32_t timeouts() const { return timeouts_; }
  uint32_t releases() const { return releases_; }
  uint32_t buries() const { return buries_; }
  uint32_t kicks() const { return kicks_; }
  void count_reserve() { ++reserves_; }
  void count_timeout() { ++timeouts_; }
  void count_release() { ++releases_; }
  void count_bury() { ++buries_; }
  void count_kick() { ++kicks_; }

  // Restores the counters from a journal record (recovery): never counted again.
  void RestoreCounters(uint32_t reserves, uint32_t timeouts, uint32_t releases, uint32_t buries,
                       uint32_t kicks) {
    reserves_ = reserves;
    timeouts_ = timeouts;
    releases_ = releases;
    buries_ = buries;
    kicks_ = kicks;
  }

  // The journal segment holding the job's full record (stats-job `file`); 0 without
  // a journal.
  uint32_t segment() const { return segment_; }
  void set_segment(uint32_t segment) { segment_ = segment; }

  uint32_t heap_pos() const { return pos_state_ & kMaxHeapPos; }
  void set_heap_pos(uint32_t pos) { pos_state_ = (pos_state_ & ~kMaxHeapPos) | pos; }

  // IndexedHeap orders over jobs. Every one breaks ties so that it is total.
  struct ReadyOrder {
    static bool Less(const Job& a, const Job& b) {
      return a.pri_ != b.pri_ ? a.pri_ < b.pri_ : a.id_ < b.id_;
    }
    static uint32_t Pos(const Job& j) { return j.heap_pos(); }
    static void SetPos(Job& j, uint32_t pos) { j.set_heap_pos(pos); }
  };
  // Delay heaps and reservation heaps: soonest deadline first, then lowest id.
  struct DeadlineOrder {
    static bool Less(const Job& a, const Job& b) {
      return a.at_ != b.at_ ? a.at_ < b.at_ : a.id_ < b.id_;
    }
    static uint32_t Pos(const Job& j) { return j.heap_pos(); }
    static void SetPos(Job& j, uint32_t pos) { j.set_heap_pos(pos); }
  };
  struct BuriedOrder {
    static bool Less(const Job& a, const Job& b) { return a.bury_seq() < b.bury_seq(); }
    static uint32_t Pos(const Job& j) { return j.heap_pos(); }
    static void SetPos(Job& j, uint32_t pos) { j.set_heap_pos(pos); }
  };

 private:
  Job() = default;
  ~Job() = default;

  queue::JobId id_ = 0;
  Tube* tube_ = nullptr;
  int64_t created_ns_ = 0;
  int64_t at_ = 0;  // deadline (ns since the clock's epoch) or bury sequence
  int64_t ttr_ns_ = 0;
  int64_t delay_ns_ = 0;
  uint32_t pri_ = 0;
  uint32_t pos_state_ = 0;  // low 30 bits: heap position; high 2 bits: JobState
  uint32_t body_size_ = 0;
  uint32_t reserves_ = 0, timeouts_ = 0, releases_ = 0, buries_ = 0, kicks_ = 0;
  uint32_t segment_ = 0;
};
#pragma pack(pop)

static_assert(sizeof(Job) == 84, "Job header grew: check the memory budget (see above)");
static_assert(static_cast<int>(queue::JobState::kBuried) < 4, "JobState must fit in 2 bits");

}  // namespace stalk::local
