#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace stalk::local {

// A binary min-heap of pointers that stores each element's position inside the
// element itself (beanstalkd heap.c's `setpos` idea), so that any element, not
// only the top, can be removed or re-keyed in O(log n).
//
// `Order` supplies three static functions:
//   bool Less(const T& a, const T& b);     // a strict total order (break ties!)
//   uint32_t Pos(const T& x);              // the stored position
//   void SetPos(T& x, uint32_t pos);       // store a position
// An element is in at most one heap that shares its position field at a time; the
// heap does not own its elements. Storage is a vector of T*: 8 bytes per element
// plus growth slack, and it shrinks when it becomes mostly empty so a drained
// backlog gives its memory back.
//
// Not thread-safe.
template <class T, class Order>
class IndexedHeap {
 public:
  IndexedHeap() = default;
  IndexedHeap(const IndexedHeap&) = delete;
  IndexedHeap& operator=(const IndexedHeap&) = delete;

  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  size_t capacity() const { return items_.capacity(); }

  // The least element. REQUIRES: !empty().
  T* Top() const { return items_.front(); }
  // The element at heap index `i` (0 is the top); for iteration in no order.
  T* At(size_t i) const { return items_[i]; }

  // True if `x` is in this heap. `x` must be alive; its stored position may be
  // stale (from another heap), which is why the slot is compared too.
  bool Contains(const T* x) const {
    const uint32_t pos = Order::Pos(*x);
    return pos < items_.size() && items_[pos] == x;
  }

  void Push(T* x) {
    items_.push_back(x);
    SiftUp(items_.size() - 1);
  }

  // Removes and returns the least element. REQUIRES: !empty().
  T* Pop() {
    T* top = items_.front();
    RemoveAt(0);
    return top;
  }

  // REQUIRES: Contains(x).
  void Remove(T* x) { RemoveAt(Order::Pos(*x)); }

  // Restores the heap order after x's key changed. REQUIRES: Contains(x).
  void Fix(T* x) {
    const size_t i = Order::Pos(*x);
    if (i > 0 && Order::Less(*x, *items_[(i - 1) / 2])) {
      SiftUp(i);
    } else {
      SiftDown(i);
    }
  }

 private:
  static constexpr size_t kMinShrinkCapacity = 64;

  void RemoveAt(size_t i) {
    T* last = items_.back();
    items_.pop_back();
    if (i < items_.size()) {
      Place(i, last);
      Fix(last);
    }
    MaybeShrink();
  }

  void Place(size_t i, T* x) {
    items_[i] = x;
    Order::SetPos(*x, static_cast<uint32_t>(i));
  }

  void SiftUp(size_t i) {
    T* x = items_[i];
    while (i > 0) {
      const size_t parent = (i - 1) / 2;
      if (!Order::Less(*x, *items_[parent])) break;
      Place(i, items_[parent]);
      i = parent;
    }
    Place(i, x);
  }

  void SiftDown(size_t i) {
    T* x = items_[i];
    const size_t n = items_.size();
    for (;;) {
      size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && Order::Less(*items_[child + 1], *items_[child])) ++child;
      if (!Order::Less(*items_[child], *x)) break;
      Place(i, items_[child]);
      i = child;
    }
    Place(i, x);
  }

  // Halves the slack once the heap uses under a quarter of its capacity, so the
  // memory of a drained backlog is returned (beanstalkd #642) without
  // reallocating on every push/pop around a boundary.
  void MaybeShrink() {
    const size_t cap = items_.capacity();
    if (cap <= kMinShrinkCapacity || items_.size() >= cap / 4) return;
    std::vector<T*> smaller;
    smaller.reserve(cap / 2);
    smaller.assign(items_.begin(), items_.end());
    items_.swap(smaller);
  }

  std::vector<T*> items_;
};

}  // namespace stalk::local
