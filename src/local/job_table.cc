#include "local/job_table.h"

#include <bit>

namespace stalk::local {
namespace job_table_internal {

template <class T>
PointerSet<T>::PointerSet() {
  Rehash(kMinCapacity);
}

template <class T>
T* PointerSet<T>::Find(uint64_t key) const {
  for (size_t i = Home(key);; i = (i + 1) & mask_) {
    T* p = slots_[i];
    if (p == nullptr || KeyOf(p) == key) return p;
  }
}

template <class T>
void PointerSet<T>::Insert(T* p) {
  if ((size_ + 1) * 5 > capacity() * 4) Rehash(capacity() * 2);
  size_t i = Home(KeyOf(p));
  while (slots_[i] != nullptr) i = (i + 1) & mask_;
  slots_[i] = p;
  ++size_;
}

template <class T>
void PointerSet<T>::Erase(T* p) {
  size_t hole = Home(KeyOf(p));
  while (slots_[hole] != p) hole = (hole + 1) & mask_;
  // Backward shift: pull later members of the probe run into the hole whenever
  // their home is not between the hole and their slot.
  for (size_t i = (hole + 1) & mask_; slots_[i] != nullptr; i = (i + 1) & mask_) {
    const size_t home = Home(KeyOf(slots_[i]));
    if (((i - home) & mask_) >= ((i - hole) & mask_)) {
      slots_[hole] = slots_[i];
      hole = i;
    }
  }
  slots_[hole] = nullptr;
  --size_;
  if (capacity() > kMinCapacity && size_ * 8 < capacity()) Rehash(capacity() / 2);
}

template <class T>
void PointerSet<T>::Rehash(size_t capacity) {
  std::unique_ptr<T*[]> old = std::move(slots_);
  const size_t old_capacity = old ? mask_ + 1 : 0;
  slots_ = std::make_unique<T*[]>(capacity);  // value-initialized: all null
  mask_ = capacity - 1;
  shift_ = 64 - std::countr_zero(capacity);
  for (size_t j = 0; j < old_capacity; ++j) {
    T* p = old[j];
    if (p == nullptr) continue;
    size_t i = Home(KeyOf(p));
    while (slots_[i] != nullptr) i = (i + 1) & mask_;
    slots_[i] = p;
  }
}

template class PointerSet<Job>;
template class PointerSet<JobPage>;

}  // namespace job_table_internal

JobTable::~JobTable() {
  pages_.ForEach([](JobPage* page) { delete page; });
}

Job* JobTable::Find(queue::JobId id) const {
  if (const JobPage* page = PageOf(id >> JobPage::kPageBits)) {
    return page->slots[id & JobPage::kSlotMask];
  }
  return overflow_.size() == 0 ? nullptr : overflow_.Find(id);
}

void JobTable::Insert(Job* job) {
  const queue::JobId id = job->id();
  const uint64_t number = id >> JobPage::kPageBits;
  JobPage* page = PageOf(number);
  if (page == nullptr) {
    if (top_ != nullptr && number < top_->number) {
      overflow_.Insert(job);  // below the top: never a new page (see the header)
      ++size_;
      return;
    }
    page = new JobPage;
    page->number = number;
    pages_.Insert(page);
    JobPage* const old_top = top_;
    top_ = page;
    if (old_top != nullptr) MaybeRetire(old_top);
  }
  page->slots[id & JobPage::kSlotMask] = job;
  ++page->live;
  ++size_;
}

void JobTable::Erase(Job* job) {
  const queue::JobId id = job->id();
  JobPage* page = PageOf(id >> JobPage::kPageBits);
  --size_;
  if (page == nullptr) {
    overflow_.Erase(job);
    return;
  }
  page->slots[id & JobPage::kSlotMask] = nullptr;
  --page->live;
  if (page != top_) MaybeRetire(page);
}

void JobTable::MaybeRetire(JobPage* page) {
  if (page->live >= kRetireBelow) return;
  for (Job* job : page->slots) {
    if (job != nullptr) overflow_.Insert(job);
  }
  pages_.Erase(page);
  delete page;
}

}  // namespace stalk::local
