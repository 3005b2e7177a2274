// Column values as the origin published them (message/message_format.h, origin mode): the Python
// monitor's json.dumps of python-mysql-replication's values, with the two rules of issue 20 where
// it went wrong (docs/migrating-from-the-python-monitor.md, "Values"):
//   - where it published a wrong value (a negative TIME, TIMESTAMP(3) fractions, a zero TIMESTAMP,
//     YEAR 0), the right value is written in its format;
//   - where it could not publish at all (DECIMAL, SET, binary that is not UTF-8, and MySQL's JSON,
//     GEOMETRY and VECTOR, which it never rendered as text), appendOriginValue() declines and the
//     caller writes the native rendering.
// TIMESTAMP is rendered in UTC: the origin used its process's zone, UTC in its container. Pure
// functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "binlog/column_value.h"
#include "binlog/rows_event.h"
#include "binlog/table_map.h"

namespace mm::message {

// Appends the origin's JSON for `value`, decoded from a non-NULL cell of `column`, and returns
// true; returns false (nothing appended) for a value the origin could not publish.
bool appendOriginValue(const binlog::TableMapColumn& column, const binlog::CellValue& value,
                       std::string& out);

// Appends the JSON of a key column in the origin's "keys" object, from `value_json`, the text
// appendOriginValue() (or the native fallback) wrote for it. The origin took insert keys from the
// values it had made JSON-safe and update/delete keys from the raw values, and then replaced any
// value that was not an int or a string by str(value): a BIGINT UNSIGNED past 2^63 (a Python long)
// and a float become strings, and in updates and deletes a DATETIME or TIMESTAMP is written with a
// space ("2024-06-07 08:09:10").
void appendOriginKey(const binlog::TableMapColumn& column, std::string_view value_json,
                     binlog::RowsKind kind, std::string& out);

}  // namespace mm::message
