#include "pipeline/checkpoint_writer.h"

#include <time.h>

#include <fmt/format.h>

#include "common/thread_name.h"

namespace mm::pipeline {
namespace {

// CPU time of the calling thread (what a save costs, fsync's system time included).
std::chrono::nanoseconds threadCpuTime() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return std::chrono::seconds(t.tv_sec) + std::chrono::nanoseconds(t.tv_nsec);
}

}  // namespace

void reportSavedCheckpoint(metrics::Stats& stats, const checkpoint::Checkpoint& saved,
                           const Clock& clock) {
  stats.setCheckpoint(metrics::SavedCheckpoint{binlog::Position{saved.file, saved.offset},
                                               saved.rows_done, unixSeconds(clock.now())});
}

CheckpointWriter::CheckpointWriter(checkpoint::StateStore& state, const Clock& clock,
                                   std::chrono::milliseconds interval, checkpoint::Checkpoint saved,
                                   metrics::Stats& stats)
    : state_(state), clock_(clock), stats_(stats), last_saved_(std::move(saved)),
      cadence_(interval) {}

CheckpointWriter::~CheckpointWriter() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

void CheckpointWriter::offer(checkpoint::Checkpoint mark, uint64_t published) {
  if (!thread_.joinable()) {
    thread_ = std::jthread([this](std::stop_token stop) {
      nameThisThread("mm-checkpoint");
      // A thread must not end in an exception (std::terminate): what a library still throws
      // (std::bad_alloc, a format error) becomes the writer's sticky failure, as a failed save.
      try {
        loop(stop);
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex_);
        failure_ = Status::internal(fmt::format("checkpoint writer: {}", e.what()));
      }
    });
  }
  {
    std::lock_guard lock(mutex_);
    pending_ = std::move(mark);
    pending_published_ = published;
    pending_offered_ = clock_.monotonicNow();
    if (!unsaved_since_) {
      unsaved_since_ = pending_offered_;
    }
  }
  wake_.notify_one();
}

bool CheckpointWriter::behind(std::chrono::steady_clock::duration allowance, uint64_t published,
                              uint64_t limit) const {
  const auto now = clock_.monotonicNow();
  std::lock_guard lock(mutex_);
  return unsaved_since_ && now - *unsaved_since_ > allowance &&
         published - saved_published_ > limit;
}

Status CheckpointWriter::status() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

Status CheckpointWriter::saveNow(const checkpoint::Checkpoint& mark) {
  const auto started = clock_.monotonicNow();
  const auto cpu_before = threadCpuTime();
  Status status = state_.save(mark);
  cadence_.saved(started, clock_.monotonicNow(), threadCpuTime() - cpu_before);
  if (!status.isOk()) {
    return status.withContext("cannot save the checkpoint");
  }
  last_saved_ = mark;
  metrics::add(stats_.checkpoints_saved);
  reportSavedCheckpoint(stats_, mark, clock_);
  return Status::ok();
}

void CheckpointWriter::loop(std::stop_token stop) {
  std::unique_lock lock(mutex_);
  while (!stop.stop_requested()) {
    if (!wake_.wait(lock, stop, [&] { return pending_.has_value(); })) {
      return;  // stopped
    }
    if (!cadence_.due(clock_.monotonicNow())) {
      // Marks offered meanwhile replace this one; the newest is saved when the time comes.
      lock.unlock();
      (void)clock_.waitUntil(cadence_.next(), stop);
      lock.lock();
      continue;
    }
    checkpoint::Checkpoint mark = std::move(*pending_);
    const uint64_t published = pending_published_;
    pending_.reset();
    lock.unlock();
    Status saved = saveNow(mark);
    lock.lock();
    if (!saved.isOk()) {
      failure_ = std::move(saved);
      return;  // sticky: the publisher stops with it
    }
    saved_published_ = published;
    unsaved_since_ = pending_ ? std::optional(pending_offered_) : std::nullopt;
  }
}

Status CheckpointWriter::finish(const checkpoint::Checkpoint& mark) {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
  if (Status failed = status(); !failed.isOk()) {
    return failed;
  }
  if (mark.empty() || last_saved_ == mark) {
    return Status::ok();
  }
  return saveNow(mark);
}

}  // namespace mm::pipeline
