// The snapshot's controls (README "Snapshot"): the HTTP routes the running monitor answers on its
// [metrics] listen address, and `mysql-monitor snapshot`, which calls them.
//
//   GET  /snapshot                      the running (or last) snapshot's progress, JSON
//   POST /snapshot?tables=db.t1,db.t2   starts one (none named: every published table):
//                                       202 with its id, 409 when one runs, 400 for a table
//                                       not published, 503 when the monitor takes none now
//   POST /snapshot/cancel               stops the running one after its chunk in flight: 200, or
//                                       409 when none runs
// Table names: DATABASE.TABLE, or `database`.`table` (backquotes doubled inside) for names that
// hold a dot or a comma.
#pragma once

#include <string_view>
#include <vector>

#include "app/options.h"
#include "binlog/table_schema.h"
#include "common/status.h"
#include "config/config.h"
#include "metrics/http_server.h"
#include "pipeline/snapshot_control.h"

namespace mm::app {

// The routes above over `control` (which must outlive the handler).
metrics::HttpHandler snapshotRoutes(pipeline::SnapshotControl& control);

// "db.t1,`d.b`.`t,2`" -> the names. InvalidArgument naming the first that does not parse.
Result<std::vector<binlog::TableName>> parseTableList(std::string_view text);

// `mysql-monitor snapshot`: exit 0 when accepted (or cancelled), 1 otherwise.
int runSnapshotCommand(const config::Config& config, const CommandLine& command_line);

// The snapshot part of `mysql-monitor status`: from the running monitor when it answers, else
// nothing (the caller prints the saved progress).
std::string snapshotStatusLines(const config::Config& config);

}  // namespace mm::app
