#include "app/source_poller.h"

#include <spdlog/spdlog.h>

#include "common/thread_name.h"
#include "mysql/source_status.h"

namespace mm::app {

SourcePoller::SourcePoller(mysql::ConnectionOptions connection, std::chrono::seconds interval,
                           metrics::Stats& stats, const Clock& clock)
    : connection_(std::move(connection)), stats_(stats), clock_(clock) {
  // A poll must not hold up a stop for long.
  connection_.connect_timeout_seconds = 5;
  connection_.read_timeout_seconds = 5;
  thread_ = std::jthread([this, interval](std::stop_token stop) {
    nameThisThread("mm-source-poll");
    // A server that accepts and never answers must not hold up the daemon's exit.
    std::stop_callback on_stop(stop, [this] { stopping_ = true; });
    while (!stop.stop_requested()) {
      // A thread must not end in an exception (std::terminate): a failed poll (out of memory) is
      // logged, and the metrics go stale rather than take the daemon down.
      try {
        pollOnce();
      } catch (const std::exception& e) {
        spdlog::warn("metrics: polling the source failed: {}", e.what());
      }
      (void)clock_.waitFor(interval, stop);
    }
  });
}

void SourcePoller::pollOnce() {
  mysql::Connection connection;
  Status status = connection.connect(connection_, &stopping_);
  if (status.code() == StatusCode::Cancelled) {
    return;
  }
  if (status.isOk()) {
    auto answer = mysql::readSourceBinlogStatus(connection);
    if (answer.isOk()) {
      stats_.setServerState(metrics::ServerBinlogState{answer->current, answer->expire_seconds,
                                                       unixSeconds(clock_.now())});
      if (failing_) {
        spdlog::info("metrics: the source answers its binlog status again");
      }
      failing_ = false;
      return;
    }
    status = answer.status();
  }
  if (!failing_) {
    spdlog::warn("metrics: cannot read the source's binlog status (retention runway and stall "
                 "detection are out of date until it answers): {}",
                 status.toString());
  }
  failing_ = true;
}

}  // namespace mm::app
