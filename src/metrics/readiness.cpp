#include "metrics/readiness.h"

#include <fmt/format.h>

namespace mm::metrics {

ReadinessSample sampleReadiness(const Stats& stats, int64_t now_unix,
                                std::chrono::seconds server_max_age) {
  ReadinessSample sample;
  sample.standby = get(stats.role) == static_cast<int>(Role::Standby);
  sample.source_connected = get(stats.source_connected);
  sample.broker_connected = get(stats.broker_connected);
  sample.read = binlog::Position{stats.readFile(), get(stats.read_position)};
  if (auto server = stats.serverState();
      server && now_unix - server->polled_unix <= server_max_age.count()) {
    sample.server = server->current;
  }
  sample.checkpoints_saved = get(stats.checkpoints_saved);
  sample.messages_unconfirmed = get(stats.messages_unconfirmed);
  return sample;
}

Readiness ReadinessRule::judge(const ReadinessSample& sample, TimePoint now) {
  // Track movement first, so a stall is timed from when it began whatever the connections did.
  const bool reader_moved = !last_read_ || !(*last_read_ == sample.read);
  last_read_ = sample.read;
  const bool server_ahead = sample.server && binlog::comesBefore(sample.read, *sample.server);
  if (reader_moved || !server_ahead) {
    reader_behind_since_.reset();
  } else if (!reader_behind_since_) {
    reader_behind_since_ = now;
  }
  const bool checkpoint_moved = sample.checkpoints_saved != last_checkpoints_saved_;
  last_checkpoints_saved_ = sample.checkpoints_saved;
  if (checkpoint_moved || sample.messages_unconfirmed == 0) {
    unconfirmed_since_.reset();
  } else if (!unconfirmed_since_) {
    unconfirmed_since_ = now;
  }

  if (sample.standby) {
    return {false, "not ready: standby: another monitor of this [monitor] name is active"};
  }
  if (!sample.source_connected) {
    return {false, "not ready: the binlog stream is not connected"};
  }
  if (!sample.broker_connected) {
    return {false, "not ready: the broker is not connected"};
  }
  const auto stalled_for = [&](const std::optional<TimePoint>& since) {
    return since ? std::chrono::duration_cast<std::chrono::seconds>(now - *since)
                 : std::chrono::seconds{0};
  };
  if (reader_behind_since_ && stalled_for(reader_behind_since_) >= stall_after_) {
    return {false,
            fmt::format("not ready: stalled: the server's binlog is at {}:{} but the reader has "
                        "stayed at {}:{} for {} s ([metrics] stall_seconds = {})",
                        sample.server->file, sample.server->offset, sample.read.file,
                        sample.read.offset, stalled_for(reader_behind_since_).count(),
                        stall_after_.count())};
  }
  if (unconfirmed_since_ && stalled_for(unconfirmed_since_) >= stall_after_) {
    return {false,
            fmt::format("not ready: stalled: {} messages await the broker's confirmation and "
                        "no checkpoint was saved for {} s ([metrics] stall_seconds = {})",
                        sample.messages_unconfirmed, stalled_for(unconfirmed_since_).count(),
                        stall_after_.count())};
  }
  return {true, fmt::format("ready: streaming at {}:{}, broker connected", sample.read.file,
                            sample.read.offset)};
}

}  // namespace mm::metrics
