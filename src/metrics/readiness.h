// ReadinessRule: whether the monitor is doing its job right now, for /readyz.
//
// Ready = not a standby (docs/high-availability.md), the binlog stream is connected, the broker is
// connected, and nothing is stalled. Stalled means the server's binlog moved on while our position
// has not advanced for `stall_after`, on either side of the pipeline:
//   - reading: the server's end of binlog (polled) is past the position the reader has reached,
//     and the reader has not moved since that was first seen (a wedged or backed-up reader);
//   - delivering: messages wait for the broker's confirmation and no checkpoint was saved since
//     they started waiting (a broker that takes messages but never confirms them).
// An idle source is never stalled: the server does not move on. Time comes in as arguments, so
// the rule is a pure function of the samples it was shown (tests use a fake clock).
//
// Not thread-safe: one caller (the metrics server's thread) samples and judges.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "metrics/stats.h"

namespace mm::metrics {

// What the rule looks at, read from Stats at one moment.
struct ReadinessSample {
  bool standby = false;  // another monitor of this name leads: this one is not serving
  bool source_connected = false;
  bool broker_connected = false;
  binlog::Position read;                   // where the reader's next event starts
  std::optional<binlog::Position> server;  // the server's end of binlog, when recently polled
  uint64_t checkpoints_saved = 0;
  uint64_t messages_unconfirmed = 0;
};

// `server_max_age`: a server position polled longer ago than this is not used (a stale position
// would look like a server the reader has overtaken, or one it cannot reach).
ReadinessSample sampleReadiness(const Stats& stats, int64_t now_unix,
                                std::chrono::seconds server_max_age);

struct Readiness {
  bool ready = false;
  std::string reason;  // why not, or what "ready" is based on
};

class ReadinessRule {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit ReadinessRule(std::chrono::seconds stall_after) : stall_after_(stall_after) {}

  // Records `sample`, taken at `now`, and judges it. Call at least every second or so: a stall is
  // timed from the first sample that showed it.
  Readiness judge(const ReadinessSample& sample, TimePoint now);

 private:
  std::chrono::seconds stall_after_;
  std::optional<binlog::Position> last_read_;
  std::optional<TimePoint> reader_behind_since_;  // server past the reader, reader not moving
  uint64_t last_checkpoints_saved_ = 0;
  std::optional<TimePoint> unconfirmed_since_;  // messages waiting, no checkpoint saved since
};

}  // namespace mm::metrics
