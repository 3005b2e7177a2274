// SourcePoller: asks the source server, every `interval` on a short-lived connection of its own,
// where its binlog ends and when it purges binlogs (mysql/source_status.h), and hands the answer
// to the metrics (the server position feeds /readyz's stall rule, the expiry the retention
// runway). A failed poll is logged once per run of failures and leaves the last answer in place.
#pragma once

#include <atomic>
#include <chrono>
#include <thread>

#include "common/clock.h"
#include "metrics/stats.h"
#include "mysql/connection.h"

namespace mm::app {

class SourcePoller {
 public:
  // Polls at once, then every `interval`, until destroyed. `stats` and `clock` must outlive it.
  SourcePoller(mysql::ConnectionOptions connection, std::chrono::seconds interval,
               metrics::Stats& stats, const Clock& clock);

 private:
  void pollOnce();

  mysql::ConnectionOptions connection_;
  metrics::Stats& stats_;
  const Clock& clock_;
  bool failing_ = false;
  std::atomic<bool> stopping_{false};  // set when thread_ is asked to stop: ends a connect at once
  std::jthread thread_;                // last: starts after the members it uses
};

}  // namespace mm::app
