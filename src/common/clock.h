// Clock: where every stage gets the time and waits for it, so heartbeats, the delay buffer,
// backoffs and timeouts can be tested with a fake clock (tests/support/fake_clock.h) that moves
// time forward instead of sleeping. Implementations must be thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stop_token>

namespace mm {

class Clock {
 public:
  using MonotonicTime = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  // Wall-clock time, for message timestamps.
  virtual std::chrono::system_clock::time_point now() const = 0;
  // Monotonic time, for intervals and deadlines.
  virtual MonotonicTime monotonicNow() const = 0;
  // Returns once monotonicNow() >= `deadline` (true) or, earlier, when `stop` is requested
  // (false): a wait must never delay a stop.
  virtual bool waitUntil(MonotonicTime deadline, std::stop_token stop) const = 0;

  bool waitFor(std::chrono::steady_clock::duration duration, std::stop_token stop) const {
    return waitUntil(monotonicNow() + duration, std::move(stop));
  }
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::now();
  }
  MonotonicTime monotonicNow() const override { return std::chrono::steady_clock::now(); }
  bool waitUntil(MonotonicTime deadline, std::stop_token stop) const override {
    std::mutex mutex;
    std::condition_variable_any woken;
    std::unique_lock lock(mutex);
    // Nothing notifies but the stop token: the predicate is "stopped", so it returns at the
    // deadline or at the stop request, whichever comes first.
    return !woken.wait_until(lock, stop, deadline, [] { return false; }) && !stop.stop_requested();
  }
};

// The clock of the process, for code that is given none.
inline const Clock& systemClock() {
  static const SystemClock clock;
  return clock;
}

inline int64_t unixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace mm
