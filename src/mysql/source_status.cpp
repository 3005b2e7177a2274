#include "mysql/source_status.h"

#include <cstdlib>

#include "common/strings.h"
#include "mysql/binlog_stream.h"

namespace mm::mysql {
namespace {

constexpr int64_t kSecondsPerDay = 86400;

double numberOf(const std::map<std::string, std::string>& variables, const std::string& name) {
  auto it = variables.find(name);
  return it == variables.end() ? 0 : std::strtod(it->second.c_str(), nullptr);
}

}  // namespace

int64_t binlogExpirySeconds(const std::map<std::string, std::string>& variables) {
  if (auto purge = variables.find("binlog_expire_logs_auto_purge");
      purge != variables.end() && (purge->second == "OFF" || purge->second == "0")) {
    return 0;
  }
  const double seconds = numberOf(variables, "binlog_expire_logs_seconds");
  if (seconds > 0) {
    return static_cast<int64_t>(seconds);
  }
  // expire_logs_days may be fractional on MariaDB (e.g. 0.5).
  return static_cast<int64_t>(numberOf(variables, "expire_logs_days") * kSecondsPerDay);
}

Result<SourceBinlogStatus> readSourceBinlogStatus(Connection& connection) {
  auto current = resolveStartPosition(connection, binlog::StartPosition::current());
  if (!current.isOk()) {
    return current.status();
  }
  auto rows = connection.query("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('expire_logs_days', "
                               "'binlog_expire_logs_seconds', 'binlog_expire_logs_auto_purge')");
  if (!rows.isOk()) {
    return rows.status();
  }
  std::map<std::string, std::string> variables;
  for (const Row& row : *rows) {
    variables[asciiLower(row[0].value_or(""))] = row[1].value_or("");
  }
  return SourceBinlogStatus{std::move(current->position), binlogExpirySeconds(variables)};
}

}  // namespace mm::mysql
