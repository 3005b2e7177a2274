#include "mysql/binary_logs.h"

#include <charconv>

#include <fmt/format.h>

namespace mm::mysql {

Result<std::vector<Row>> binlogStatus(Connection& connection) {
  auto rows = connection.query("SHOW MASTER STATUS");
  if (!rows.isOk()) {
    auto renamed = connection.query("SHOW BINARY LOG STATUS");
    if (renamed.isOk()) {
      return renamed;
    }
  }
  return rows;
}

Result<std::vector<BinaryLog>> listBinaryLogs(Connection& connection) {
  auto rows = connection.query("SHOW BINARY LOGS");
  if (!rows.isOk()) {
    return rows.status().withContext(
        "SHOW BINARY LOGS (needs REPLICATION CLIENT, MariaDB: BINLOG MONITOR)");
  }
  std::vector<BinaryLog> logs;
  for (const Row& row : *rows) {
    if (row.size() < 2 || !row[0] || !row[1]) {
      return Status::protocol(
          fmt::format("MySQL server {}: SHOW BINARY LOGS returned a row without "
                      "Log_name and File_size",
                      connection.where()));
    }
    BinaryLog log{*row[0], 0};
    const std::string& size = *row[1];
    auto parsed = std::from_chars(size.data(), size.data() + size.size(), log.size);
    if (parsed.ec != std::errc() || parsed.ptr != size.data() + size.size()) {
      return Status::protocol(
          fmt::format("MySQL server {}: SHOW BINARY LOGS: File_size '{}' of {} is not a number",
                      connection.where(), size, log.name));
    }
    logs.push_back(std::move(log));
  }
  if (logs.empty()) {
    return Status::invalidArgument(fmt::format(
        "MySQL server {}: SHOW BINARY LOGS lists no binlog: binary logging (log_bin) is off",
        connection.where()));
  }
  return logs;
}

Backlog backlogOf(const std::vector<BinaryLog>& logs, const std::string& file, uint64_t position) {
  Backlog backlog;
  for (const BinaryLog& log : logs) {
    if (backlog.file_present) {
      backlog.bytes += log.size;
      ++backlog.later_files;
    } else if (log.name == file) {
      backlog.file_present = true;
      backlog.bytes = log.size > position ? log.size - position : 0;
    }
  }
  return backlog;
}

}  // namespace mm::mysql
