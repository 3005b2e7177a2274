// BoundedQueue: the only channel between pipeline stages.
//
// Bounded in items *and* bytes (each item reports its size), so a slow or absent broker stops the
// reader instead of growing memory. push() blocks while full and gives up when stop is requested;
// close() lets the consumer drain what is queued and then see the end (popFor returns nullopt,
// popAll 0).
// An item larger than the byte bound is still accepted when the queue is empty, so one huge row
// cannot wedge the pipeline. Thread-safe; one consumer and one or two producers in our use (the
// snapshot worker also feeds the source queue, pipeline/snapshot_stage.h). The depth is
// reported to a metrics gauge, when given one, under the queue's own lock.
//
// The stages hand over batches (pipeline/items.h), and popAll() takes what is queued under one lock
// and with one wake-up: a consumer that is faster than its producer sleeps after every item, and
// waking it per item cost more CPU than the work on the item (docs/performance.md). For the same
// reason a producer blocked on a full queue is woken when it is half empty.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <stop_token>
#include <utility>
#include <vector>

#include "metrics/stats.h"
#include "pipeline/ring_buffer.h"

namespace mm::pipeline {

template <typename T>
class BoundedQueue {
 public:
  // `gauge` may be null; else it must outlive the queue.
  BoundedQueue(size_t max_items, size_t max_bytes, metrics::QueueGauge* gauge = nullptr)
      : max_items_(max_items), max_bytes_(max_bytes),
        gauge_(gauge != nullptr ? *gauge : own_gauge_) {}

  // Returns false (and drops `item`) when stop was requested or the queue was closed.
  bool push(T item, size_t bytes, std::stop_token stop) {
    std::unique_lock lock(mutex_);
    if (!waitForRoom(lock, 1, bytes, stop)) {
      return false;
    }
    items_.push_back(Entry{std::move(item), bytes});
    bytes_ += bytes;
    reportDepthLocked();
    not_empty_.notify_one();
    return true;
  }

  // Moves the queued items, up to `max`, to the end of `out`, waiting up to `timeout` for the
  // first. Returns how many; 0 on timeout or when closed and drained (drained() tells the two
  // apart). `max` bounds what the consumer holds outside the queue's own bounds.
  size_t popAllFor(std::vector<T>& out, size_t max, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    not_empty_.wait_for(lock, timeout, [&] { return closed_ || !items_.empty(); });
    return popAllLocked(out, max);
  }

  // As popAllFor, waiting until an item arrives, the queue is closed and drained, or stop.
  size_t popAll(std::vector<T>& out, size_t max, std::stop_token stop) {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, stop, [&] { return closed_ || !items_.empty(); });
    return popAllLocked(out, max);
  }

  // Waits up to `timeout` for an item. nullopt on timeout or when closed and drained; drained()
  // tells the two apart.
  std::optional<T> popFor(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    not_empty_.wait_for(lock, timeout, [&] { return closed_ || !items_.empty(); });
    return popLocked();
  }

  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

  bool closed() const {
    std::lock_guard lock(mutex_);
    return closed_;
  }

  bool drained() const {
    std::lock_guard lock(mutex_);
    return closed_ && items_.empty();
  }

  size_t sizeBytes() const {
    std::lock_guard lock(mutex_);
    return bytes_;
  }

 private:
  struct Entry {
    T item;
    size_t bytes;
  };

  // Waits until `items` more of `bytes` in all fit (or the queue is empty). False when stop was
  // requested or the queue was closed.
  bool waitForRoom(std::unique_lock<std::mutex>& lock, size_t items, size_t bytes,
                   std::stop_token stop) {
    const bool has_room = not_full_.wait(lock, stop, [&] {
      return closed_ || items_.empty() ||
             (items_.size() + items <= max_items_ && bytes_ + bytes <= max_bytes_);
    });
    return has_room && !closed_;
  }

  std::optional<T> popLocked() {
    if (items_.empty()) {
      return std::nullopt;
    }
    Entry entry = std::move(items_.front());
    items_.pop_front();
    bytes_ -= entry.bytes;
    reportDepthLocked();
    wakeProducerIfRoomLocked();
    return std::move(entry.item);
  }

  size_t popAllLocked(std::vector<T>& out, size_t max) {
    const size_t n = std::min(max, items_.size());
    for (size_t i = 0; i < n; ++i) {
      out.push_back(std::move(items_.front().item));
      bytes_ -= items_.front().bytes;
      items_.pop_front();
    }
    if (n > 0) {
      reportDepthLocked();
      wakeProducerIfRoomLocked();
    }
    return n;
  }

  // A producer blocked on a full queue is woken once the queue is half empty, not at every pop:
  // it then hands over many items per wake-up instead of one, and the two threads do not take
  // turns item by item (a wake-up and two context switches each).
  void wakeProducerIfRoomLocked() {
    if (items_.size() <= max_items_ / 2 && bytes_ <= max_bytes_ / 2) {
      // Every producer: the source queue has two (the reader and the snapshot worker), and one
      // left asleep with room in the queue would wait for a pop that may never come.
      not_full_.notify_all();
    }
  }

  void reportDepthLocked() {
    metrics::set<uint64_t>(gauge_.items, items_.size());
    metrics::set<uint64_t>(gauge_.bytes, bytes_);
  }

  const size_t max_items_;
  const size_t max_bytes_;
  metrics::QueueGauge own_gauge_;
  metrics::QueueGauge& gauge_;
  mutable std::mutex mutex_;
  std::condition_variable_any not_empty_;
  std::condition_variable_any not_full_;
  RingBuffer<Entry> items_;  // guarded by mutex_
  size_t bytes_ = 0;         // guarded by mutex_
  bool closed_ = false;      // guarded by mutex_
};

}  // namespace mm::pipeline
