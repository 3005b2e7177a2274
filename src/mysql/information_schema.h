// InformationSchema: a TableSchemaSource that reads the server's information_schema over its own
// connection (never the replica stream's), for tables whose TABLE_MAP lacks names, key, signedness,
// binary-ness or ENUM/SET members (binlog_row_metadata below FULL).
//
// It answers with the table's *current* definition; binlog::completeTableMap() refuses a mismatch in
// column count, and the schema history (issue 5) will make this exact for old events.
// Not thread-safe: owned by the transformer stage.
#pragma once

#include "binlog/table_schema.h"
#include "mysql/connection.h"

namespace mm::mysql {

class InformationSchema final : public binlog::TableSchemaSource {
 public:
  explicit InformationSchema(ConnectionOptions options) : options_(std::move(options)) {}

  Result<binlog::TableSchema> lookup(std::string_view database, std::string_view table) override;

 private:
  ConnectionOptions options_;
  Connection connection_;
};

// Members of an ENUM/SET COLUMN_TYPE such as "enum('a','it''s')", unescaped. Exposed for tests.
std::vector<std::string> parseMembers(std::string_view column_type);

}  // namespace mm::mysql
