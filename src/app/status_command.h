// `mysql-monitor status --config PATH`: one screen on where the monitor stands, read from the state
// file and the server, without disturbing a running monitor (plain queries, no replica connection):
// the saved position (and its source server), the server's current position, how far behind in
// bytes and binlog files, the server's binlog retention and whether the saved binlog still exists.
// How far behind in seconds would need the binlog's event times, which only a replica connection
// reads; the state file's age says how long ago the position last advanced instead.
// The snapshot (README "Snapshot"): the running monitor's progress from GET /snapshot when it
// answers on [metrics] listen, else the progress saved in the state file.
#pragma once

#include <string>

#include "checkpoint/checkpoint.h"
#include "config/config.h"

namespace mm::app {

// Prints to stdout. Exit codes (app/exit_codes.h): 0 (also when no state exists yet), 1 when the
// saved binlog is gone from the server, the state belongs to another server, or the server or the
// state file cannot be read.
// Requires: mysqlLibraryInit() was called.
int runStatus(const config::Config& config);

// The snapshot progress a state file holds, as `status` prints it when the monitor does not
// answer: "<id> saved: table `db`.`t` (1 of 3 left), 4096 rows confirmed, ...".
std::string savedSnapshotText(const checkpoint::SnapshotProgress& progress);

}  // namespace mm::app
