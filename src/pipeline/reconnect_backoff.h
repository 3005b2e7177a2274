// ReconnectBackoff: how long to wait before the next reconnection attempt. Capped exponential with
// jitter: the n-th delay is drawn uniformly from [d/2, d] where d = min(initial * 2^n, max), so a
// server that comes back is not hit by every client at the same instant, and a long outage costs
// one attempt per `max` at most. reset() after a connection that worked. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace mm::pipeline {

class ReconnectBackoff {
 public:
  // Requires: 0 < initial <= max. `seed` fixes the jitter (tests); production seeds randomly.
  ReconnectBackoff(std::chrono::milliseconds initial, std::chrono::milliseconds max,
                   uint64_t seed = std::random_device{}())
      : initial_(initial), max_(max), random_(seed) {}

  std::chrono::milliseconds next();
  void reset() { ceiling_ = std::chrono::milliseconds{0}; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds ceiling_{0};  // d of the last delay; 0 = none yet
  std::mt19937_64 random_;
};

}  // namespace mm::pipeline
