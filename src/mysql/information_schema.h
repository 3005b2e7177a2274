// InformationSchema: a TableSchemaSource that reads the server's information_schema over its own
// connection (never the replica stream's), for tables whose TABLE_MAP lacks names, key, signedness,
// charsets or ENUM/SET members (binlog_row_metadata below FULL), and for MariaDB's JSON columns,
// which no binlog marks (LONGTEXT with a json_valid() CHECK).
//
// The key (SchemaColumn::is_primary_key) is the primary key, or for a table without one the first
// unique index over NOT NULL columns, as MySQL itself would promote (binlog::markRowKey); a table
// with neither has no key. It answers with the table's *current* definition: the schema history
// (src/schema/) captures it at the start position and when a DDL cannot be followed.
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
  Result<std::vector<binlog::TableName>> listTables(
      const std::vector<std::string>& databases) override;
  Result<binlog::Charset> databaseCharset(std::string_view database) override;

 private:
  Result<std::vector<Row>> queryWithRetry(const std::string& sql);
  // MariaDB: marks the LONGTEXT columns that a CHECK (json_valid(...)) makes JSON.
  Status markMariadbJsonColumns(std::string_view database, std::string_view table,
                                binlog::TableSchema& schema);

  ConnectionOptions options_;
  Connection connection_;
};

// The column of a MariaDB CHECK_CLAUSE that is exactly "json_valid(`col`)" (how MariaDB stores the
// JSON type's check), else nullopt. Exposed for tests.
std::optional<std::string> jsonValidColumn(std::string_view check_clause);

// Members of an ENUM/SET COLUMN_TYPE such as "enum('a','it''s')", unescaped. Exposed for tests.
std::vector<std::string> parseMembers(std::string_view column_type);

}  // namespace mm::mysql
