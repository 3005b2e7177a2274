// The keys of the snapshot's chunked SELECTs (mysql/snapshot_reader.h, docs/design.md §13): the
// opaque text a chunk's last key is saved as (SnapshotChunk::last_key, kept in the state file),
// and the SQL that selects the rows after it or the rows of a message's "keys" objects, built so
// that the server compares them exactly as ORDER BY orders the key (strings in the column's own
// charset and collation, temporals and numbers as themselves). Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "binlog/table_map.h"
#include "common/status.h"

namespace mm::mysql {

// What SQL needs besides the table map: per column its name and information_schema's
// CHARACTER_SET_NAME and COLLATION_NAME ("" for columns without).
struct ColumnSql {
  std::string name;
  std::string charset;
  std::string collation;
};

// What a key column's text form is: a number (integers, YEAR, FLOAT, DOUBLE, DECIMAL; ENUM and
// SET are selected as `col`+0, their index and bitmap), a temporal, or the value's raw bytes.
enum class KeyTextKind { Number, Temporal, Bytes };
KeyTextKind keyTextKind(uint8_t real_type);

// `name` quoted as an SQL identifier: `a``b`.
std::string quoteIdentifier(std::string_view name);

// The key columns, quoted, in key order: "`a`, `b`".
std::string keyColumnList(const binlog::TableMap& map);

// Key text: each key value's text form (a number or temporal as text, a string's raw bytes) hex
// encoded after an 'x' (so an empty string still shows), joined by ','. One printable line.
std::string encodeKeyText(const std::vector<std::string>& values);
// The values of a key text; InvalidArgument naming the text when it is not one.
Result<std::vector<std::string>> decodeKeyText(std::string_view text);

// The SQL literal of one key value of `column` from its text form: numbers (ENUM and SET by index
// and bitmap) as they are, temporals quoted ('2024-01-01 00:00:00.000000', '-01:00:00'), strings
// as `_charset X'..' COLLATE collation`, binary and BIT as X'..'. InvalidArgument when the text
// does not fit the column.
Result<std::string> keyLiteral(const binlog::TableMapColumn& column, const ColumnSql& sql,
                               std::string_view text);

// "WHERE ((`k1` > l1) OR (`k1` = l1 AND `k2` > l2))", the rows after the key text `after` of
// `map`'s key; InvalidArgument naming the table when the text does not fit its key (another
// table's, or an edited state file).
Result<std::string> rowsAfter(const binlog::TableMap& map, const std::vector<ColumnSql>& columns,
                              std::string_view after);

// The SQL literals of one "keys" object as a message writes it (message/row_message_builder.h:
// integers and BIT as numbers, DECIMAL and temporals as strings, TIMESTAMP with a Z, binary as
// base64, text as UTF-8), in key order: "l1, l2". InvalidArgument naming the object when it lacks a
// key column or a value does not fit.
Result<std::string> keysObjectLiterals(const binlog::TableMap& map,
                                       const std::vector<ColumnSql>& columns,
                                       std::string_view json);

}  // namespace mm::mysql
