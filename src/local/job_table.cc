#include "local/job_table.h"

#include <bit>

namespace stalk::local {

JobTable::JobTable() { Rehash(kMinCapacity); }

size_t JobTable::Home(queue::JobId id) const {
  // 2^64 / golden ratio; the high bits of the product are well mixed.
  return static_cast<size_t>((id * 0x9E3779B97F4A7C15ull) >> shift_);
}

Job* JobTable::Find(queue::JobId id) const {
  for (size_t i = Home(id);; i = (i + 1) & mask_) {
    Job* job = slots_[i];
    if (job == nullptr) return nullptr;
    if (job->id() == id) return job;
  }
}

void JobTable::Insert(Job* job) {
  if ((size_ + 1) * 5 > capacity() * 4) Rehash(capacity() * 2);
  size_t i = Home(job->id());
  while (slots_[i] != nullptr) i = (i + 1) & mask_;
  slots_[i] = job;
  ++size_;
}

void JobTable::Erase(Job* job) {
  size_t hole = Home(job->id());
  while (slots_[hole] != job) hole = (hole + 1) & mask_;
  // Backward shift: pull later members of the probe run into the hole whenever
  // their home is not between the hole and their slot.
  for (size_t i = (hole + 1) & mask_; slots_[i] != nullptr; i = (i + 1) & mask_) {
    const size_t home = Home(slots_[i]->id());
    if (((i - home) & mask_) >= ((i - hole) & mask_)) {
      slots_[hole] = slots_[i];
      hole = i;
    }
  }
  slots_[hole] = nullptr;
  --size_;
  if (capacity() > kMinCapacity && size_ * 8 < capacity()) Rehash(capacity() / 2);
}

void JobTable::Rehash(size_t capacity) {
  std::unique_ptr<Job*[]> old = std::move(slots_);
  const size_t old_capacity = old ? mask_ + 1 : 0;
  slots_ = std::make_unique<Job*[]>(capacity);  // value-initialized: all null
  mask_ = capacity - 1;
  shift_ = 64 - std::countr_zero(capacity);
  for (size_t j = 0; j < old_capacity; ++j) {
    Job* job = old[j];
    if (job == nullptr) continue;
    size_t i = Home(job->id());
    while (slots_[i] != nullptr) i = (i + 1) & mask_;
    slots_[i] = job;
  }
}

}  // namespace stalk::local
