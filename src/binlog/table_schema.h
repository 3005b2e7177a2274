// What the binlog does not say about a table, and where to get it.
//
// Row events carry column types, not names; signedness, charsets, ENUM/SET members and the primary
// key only when binlog_row_metadata logs them. When a TABLE_MAP lacks them, a TableSchemaSource (the
// server's information_schema, implemented in src/mysql/) supplies them and completeTableMap()
// merges the two. The decoder itself never queries anything.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "binlog/charset.h"
#include "binlog/table_map.h"
#include "common/status.h"

namespace mm::binlog {

struct SchemaColumn {
  std::string name;
  bool is_unsigned = false;
  bool is_binary = false;  // binary character set (BINARY, VARBINARY, BLOB)
  Charset charset = Charset::Unknown;  // of a text column (CHARACTER_SET_NAME)
  bool is_json = false;  // MySQL's JSON type, or MariaDB's LONGTEXT with a json_valid() CHECK
  bool is_primary_key = false;
  uint32_t key_ordinal = 0;  // position within the primary key, 1-based, when is_primary_key
  std::vector<std::string> members;  // ENUM / SET members in definition order
};

struct TableSchema {
  std::vector<SchemaColumn> columns;  // in table order
};

// Looks a table's current definition up. Implementations say in their header whether they are
// thread-safe; errors name the table and the server.
class TableSchemaSource {
 public:
  virtual ~TableSchemaSource() = default;
  virtual Result<TableSchema> lookup(std::string_view database, std::string_view table) = 0;
};

// Does `map` lack anything a message needs (names, key, signedness, charsets, members, or whether a
// LONGTEXT utf8mb4_bin column is MariaDB's JSON, which no binlog says)?
bool needsSchema(const TableMap& map);

// Fills what `map` lacks from `schema`. Logged metadata always wins. Refuses (Corruption) when the
// column counts differ: a name must never be guessed for a value.
Result<TableMap> completeTableMap(const TableMap& map, const TableSchema& schema);

}  // namespace mm::binlog
