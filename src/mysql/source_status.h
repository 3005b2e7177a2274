// SourceStatus: what the metrics poll asks the source server now and then, on a short-lived
// connection of its own (the replica connection is busy streaming): its end of binlog, and how
// long it keeps binlogs before purging them automatically.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "binlog/position.h"
#include "common/status.h"
#include "mysql/connection.h"

namespace mm::mysql {

// The age (seconds) past which the server purges a binlog file automatically, from its global
// variables by lower-case name: binlog_expire_logs_seconds (MySQL 8.0, MariaDB 10.6+) when
// non-zero, else expire_logs_days; 0 = never (both 0 or absent, or MySQL 8.0.29+
// binlog_expire_logs_auto_purge = OFF).
int64_t binlogExpirySeconds(const std::map<std::string, std::string>& variables);

struct SourceBinlogStatus {
  binlog::Position current;    // SHOW MASTER STATUS (SHOW BINARY LOG STATUS on MySQL 8.4)
  int64_t expire_seconds = 0;  // binlogExpirySeconds()
};

// Reads both over `connection`. Errors name the server.
Result<SourceBinlogStatus> readSourceBinlogStatus(Connection& connection);

}  // namespace mm::mysql
