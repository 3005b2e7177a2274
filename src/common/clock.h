// Clock: where every stage gets the time, so heartbeats, the delay buffer and timeouts can be tested
// with a fake clock instead of sleeping. Implementations must be thread-safe.
#pragma once

#include <chrono>
#include <cstdint>

namespace mm {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, for message timestamps.
  virtual std::chrono::system_clock::time_point now() const = 0;
  // Monotonic time, for intervals and deadlines.
  virtual std::chrono::steady_clock::time_point monotonicNow() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override { return std::chrono::system_clock::now(); }
  std::chrono::steady_clock::time_point monotonicNow() const override {
    return std::chrono::steady_clock::now();
  }
};

inline int64_t unixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace mm
