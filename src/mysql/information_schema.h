// InformationSchema: a TableSchemaSource that reads the server's information_schema over its own
// connection (never the replica stream's), for tables whose TABLE_MAP lacks names, key, signedness,
// charsets or ENUM/SET members (binlog_row_metadata below FULL), and for MariaDB's JSON columns,
// which no binlog marks (LONGTEXT with a json_valid() CHECK).
//
// The key (SchemaColumn::is_primary_key) is the primary key, or for a table without one the first
// unique index over NOT NULL columns, as MySQL itself would promote; a table with neither has no key.
// It answers with the table's *current* definition; binlog::completeTableMap() refuses a mismatch in
// column count, and the schema history (issue 5) will make this exact for old events.
// Not thread-safe: owned by the transformer stage.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "binlog/table_schema.h"
#include "mysql/connection.h"

namespace mm::mysql {

class InformationSchema final : public binlog::TableSchemaSource {
 public:
  explicit InformationSchema(ConnectionOptions options) : options_(std::move(options)) {}

  Result<binlog::TableSchema> lookup(std::string_view database, std::string_view table) override;

 private:
  Result<std::vector<Row>> queryWithRetry(const std::string& sql);

  ConnectionOptions options_;
  Connection connection_;
};

// One row of information_schema.STATISTICS for a unique index.
struct UniqueIndexColumn {
  std::string index;
  std::string column;
  uint32_t seq_in_index = 0;
};

// The columns identifying a row: PRIMARY, else the first index (in the given order, rows of one
// index contiguous) whose columns are all NOT NULL; empty when none. `column_index` maps column
// names to positions in `nullable`. Exposed for tests.
std::vector<UniqueIndexColumn> chooseKey(const std::vector<UniqueIndexColumn>& unique_index_columns,
                                         const std::map<std::string, size_t, std::less<>>& column_index,
                                         const std::vector<bool>& nullable);

// The column of a MariaDB CHECK_CLAUSE that is exactly "json_valid(`col`)" (how MariaDB stores the
// JSON type's check), else nullopt. Exposed for tests.
std::optional<std::string> jsonValidColumn(std::string_view check_clause);

// Members of an ENUM/SET COLUMN_TYPE such as "enum('a','it''s')", unescaped. Exposed for tests.
std::vector<std::string> parseMembers(std::string_view column_type);

}  // namespace mm::mysql
