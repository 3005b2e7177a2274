// SaveCadence: when the publisher saves its checkpoint next (issue 16 item 10).
//
// A SIGKILL re-publishes what was unconfirmed (at most confirm_window messages) plus what was
// confirmed since the start of the last save that completed: at most `interval` plus one save's
// duration of changes. The old 200 ms interval let ~200 ms of changes come again per crash; the
// default of 50 ms keeps it under the 100 ms on a disk whose save (two fsyncs and a
// rename, ~0.5 ms and ~0.2 ms of CPU here) is fast. A save blocks the publisher's thread, so on a
// slow disk saves are spaced at least kSlowDiskSpacing times their own duration apart: saving
// never takes more than a tenth of the stage's time, and the checkpoint then lags by about ten
// save durations instead (docs/performance.md, "Checkpoint saves").
// Pure: the caller passes the monotonic times. Not thread-safe (the publisher's thread only).
#pragma once

#include <algorithm>
#include <chrono>

namespace mm::pipeline {

class SaveCadence {
 public:
  static constexpr int kSlowDiskSpacing = 10;

  explicit SaveCadence(std::chrono::milliseconds interval) : interval_(interval) {}

  // Whether a save may start at `now`.
  bool due(std::chrono::steady_clock::time_point now) const { return now >= next_; }

  // A save ran from `started` to `ended`: the next one is due an interval later, or ten times the
  // save's duration later when that is longer.
  void saved(std::chrono::steady_clock::time_point started, std::chrono::steady_clock::time_point ended) {
    const auto took = std::chrono::duration_cast<std::chrono::steady_clock::duration>(ended - started);
    next_ = started + std::max<std::chrono::steady_clock::duration>(interval_, took * kSlowDiskSpacing);
  }

  std::chrono::steady_clock::time_point next() const { return next_; }

 private:
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point next_{};
};

}  // namespace mm::pipeline
