#include "mysql/table_engines.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace mm::mysql {

bool isTransactionalEngine(std::string_view engine) {
  std::string upper(engine);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return upper == "INNODB" || upper == "XTRADB" || upper == "ROCKSDB" || upper == "TOKUDB" ||
         upper == "NDBCLUSTER" || upper == "NDB";
}

bool TableEngines::nonTransactional(const std::string& database, const std::string& table) {
  auto key = std::make_pair(database, table);
  if (auto it = known_.find(key); it != known_.end()) {
    return it->second;
  }
  Result<std::vector<Row>> rows = Status::io("not connected");
  for (int attempt = 0; attempt < 2 && !rows.isOk(); ++attempt) {
    // A fresh connection on the retry: this one idles for as long as no ROLLBACK TO comes.
    if (attempt > 0 || !connection_.connected()) {
      if (Status connected = connection_.connect(options_); !connected.isOk()) {
        rows = connected;
        continue;
      }
    }
    rows = connection_.query(fmt::format(
        "SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = {} AND TABLE_NAME = {}",
        quoteLiteral(connection_, database), quoteLiteral(connection_, table)));
  }
  if (!rows.isOk() || rows->empty() || rows->front().empty() || !rows->front()[0]) {
    spdlog::warn(
        "table {}.{}: its storage engine could not be read ({}); taking it as transactional: "
        "its rows after a savepoint that a logged ROLLBACK TO undid are not published",
        database, table, rows.isOk() ? "not in information_schema" : rows.status().toString());
    return false;
  }
  const bool non_transactional = !isTransactionalEngine(*rows->front()[0]);
  known_.emplace(std::move(key), non_transactional);
  return non_transactional;
}

}  // namespace mm::mysql
