// The cut-over from the Python monitor (issue 20; docs/migrating-from-the-python-monitor.md
// "Cut-over"): on a first start, with no state of our own, its state file says where it stopped,
// the end of a rows event it published, usually inside a transaction. mysql-monitor continues at
// the start of that transaction, so nothing of it is lost; its rows up to that position, which the
// origin had published, are published again (duplicates, never a gap). The daemon starts there and
// `status` shows it.
#pragma once

#include <optional>

#include "binlog/position.h"
#include "checkpoint/checkpoint.h"
#include "common/status.h"
#include "config/config.h"
#include "mysql/connection.h"

namespace mm::app {

struct OriginCutOver {
  binlog::Position origin;       // what the origin's state file holds
  checkpoint::Checkpoint start;  // the start of the transaction holding it
};

// nullopt when [monitor] state_path has no origin state file (config.monitor.origin_state_file).
// Errors: the file does not parse, or the server cannot list that binlog (purged, a position past
// its end), each naming the file and the fix.
Result<std::optional<OriginCutOver>> originCutOver(const config::Config& config,
                                                   mysql::Connection& connection);

}  // namespace mm::app
