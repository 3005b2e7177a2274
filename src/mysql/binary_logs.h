// BinaryLogs: what the server still holds of its binlog (SHOW BINARY LOGS) and how far a saved
// position is behind its end, for `mysql-monitor status`. The size of the active (last) binlog is
// where the server is writing, so the bytes behind a position are what is left of its file plus
// every later file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "mysql/connection.h"

namespace mm::mysql {

struct BinaryLog {
  std::string name;   // e.g. "mysql-bin.000042"
  uint64_t size = 0;  // bytes; for the active binlog, the position being written
  bool operator==(const BinaryLog&) const = default;
};

// SHOW BINARY LOGS, oldest first. Errors name the server (REPLICATION CLIENT / BINLOG MONITOR is
// needed; binary logging off is an InvalidArgument).
Result<std::vector<BinaryLog>> listBinaryLogs(Connection& connection);

// SHOW MASTER STATUS, or SHOW BINARY LOG STATUS where MySQL 8.4 removed the old name: File,
// Position, ... (MySQL: Executed_Gtid_Set fifth).
Result<std::vector<Row>> binlogStatus(Connection& connection);

// How far `file:position` is behind the end of `logs`.
struct Backlog {
  bool file_present = false;  // false: `file` was purged (or never existed) on this server
  uint64_t bytes = 0;         // when present: bytes from the position to the end of the last binlog
  size_t later_files = 0;     // when present: binlogs after `file`
};
Backlog backlogOf(const std::vector<BinaryLog>& logs, const std::string& file, uint64_t position);

}  // namespace mm::mysql
