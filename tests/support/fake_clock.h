// FakeClock: a Clock whose time moves only when a test (or a wait) moves it. waitUntil() jumps the
// clock to the deadline at once, so code that backs off, polls or times out runs in no real time
// and tests need no sleeps; `waited()` tells how much fake time the waits consumed. Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <stop_token>

#include "common/clock.h"

namespace mm::test {

class FakeClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    std::lock_guard lock(mutex_);
    return wall_;
  }
  MonotonicTime monotonicNow() const override {
    std::lock_guard lock(mutex_);
    return steady_;
  }
  bool waitUntil(MonotonicTime deadline, std::stop_token stop) const override {
    std::lock_guard lock(mutex_);
    ++waits_;
    if (stop.stop_requested()) {
      return false;
    }
    if (deadline > steady_) {
      waited_ += deadline - steady_;
      wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(deadline - steady_);
      steady_ = deadline;
    }
    return true;
  }

  void advance(std::chrono::steady_clock::duration by) {
    std::lock_guard lock(mutex_);
    steady_ += by;
    wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(by);
  }
  // Fake time spent inside waitUntil, and how many waits there were.
  std::chrono::steady_clock::duration waited() const {
    std::lock_guard lock(mutex_);
    return waited_;
  }
  int waits() const {
    std::lock_guard lock(mutex_);
    return waits_;
  }

 private:
  mutable std::mutex mutex_;
  mutable std::chrono::system_clock::time_point wall_{std::chrono::seconds(1'700'000'000)};
  mutable MonotonicTime steady_{std::chrono::hours(1)};
  mutable std::chrono::steady_clock::duration waited_{0};
  mutable int waits_ = 0;
};

}  // namespace mm::test
