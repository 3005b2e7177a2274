// TABLE_MAP_EVENT (19): which table the following rows events change, with its column types,
// per-column metadata and, when the server logs it (binlog_row_metadata = MINIMAL or FULL), the
// optional metadata: signedness, charsets, names, ENUM/SET members, primary key.
// Layout: docs/binlog-format.md §2.3 (and §4 for per-type metadata sizes).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/byte_reader.h"
#include "common/status.h"

namespace mm::binlog {

struct TableMapColumn {
  uint8_t type = 0;       // as logged (ENUM/SET/CHAR/BINARY all arrive as MYSQL_TYPE_STRING)
  uint8_t real_type = 0;  // STRING unpacked into MYSQL_TYPE_ENUM / _SET / _STRING; else == type
  uint16_t metadata = 0;  // per-type metadata; for STRING the max length in bytes (or the ENUM/SET
                          // storage size); for NEWDECIMAL precision << 8 | scale
  bool nullable = false;
  // From optional metadata; unset when not logged.
  bool has_signedness = false;
  bool is_unsigned = false;
  uint32_t collation = 0;            // 0 = not logged / not a character column
  std::string name;                  // empty = not logged
  std::vector<std::string> members;  // ENUM / SET member strings in UTF-8, empty = not logged
  // The row-image layout of its values (binlog/column_value.h ValueLayout), worked out when the
  // TABLE_MAP is decoded so that splitting a row needs no dispatch on the type per value. Both 0:
  // not worked out (a zero-width or malformed type, or a map built by hand): sized per value.
  uint16_t value_width = 0;
  uint8_t value_prefix = 0;
  // A text column that holds JSON: MariaDB's JSON is a LONGTEXT with a json_valid() CHECK, which
  // only the schema tells (docs/binlog-format.md §4.7); completeTableMap() sets it.
  bool is_json = false;
};

struct TableMap {
  uint64_t table_id = 0;
  std::string database;
  std::string table;
  std::vector<TableMapColumn> columns;
  bool has_column_names = false;
  bool has_primary_key = false;       // SIMPLE_PRIMARY_KEY or PRIMARY_KEY_WITH_PREFIX was logged
  std::vector<uint32_t> primary_key;  // column indexes, in key order
};

// Decodes a TABLE_MAP body (after the common header, checksum stripped). post_header_len is the
// FORMAT_DESCRIPTION's entry for TABLE_MAP (6 means 4-byte table ids); `mariadb`: the
// FORMAT_DESCRIPTION is MariaDB's, whose SIGNEDNESS metadata has a bit for YEAR columns too.
// Errors name the field.
Result<TableMap> decodeTableMap(std::span<const uint8_t> body, uint8_t post_header_len,
                                bool mariadb = false);

// The table id that leads TABLE_MAP and rows event bodies: 4 bytes when the event type's
// post-header is 6 bytes long (the oldest format), else 6 (docs/binlog-format.md §2.3).
inline uint64_t readTableId(ByteReader& r, uint8_t post_header_len) {
  return post_header_len == 6 ? r.u32le() : r.u48le();
}

}  // namespace mm::binlog
