// What the binlog does not say about a table, and where to get it.
//
// Row events carry column types, not names; signedness, charsets, ENUM/SET members and the primary
// key only when binlog_row_metadata logs them. When a TABLE_MAP lacks them, the schema history
// (src/schema/, seeded and repaired through a TableSchemaSource: the server's information_schema,
// implemented in src/mysql/) supplies them; checkColumnTypes() verifies that both describe the same
// table and completeTableMap() merges the two. The decoder itself never queries anything.
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
  bool is_binary = false;              // binary character set (BINARY, VARBINARY, BLOB)
  Charset charset = Charset::Unknown;  // of a text column (CHARACTER_SET_NAME)
  bool is_json = false;  // MySQL's JSON type, or MariaDB's LONGTEXT with a json_valid() CHECK
  bool is_primary_key = false;
  uint32_t key_ordinal = 0;  // position within the primary key, 1-based, when is_primary_key
  std::vector<std::string> members;  // ENUM / SET members in definition order
  // information_schema's DATA_TYPE in lower case ("int", "varchar", "enum"; "json" where the DDL
  // said JSON); empty = unknown, then only the column count is checked against a TABLE_MAP.
  std::string data_type;
  bool nullable = true;
};

// A PRIMARY or UNIQUE index: the columns, by name, in index order.
struct UniqueKey {
  std::string name;  // "PRIMARY" for the primary key
  std::vector<std::string> columns;
};

struct TableSchema {
  std::vector<SchemaColumn> columns;   // in table order
  std::vector<UniqueKey> unique_keys;  // PRIMARY first, then in the server's (or the DDL's) order
  Charset default_charset = Charset::Unknown;  // of text columns added without a charset
};

struct TableName {
  std::string database;
  std::string table;
  bool operator==(const TableName&) const = default;
  auto operator<=>(const TableName&) const = default;
};

// Looks a table's current definition up. Implementations say in their header whether they are
// thread-safe; errors name the table and the server.
class TableSchemaSource {
 public:
  virtual ~TableSchemaSource() = default;
  virtual Result<TableSchema> lookup(std::string_view database, std::string_view table) = 0;
  // The base tables of `databases` (empty = every database but the server's own schemas).
  virtual Result<std::vector<TableName>> listTables(const std::vector<std::string>& databases) = 0;
  // The database's default character set (for tables created without one).
  virtual Result<Charset> databaseCharset(std::string_view database) = 0;
};

// Sets is_primary_key / key_ordinal from unique_keys: the PRIMARY key, else the first unique key
// whose columns are all NOT NULL (the one MySQL itself would promote); none when neither exists (a
// NULL-able unique key does not identify a row: several rows may hold NULL).
void markRowKey(TableSchema& schema);

// Whether `map` (as logged) and `schema` describe the same table: the same column count and, for
// every column whose data_type the schema knows, a type the server logs for it (TEXT/BLOB sizes
// included). The error names the table and the first column that differs.
Status checkColumnTypes(const TableMap& map, const TableSchema& schema);

// Does `map` lack anything a message needs (names, key, signedness, charsets, members, or whether a
// LONGTEXT utf8mb4_bin column is MariaDB's JSON, which no binlog says)?
bool needsSchema(const TableMap& map);

// Fills what `map` lacks from `schema`. Logged metadata always wins. Refuses (Corruption) when the
// column counts differ: a name must never be guessed for a value.
Result<TableMap> completeTableMap(const TableMap& map, const TableSchema& schema);

}  // namespace mm::binlog
