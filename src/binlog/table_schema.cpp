#include "binlog/table_schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <initializer_list>

#include "binlog/column_type.h"
#include "common/strings.h"

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
bool isOneOf(std::string_view value, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), value) != names.end();
}

// The TEXT/BLOB family is logged as MYSQL_TYPE_BLOB whose metadata is the length's byte count.
int blobLengthBytes(std::string_view data_type) {
  if (data_type == "tinytext" || data_type == "tinyblob") {
    return 1;
  }
  if (data_type == "text" || data_type == "blob") {
    return 2;
  }
  if (data_type == "mediumtext" || data_type == "mediumblob") {
    return 3;
  }
  if (data_type == "longtext" || data_type == "longblob") {
    return 4;
  }
  return 0;
}

// Whether the server logs a column of `data_type` as `c` (real_type: ENUM/SET/CHAR unpacked). An
// unknown data_type matches anything: only what is known can refute (so the types whose logging
// differs between servers, like VECTOR or MariaDB's INET6 and UUID, are left out).
bool typeMatches(const TableMapColumn& c, std::string_view data_type) {
  const uint8_t t = c.real_type;
  if (const int bytes = blobLengthBytes(data_type)) {
    return t == MYSQL_TYPE_BLOB && c.metadata == bytes;
  }
  if (data_type == "json") {  // MySQL's own type; MariaDB's is LONGTEXT
    return t == MYSQL_TYPE_JSON || (t == MYSQL_TYPE_BLOB && c.metadata == 4);
  }
  struct Family {
    std::initializer_list<std::string_view> names;
    std::initializer_list<uint8_t> types;
  };
  static const Family kFamilies[] = {
      {{"tinyint", "bool", "boolean"}, {MYSQL_TYPE_TINY}},
      {{"smallint"}, {MYSQL_TYPE_SHORT}},
      {{"mediumint"}, {MYSQL_TYPE_INT24}},
      {{"int", "integer"}, {MYSQL_TYPE_LONG}},
      {{"bigint"}, {MYSQL_TYPE_LONGLONG}},
      {{"float"}, {MYSQL_TYPE_FLOAT}},
      {{"double", "real"}, {MYSQL_TYPE_DOUBLE}},
      {{"decimal", "numeric"}, {MYSQL_TYPE_NEWDECIMAL, MYSQL_TYPE_DECIMAL}},
      {{"bit"}, {MYSQL_TYPE_BIT}},
      {{"year"}, {MYSQL_TYPE_YEAR}},
      {{"date"}, {MYSQL_TYPE_DATE, MYSQL_TYPE_NEWDATE}},
      {{"time"}, {MYSQL_TYPE_TIME, MYSQL_TYPE_TIME2}},
      {{"datetime"}, {MYSQL_TYPE_DATETIME, MYSQL_TYPE_DATETIME2}},
      {{"timestamp"}, {MYSQL_TYPE_TIMESTAMP, MYSQL_TYPE_TIMESTAMP2}},
      {{"char", "binary"}, {MYSQL_TYPE_STRING}},
      {{"varchar", "varbinary"}, {MYSQL_TYPE_VARCHAR, MYSQL_TYPE_VAR_STRING}},
      {{"enum"}, {MYSQL_TYPE_ENUM}},
      {{"set"}, {MYSQL_TYPE_SET}},
      {{"geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
        "multipolygon", "geometrycollection", "geomcollection"},
       {MYSQL_TYPE_GEOMETRY}},
  };
  for (const Family& family : kFamilies) {
    if (isOneOf(data_type, family.names)) {
      return std::find(family.types.begin(), family.types.end(), t) != family.types.end();
    }
  }
  return true;
}
}  // namespace

void markRowKey(TableSchema& schema) {
  for (SchemaColumn& c : schema.columns) {
    c.is_primary_key = false;
    c.key_ordinal = 0;
  }
  auto find = [&](std::string_view name) {
    return std::find_if(schema.columns.begin(), schema.columns.end(), [&](const SchemaColumn& c) {
      return equalsIgnoringAsciiCase(c.name, name);
    });
  };
  auto identifies = [&](const UniqueKey& key) {
    return !key.columns.empty() &&
           std::all_of(key.columns.begin(), key.columns.end(), [&](const std::string& name) {
             auto it = find(name);
             return it != schema.columns.end() && !it->nullable;
           });
  };
  auto chosen = std::find_if(schema.unique_keys.begin(), schema.unique_keys.end(),
                             [](const UniqueKey& key) { return key.name == "PRIMARY"; });
  if (chosen == schema.unique_keys.end()) {
    chosen = std::find_if(schema.unique_keys.begin(), schema.unique_keys.end(), identifies);
  }
  if (chosen == schema.unique_keys.end()) {
    return;
  }
  uint32_t ordinal = 0;
  for (const std::string& name : chosen->columns) {
    if (auto it = find(name); it != schema.columns.end()) {
      it->is_primary_key = true;
      it->key_ordinal = ++ordinal;
    }
  }
}

Status checkColumnTypes(const TableMap& map, const TableSchema& schema) {
  if (schema.columns.size() != map.columns.size()) {
    return Status::corruption(fmt::format("table {}.{}: the binlog has {} columns, the schema {}",
                                          map.database, map.table, map.columns.size(),
                                          schema.columns.size()));
  }
  for (size_t i = 0; i < map.columns.size(); ++i) {
    const TableMapColumn& c = map.columns[i];
    const SchemaColumn& s = schema.columns[i];
    if (!typeMatches(c, s.data_type)) {
      return Status::corruption(fmt::format(
          "table {}.{}: column {} is {} (metadata {}) in the binlog but `{}` {} in the schema",
          map.database, map.table, i + 1, columnTypeName(c.real_type), c.metadata, s.name,
          s.data_type));
    }
  }
  return Status::ok();
}

bool needsSchema(const TableMap& map) {
  if (!map.has_column_names || !map.has_primary_key) {
    return true;
  }
  return std::any_of(map.columns.begin(), map.columns.end(), [](const TableMapColumn& c) {
    return (isNumericType(c.real_type) && !c.has_signedness) ||
           (isCharacterType(c.real_type) && c.collation == 0) ||
           (hasMembers(c) && c.members.empty()) || mayBeMariadbJson(c);
  });
}

Result<TableMap> completeTableMap(const TableMap& map, const TableSchema& schema) {
  if (schema.columns.size() != map.columns.size()) {
    return Status::corruption(
        fmt::format("table {}.{}: the binlog has {} columns but the server's schema {}; the table "
                    "changed since "
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
