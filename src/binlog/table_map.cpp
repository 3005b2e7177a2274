#include "binlog/table_map.h"

#include <fmt/format.h>

#include "binlog/charset.h"
#include "binlog/column_type.h"
#include "binlog/column_value.h"
#include "common/byte_reader.h"

namespace mm::binlog {
namespace {

// MySQL caps tables at 4096 columns; anything above is corruption, checked before allocating.
constexpr uint64_t kMaxColumns = 4096;

enum OptionalMetadataType : uint8_t {
  SIGNEDNESS = 1,
  DEFAULT_CHARSET = 2,
  COLUMN_CHARSET = 3,
  COLUMN_NAME = 4,
  SET_STR_VALUE = 5,
  ENUM_STR_VALUE = 6,
  GEOMETRY_TYPE = 7,
  SIMPLE_PRIMARY_KEY = 8,
  PRIMARY_KEY_WITH_PREFIX = 9,
  ENUM_AND_SET_DEFAULT_CHARSET = 10,
  ENUM_AND_SET_COLUMN_CHARSET = 11,
  COLUMN_VISIBILITY = 12,
  VECTOR_DIMENSIONALITY = 13,
};

Status corrupt(const TableMap& map, std::string_view what) {
  return Status::corruption(fmt::format("TABLE_MAP_EVENT for table id {} ({}.{}): {}", map.table_id,
                                        map.database, map.table, what));
}

// Reads one column's metadata (docs/binlog-format.md §4.1) and fills metadata/real_type.
bool readColumnMetadata(ByteReader& r, TableMapColumn& column) {
  switch (column.type) {
    case MYSQL_TYPE_FLOAT:
    case MYSQL_TYPE_DOUBLE:
    case MYSQL_TYPE_BLOB:
    case MYSQL_TYPE_GEOMETRY:
    case MYSQL_TYPE_JSON:
    case MYSQL_TYPE_VECTOR:
    case MYSQL_TYPE_TIMESTAMP2:
    case MYSQL_TYPE_DATETIME2:
    case MYSQL_TYPE_TIME2: column.metadata = r.u8(); break;
    case MYSQL_TYPE_VARCHAR:
    case MYSQL_TYPE_VAR_STRING:
    case MYSQL_TYPE_BIT: column.metadata = r.u16le(); break;
    case MYSQL_TYPE_NEWDECIMAL: {
      const uint8_t precision = r.u8();
      const uint8_t scale = r.u8();
      column.metadata = static_cast<uint16_t>(precision << 8 | scale);
      break;
    }
    case MYSQL_TYPE_STRING: {
      // Byte 0 is the real type; lengths 256..1023 keep their bits 8-9 inverted in bits 4-5 of
      // byte 0 (server bug #37426 workaround), docs/binlog-format.md §4.6.
      const uint8_t b0 = r.u8();
      const uint8_t b1 = r.u8();
      if ((b0 & 0x30) != 0x30) {
        column.real_type = static_cast<uint8_t>(b0 | 0x30);
        column.metadata = static_cast<uint16_t>(b1 | (((b0 & 0x30) ^ 0x30) << 4));
      } else {
        column.real_type = b0;
        column.metadata = b1;
      }
      break;
    }
    default: column.metadata = 0; break;
  }
  return r.ok();
}

// Reads ⌈count/8⌉ bytes, MSB-first, as used by SIGNEDNESS and COLUMN_VISIBILITY.
std::vector<bool> readMsbFirstBits(ByteReader& r, size_t count) {
  std::vector<bool> bits(count);
  auto bytes = r.bytes((count + 7) / 8);
  if (!r.ok()) {
    return {};
  }
  for (size_t i = 0; i < count; ++i) {
    bits[i] = (bytes[i / 8] >> (7 - i % 8)) & 1;
  }
  return bits;
}

// DEFAULT_CHARSET style: a default collation, then (index, collation) exceptions; applies to the
// columns selected by `selected`, counting only those.
template <typename Pred>
bool applyDefaultCharset(ByteReader& r, std::vector<TableMapColumn>& columns, Pred selected) {
  const uint64_t default_collation = r.packedInt();
  std::vector<TableMapColumn*> targets;
  for (auto& c : columns) {
    if (selected(c)) {
      c.collation = static_cast<uint32_t>(default_collation);
      targets.push_back(&c);
    }
  }
  while (r.ok() && !r.empty()) {
    const uint64_t index = r.packedInt();
    const uint64_t collation = r.packedInt();
    if (!r.ok() || index >= targets.size()) {
      return false;
    }
    targets[index]->collation = static_cast<uint32_t>(collation);
  }
  return r.ok();
}

template <typename Pred>
bool applyColumnCharsets(ByteReader& r, std::vector<TableMapColumn>& columns, Pred selected) {
  for (auto& c : columns) {
    if (selected(c)) {
      c.collation = static_cast<uint32_t>(r.packedInt());
    }
  }
  return r.ok() && r.empty();
}

bool applyMembers(ByteReader& r, std::vector<TableMapColumn>& columns, uint8_t real_type) {
  for (auto& c : columns) {
    if (c.real_type != real_type) {
      continue;
    }
    const uint64_t count = r.packedInt();
    if (!r.ok() || count > r.remaining()) {
      return false;
    }
    c.members.reserve(count);
    for (uint64_t i = 0; i < count; ++i) {
      const uint64_t len = r.packedInt();
      c.members.emplace_back(r.chars(len));
    }
  }
  return r.ok() && r.empty();
}

bool isEnumOrSet(const TableMapColumn& c) {
  return c.real_type == MYSQL_TYPE_ENUM || c.real_type == MYSQL_TYPE_SET;
}
bool isCharacter(const TableMapColumn& c) { return isCharacterType(c.real_type); }

// SIGNEDNESS: one bit per numeric column, MSB first, set for UNSIGNED. MariaDB gives YEAR (a
// Field_tiny there) a bit too, MySQL does not (its is_numeric_type()): found by the live
// snapshot-reader test, where a signed INT after a YEAR came out UNSIGNED.
bool carriesSignedness(const TableMapColumn& c, bool mariadb) {
  return isNumericType(c.real_type) || (mariadb && c.real_type == MYSQL_TYPE_YEAR);
}

bool applySignedness(ByteReader& r, std::vector<TableMapColumn>& columns, bool mariadb) {
  size_t numeric = 0;
  for (const auto& c : columns) {
    numeric += carriesSignedness(c, mariadb) ? 1 : 0;
  }
  auto bits = readMsbFirstBits(r, numeric);
  const bool ok = r.ok();
  size_t k = 0;
  for (auto& c : columns) {
    if (ok && carriesSignedness(c, mariadb)) {
      const bool is_unsigned = bits[k++];
      if (isNumericType(c.real_type)) {  // YEAR's bit says nothing a message needs
        c.has_signedness = true;
        c.is_unsigned = is_unsigned;
      }
    }
  }
  return ok;
}

// COLUMN_NAME: a length-prefixed name for every column.
bool applyColumnNames(ByteReader& r, TableMap& map) {
  for (auto& c : map.columns) {
    c.name = std::string(r.chars(r.packedInt()));
  }
  const bool ok = r.ok() && r.empty();
  map.has_column_names = ok;
  return ok;
}

// SIMPLE_PRIMARY_KEY: the key's column indexes; PRIMARY_KEY_WITH_PREFIX: each with a prefix length.
bool applyPrimaryKey(ByteReader& r, TableMap& map, bool with_prefix) {
  bool ok = true;
  while (ok && !r.empty()) {
    map.primary_key.push_back(static_cast<uint32_t>(r.packedInt()));
    if (with_prefix) {
      (void)r.packedInt();  // prefix length: the whole logged value is the key either way
    }
    ok = r.ok();
  }
  map.has_primary_key = true;
  return ok;
}

// Applies one optional metadata field of `type` (its value in `field`) to `map`; false when
// malformed.
bool applyOptionalField(uint8_t type, ByteReader& field, TableMap& map, bool mariadb) {
  switch (type) {
    case SIGNEDNESS: return applySignedness(field, map.columns, mariadb);
    case DEFAULT_CHARSET: return applyDefaultCharset(field, map.columns, isCharacter);
    case COLUMN_CHARSET: return applyColumnCharsets(field, map.columns, isCharacter);
    case ENUM_AND_SET_DEFAULT_CHARSET: return applyDefaultCharset(field, map.columns, isEnumOrSet);
    case ENUM_AND_SET_COLUMN_CHARSET: return applyColumnCharsets(field, map.columns, isEnumOrSet);
    case COLUMN_NAME: return applyColumnNames(field, map);
    case SET_STR_VALUE: return applyMembers(field, map.columns, MYSQL_TYPE_SET);
    case ENUM_STR_VALUE: return applyMembers(field, map.columns, MYSQL_TYPE_ENUM);
    case SIMPLE_PRIMARY_KEY: return applyPrimaryKey(field, map, /*with_prefix=*/false);
    case PRIMARY_KEY_WITH_PREFIX: return applyPrimaryKey(field, map, /*with_prefix=*/true);
    default:
      // GEOMETRY_TYPE, COLUMN_VISIBILITY, VECTOR_DIMENSIONALITY and types newer than us: skipped
      // by length, as the format intends.
      return true;
  }
}

// Members are logged in the column's charset (and its charset field comes after them): converted
// once here, so every ENUM/SET value is UTF-8 whether its members came from here or from
// information_schema.
void membersToUtf8(std::vector<TableMapColumn>& columns) {
  std::string utf8;
  for (TableMapColumn& c : columns) {
    const Charset charset = charsetOfCollation(c.collation);
    if (!isEnumOrSet(c) || charset == Charset::Binary) {
      continue;
    }
    for (std::string& member : c.members) {
      const auto* bytes = reinterpret_cast<const uint8_t*>(member.data());
      transcodeToUtf8(charset, {bytes, member.size()}, utf8);
      member = utf8;
    }
  }
}

// The optional metadata fields (type, length, value) that end the body (§2.3).
Status decodeOptionalMetadata(ByteReader& r, TableMap& map, bool mariadb) {
  while (!r.empty()) {
    const uint8_t type = r.u8();
    const uint64_t length = r.packedInt();
    ByteReader field = r.sub(length);
    if (!r.ok()) {
      return corrupt(map, fmt::format("optional metadata field {} truncated", type));
    }
    if (!applyOptionalField(type, field, map, mariadb)) {
      return corrupt(map, fmt::format("optional metadata field {} malformed", type));
    }
  }
  for (uint32_t index : map.primary_key) {
    if (index >= map.columns.size()) {
      return corrupt(map, fmt::format("primary key column index {} out of range", index));
    }
  }
  membersToUtf8(map.columns);
  return Status::ok();
}

}  // namespace

Result<TableMap> decodeTableMap(std::span<const uint8_t> body, uint8_t post_header_len,
                                bool mariadb) {
  ByteReader r(body);
  TableMap map;
  map.table_id = readTableId(r, post_header_len);
  (void)r.u16le();  // flags
  const uint8_t db_len = r.u8();
  map.database = std::string(r.chars(db_len));
  r.skip(1);  // NUL
  const uint8_t table_len = r.u8();
  map.table = std::string(r.chars(table_len));
  r.skip(1);  // NUL
  const uint64_t column_count = r.packedInt();
  if (!r.ok()) {
    return corrupt(map, "truncated header");
  }
  if (column_count == 0 || column_count > kMaxColumns || column_count > r.remaining()) {
    return corrupt(map, fmt::format("invalid column count {}", column_count));
  }
  map.columns.resize(column_count);
  auto types = r.bytes(column_count);
  for (size_t i = 0; i < column_count; ++i) {
    map.columns[i].type = types[i];
    map.columns[i].real_type = types[i];
  }
  const uint64_t metadata_len = r.packedInt();
  ByteReader metadata = r.sub(metadata_len);
  if (!r.ok()) {
    return corrupt(map, "column metadata truncated");
  }
  for (size_t i = 0; i < column_count; ++i) {
    if (!readColumnMetadata(metadata, map.columns[i])) {
      return corrupt(map, fmt::format("metadata of column {} ({}) truncated", i,
                                      columnTypeName(map.columns[i].type)));
    }
  }
  if (!metadata.empty()) {
    return corrupt(map,
                   fmt::format("{} unexpected bytes after column metadata", metadata.remaining()));
  }
  for (TableMapColumn& column : map.columns) {
    // A type that cannot be sized is reported by the rows event that holds a value of it.
    if (ValueLayout layout; valueLayout(column, layout).isOk()) {
      column.value_width = layout.fixed;
      column.value_prefix = layout.prefix;
    }
  }
  auto null_bits = r.bytes((column_count + 7) / 8);
  if (!r.ok()) {
    return corrupt(map, "null bitmap truncated");
  }
  for (size_t i = 0; i < column_count; ++i) {
    map.columns[i].nullable = (null_bits[i / 8] >> (i % 8)) & 1;
  }
  MM_RETURN_IF_ERROR(decodeOptionalMetadata(r, map, mariadb));
  return map;
}

}  // namespace mm::binlog
