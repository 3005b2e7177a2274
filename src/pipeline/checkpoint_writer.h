// CheckpointWriter: saves the publisher's checkpoint on a thread of its own (mm-checkpoint), so a
// save (two fsyncs and a rename: ~0.5 ms on a quiet disk, 10 ms and more on a busy one) never holds
// up publishing or the reading of confirms (issue 16 item 10; CONTRIBUTING.md §5 names this stage).
//
// The publisher offers its newest mark whenever it moved; the writer saves the newest one it holds,
// paced by SaveCadence (at most every interval, spaced to ten save durations on a slow disk, which
// bounds the CPU the saves take), and drops the marks it was handed in between: only the newest
// matters. Whatever the writer saved was offered, and an offered mark is one the publisher knows
// confirmed, so the saved position never passes an unconfirmed message.
//
// A failed save is sticky: status() returns it from then on and nothing more is saved (the stage
// stops with it, as it did when it saved itself). Each save is counted in `stats`
// (checkpoints_saved, and the saved checkpoint for the metrics endpoint). finish() ends the thread
// and makes the final save on the caller's thread. Waits between saves are on the Clock. The
// StateStore, the Clock and the Stats must outlive the writer. offer(), status() and finish() are
// for one thread (the publisher's).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>

#include "checkpoint/checkpoint.h"
#include "checkpoint/state_store.h"
#include "common/clock.h"
#include "common/status.h"
#include "metrics/stats.h"
#include "pipeline/save_cadence.h"

namespace mm::pipeline {

// Tells the metrics that `saved` is in the state file as of now (or was there at the start).
void reportSavedCheckpoint(metrics::Stats& stats, const checkpoint::Checkpoint& saved,
                           const Clock& clock);

class CheckpointWriter {
 public:
  // `saved` is what the state file holds now (nothing is saved again until the mark moves).
  CheckpointWriter(checkpoint::StateStore& state, const Clock& clock,
                   std::chrono::milliseconds interval, checkpoint::Checkpoint saved,
                   metrics::Stats& stats);
  ~CheckpointWriter();
  CheckpointWriter(const CheckpointWriter&) = delete;
  CheckpointWriter& operator=(const CheckpointWriter&) = delete;

  // Hands over the newest mark, replacing one not saved yet; never waits for the disk. Starts the
  // thread on first use. `published`: the publisher's count of items up to the mark (its
  // sequence, pipeline/in_flight_window.h), for behind().
  void offer(checkpoint::Checkpoint mark, uint64_t published = 0);
  // Whether saving lags: a mark offered more than `allowance` ago is still not saved, and more
  // than `limit` items were sent past the last mark saved (`published`: the count sent now). A
  // leader whose state server stopped answering then stops publishing, so what a new leader
  // sends again stays within one confirm window (docs/high-availability.md "Fencing").
  bool behind(std::chrono::steady_clock::duration allowance, uint64_t published,
              uint64_t limit) const;
  // Ok, or the first save that failed.
  Status status() const;
  // Ends the thread (a save under way completes), then saves `mark` unless it is empty or what was
  // saved last. Returns the first failure, that of an earlier save included.
  Status finish(const checkpoint::Checkpoint& mark);

 private:
  void loop(std::stop_token stop);
  Status saveNow(const checkpoint::Checkpoint& mark);

  checkpoint::StateStore& state_;
  const Clock& clock_;
  metrics::Stats& stats_;
  mutable std::mutex mutex_;
  std::condition_variable_any wake_;
  std::optional<checkpoint::Checkpoint> pending_;  // guarded by mutex_
  uint64_t pending_published_ = 0;                 // guarded by mutex_
  Clock::MonotonicTime pending_offered_{};         // guarded by mutex_
  // When the oldest mark not yet saved was offered; none while every offer is saved.
  std::optional<Clock::MonotonicTime> unsaved_since_;  // guarded by mutex_
  uint64_t saved_published_ = 0;                       // guarded by mutex_
  Status failure_;                                     // guarded by mutex_
  checkpoint::Checkpoint last_saved_;                  // the writer's thread, then finish()
  SaveCadence cadence_;                                // the writer's thread
  std::jthread thread_;
};

}  // namespace mm::pipeline
