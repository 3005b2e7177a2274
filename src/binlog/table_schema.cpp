#include "binlog/table_schema.h"

#include <algorithm>

#include <fmt/format.h>

#include "binlog/column_type.h"

namespace mm::binlog {
namespace {
bool hasMembers(const TableMapColumn& c) {
  return c.real_type == MYSQL_TYPE_ENUM || c.real_type == MYSQL_TYPE_SET;
}

// MariaDB's JSON type is LONGTEXT (BLOB with 4 length bytes) COLLATE utf8mb4_bin (46): such a
// column may be JSON, and only the schema's CHECK (json_valid(...)) tells. A MySQL LONGTEXT
// utf8mb4_bin costs one lookup per table too; MySQL's own JSON has a type of its own.
constexpr uint32_t kUtf8mb4BinCollation = 46;
bool mayBeMariadbJson(const TableMapColumn& c) {
  return c.real_type == MYSQL_TYPE_BLOB && c.metadata == 4 && c.collation == kUtf8mb4BinCollation;
}
}  // namespace

bool needsSchema(const TableMap& map) {
  if (!map.has_column_names || !map.has_primary_key) {
    return true;
  }
  return std::any_of(map.columns.begin(), map.columns.end(), [](const TableMapColumn& c) {
    return (isNumericType(c.real_type) && !c.has_signedness) ||
           (isCharacterType(c.real_type) && c.collation == 0) || (hasMembers(c) && c.members.empty()) ||
           mayBeMariadbJson(c);
  });
}

Result<TableMap> completeTableMap(const TableMap& map, const TableSchema& schema) {
  if (schema.columns.size() != map.columns.size()) {
    return Status::corruption(fmt::format(
        "table {}.{}: the binlog has {} columns but the server's schema {}; the table changed since "
        "this event was written, and values cannot be named safely",
        map.database, map.table, map.columns.size(), schema.columns.size()));
  }
  TableMap out = map;
  std::vector<std::pair<uint32_t, uint32_t>> key;  // (ordinal, column index)
  for (size_t i = 0; i < out.columns.size(); ++i) {
    TableMapColumn& c = out.columns[i];
    const SchemaColumn& s = schema.columns[i];
    if (!map.has_column_names) {
      c.name = s.name;
    }
    if (isNumericType(c.real_type) && !c.has_signedness) {
      c.has_signedness = true;
      c.is_unsigned = s.is_unsigned;
    }
    if ((isCharacterType(c.real_type) || hasMembers(c)) && c.collation == 0) {
      // Only the charset matters for decoding: its default collation stands for the column's.
      c.collation = s.is_binary ? kBinaryCollation : defaultCollationOf(s.charset);
    }
    if (hasMembers(c) && c.members.empty()) {
      c.members = s.members;  // UTF-8, as information_schema returns them
    }
    c.is_json = c.real_type == MYSQL_TYPE_BLOB && s.is_json;
    if (s.is_primary_key) {
      key.emplace_back(s.key_ordinal, static_cast<uint32_t>(i));
    }
  }
  out.has_column_names = true;
  if (!map.has_primary_key) {
    std::sort(key.begin(), key.end());
    out.primary_key.clear();
    for (const auto& k : key) {
      out.primary_key.push_back(k.second);
    }
    out.has_primary_key = true;
  }
  return out;
}

}  // namespace mm::binlog
