// SaveCadence: when the checkpoint writer saves next (issue 16 item 10).
//
// A SIGKILL re-publishes what was unconfirmed (at most confirm_window messages) plus what was
// confirmed since the start of the last save that completed: at most the spacing between saves
// plus one save's duration of changes. The old 200 ms interval let ~200 ms of changes come again
// per crash; the default of 50 ms keeps it under the 100 ms. A save (two fsyncs and a
// rename) takes ~0.5 ms and ~0.2 ms of CPU on a quiet local disk, but 10-40 ms and up to ~0.8 ms of
// CPU on a busy one, so the next save is due at the latest of:
//   - `interval` after the last started;
//   - kSlowDiskSpacing times its duration after it started: the saves keep at most a quarter of
//     the disk's (and the writer's) time;
//   - kCpuSpacing times its CPU time after it started: the saves cost at most 1 % of a core.
// The lag then stays under 100 ms while a save takes up to 20 ms and 0.5 ms of CPU, and degrades
// gracefully beyond (docs/performance.md, "Checkpoint saves").
// Pure: the caller passes the times it measured. Not thread-safe (the writer's thread only).
#pragma once

#include <algorithm>
#include <chrono>

namespace mm::pipeline {

class SaveCadence {
 public:
  static constexpr int kSlowDiskSpacing = 4;
  static constexpr int kCpuSpacing = 100;

  explicit SaveCadence(std::chrono::milliseconds interval) : interval_(interval) {}

  // Whether a save may start at `now`.
  bool due(std::chrono::steady_clock::time_point now) const { return now >= next_; }

  // A save ran from `started` to `ended` and took `cpu` of the saving thread's CPU time.
  void saved(std::chrono::steady_clock::time_point started,
             std::chrono::steady_clock::time_point ended, std::chrono::nanoseconds cpu) {
    using Duration = std::chrono::steady_clock::duration;
    const auto took = std::chrono::duration_cast<Duration>(ended - started);
    next_ = started + std::max({Duration(interval_), took * kSlowDiskSpacing,
                                std::chrono::duration_cast<Duration>(cpu) * kCpuSpacing});
  }

  std::chrono::steady_clock::time_point next() const { return next_; }

 private:
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point next_{};
};

}  // namespace mm::pipeline
