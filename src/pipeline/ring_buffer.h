// RingBuffer: a FIFO of T in one growable circular array, for the queues between and inside the
// pipeline stages.
//
// Why not std::deque: its blocks hold 512 bytes, so a deque of items larger than 256 bytes (a rows
// event item, an in-flight message) allocates and frees a block for every element it holds, on the
// hot path of every row. A ring allocates only when it grows (to twice its capacity, which it
// keeps), so in steady state a push and a pop allocate nothing. Elements are constructed on push
// and destroyed on pop, so a popped element's memory is released at once.
//
// Not thread-safe (BoundedQueue guards its ring with its lock).
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

namespace mm::pipeline {

template <typename T>
class RingBuffer {
 public:
  RingBuffer() = default;
  RingBuffer(const RingBuffer&) = delete;
  RingBuffer& operator=(const RingBuffer&) = delete;
  ~RingBuffer() {
    clear();
    allocator_.deallocate(slots_, capacity_);
  }

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }

  // Oldest first: [0] is the front.
  T& operator[](size_t i) { return slots_[slot(i)]; }
  const T& operator[](size_t i) const { return slots_[slot(i)]; }
  T& front() { return slots_[head_]; }
  const T& front() const { return slots_[head_]; }
  T& back() { return slots_[slot(size_ - 1)]; }

  void push_back(T value) {
    if (size_ == capacity_) {
      grow();
    }
    std::construct_at(slots_ + slot(size_), std::move(value));
    ++size_;
  }

  void pop_front() {
    std::destroy_at(slots_ + head_);
    head_ = slot(1);
    --size_;
  }

  void clear() {
    while (!empty()) {
      pop_front();
    }
    head_ = 0;
  }

 private:
  // Capacity is a power of two, so wrapping is a mask.
  size_t slot(size_t i) const { return (head_ + i) & (capacity_ - 1); }

  void grow() {
    const size_t capacity = capacity_ == 0 ? 16 : 2 * capacity_;
    T* slots = allocator_.allocate(capacity);
    for (size_t i = 0; i < size_; ++i) {
      T& old = (*this)[i];
      std::construct_at(slots + i, std::move(old));
      std::destroy_at(&old);
    }
    allocator_.deallocate(slots_, capacity_);
    slots_ = slots;
    capacity_ = capacity;
    head_ = 0;
  }

  std::allocator<T> allocator_;
  T* slots_ = nullptr;
  size_t capacity_ = 0;
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace mm::pipeline
