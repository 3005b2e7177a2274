// The inverse of binlog::decodeValue (binlog/column_value.h): a value as a SQL client reads it
// (the binary protocol's integers, floats, decimal text, dates and times, bytes) laid out as the
// server writes it into a row image for `column` (docs/binlog-format.md §4). The snapshot
// (mysql/snapshot_reader.h) reads rows with SELECT and encodes them so, and the transformer then
// decodes and renders them with the code of a row_insert: one renderer, the same bytes out
// (docs/design.md §13.1). Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "binlog/table_map.h"
#include "common/status.h"

namespace mm::binlog {

struct SqlValue {
  enum class Kind { Signed, Unsigned, Float, Double, Bytes, Temporal };
  Kind kind = Kind::Signed;
  int64_t i = 0;
  uint64_t u = 0;
  float f = 0;
  double d = 0;
  // Bytes: a string's bytes in the column's charset, a BIT's bytes (big-endian), a GEOMETRY's
  // SRID and WKB, or a DECIMAL's text ("-12.50").
  std::string_view bytes;
  // Temporal: DATE, DATETIME, TIMESTAMP (in UTC) or TIME (hours up to 838, `negative`).
  bool negative = false;
  uint32_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, micros = 0;
};

// Appends the row-image bytes of `value` for `column` (its real_type and metadata) to `out`.
// InvalidArgument naming the column type when the value does not fit it (a DECIMAL text that is
// not a number of its precision, a string longer than its prefix allows).
Status encodeValue(const TableMapColumn& column, const SqlValue& value, std::string& out);

// The packed DECIMAL of `text` for precision << 8 | scale (docs/binlog-format.md §4.3).
Status encodeDecimal(uint16_t metadata, std::string_view text, std::string& out);

// Seconds since the epoch of a UTC date and time (proleptic Gregorian).
int64_t unixSecondsOf(uint32_t year, uint32_t month, uint32_t day, uint32_t hour, uint32_t minute,
                      uint32_t second);

}  // namespace mm::binlog
