#pragma once

// A map from job id to the Placement of its latest full record, used while recovering to
// tell live jobs from dead ones. Open addressing with linear probing and backward-shift
// deletion, hashed by the id itself: job ids are handed out 1, 2, 3, ... so consecutive
// records touch consecutive slots (no cache miss per record, no collisions while the live
// ids span less than the table), which keeps a million-job replay in the tens of
// milliseconds. Ids are never 0 (0 marks an empty slot). Not thread-safe.

#include <cstdint>
#include <vector>

#include "journal/job_record.h"

namespace stalk::journal::detail {

class IdMap {
 public:
  IdMap() { slots_.resize(1024); }

  size_t size() const { return size_; }

  // Sizes the table for about `n` entries.
  void Reserve(size_t n) {
    size_t cap = slots_.size();
    while (n * 4 > cap * 3) cap *= 2;
    if (cap != slots_.size()) Rehash(cap);
  }

  // Inserts or replaces. REQUIRES: id != 0.
  void Put(uint64_t id, Placement where) {
    if ((size_ + 1) * 4 > slots_.size() * 3) Grow();
    size_t i = Find(id);
    if (slots_[i].id == 0) {
      slots_[i].id = id;
      ++size_;
    }
    slots_[i].where = where;
  }

  bool Contains(uint64_t id) const { return slots_[Find(id)].id != 0; }

  // Removes `id`; false if it was not there.
  bool Erase(uint64_t id) {
    size_t i = Find(id);
    if (slots_[i].id == 0) return false;
    const size_t mask = slots_.size() - 1;
    // Backward-shift: pull later members of the probe run into the hole.
    size_t hole = i;
    for (size_t j = (i + 1) & mask; slots_[j].id != 0; j = (j + 1) & mask) {
      size_t home = Home(slots_[j].id);
      // Move j into the hole unless its home lies cyclically in (hole, j].
      bool stays = (hole <= j) ? (hole < home && home <= j) : (hole < home || home <= j);
      if (!stays) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole] = Slot{};
    --size_;
    return true;
  }

  // Calls f(id, placement) for every entry, in no particular order.
  template <typename F>
  void ForEach(F&& f) const {
    for (const Slot& s : slots_) {
      if (s.id != 0) f(s.id, s.where);
    }
  }

 private:
  struct Slot {
    uint64_t id = 0;
    Placement where;
  };

  size_t Home(uint64_t id) const { return static_cast<size_t>(id) & (slots_.size() - 1); }

  size_t Find(uint64_t id) const {
    const size_t mask = slots_.size() - 1;
    size_t i = Home(id);
    while (slots_[i].id != 0 && slots_[i].id != id) i = (i + 1) & mask;
    return i;
  }

  void Grow() { Rehash(slots_.size() * 2); }

  void Rehash(size_t cap) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(cap, Slot{});
    size_ = 0;
    for (const Slot& s : old) {
      if (s.id != 0) {
        size_t i = Find(s.id);
        slots_[i] = s;
        ++size_;
      }
    }
  }

  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace stalk::journal::detail
