// binlog::SqlValue builders for tests: a value as a SQL client reads it (binlog/value_encoder.h),
// to encode into a row image's bytes.
#pragma once

#include <cstdint>
#include <string_view>

#include "binlog/value_encoder.h"

namespace mm::test {

inline binlog::SqlValue signedValue(int64_t i) {
  binlog::SqlValue v;
  v.kind = binlog::SqlValue::Kind::Signed;
  v.i = i;
  return v;
}

inline binlog::SqlValue unsignedValue(uint64_t u) {
  binlog::SqlValue v;
  v.kind = binlog::SqlValue::Kind::Unsigned;
  v.u = u;
  return v;
}

inline binlog::SqlValue bytesValue(std::string_view bytes) {
  binlog::SqlValue v;
  v.kind = binlog::SqlValue::Kind::Bytes;
  v.bytes = bytes;
  return v;
}

// A temporal as the binary protocol's MYSQL_TIME gives it.
inline binlog::SqlValue temporal(uint32_t year, uint32_t month, uint32_t day, uint32_t hour = 0,
                                 uint32_t minute = 0, uint32_t second = 0, uint32_t micros = 0) {
  binlog::SqlValue v;
  v.kind = binlog::SqlValue::Kind::Temporal;
  v.year = year;
  v.month = month;
  v.day = day;
  v.hour = hour;
  v.minute = minute;
  v.second = second;
  v.micros = micros;
  return v;
}

inline binlog::SqlValue timeValue(bool negative, uint32_t hour, uint32_t minute, uint32_t second,
                                  uint32_t micros = 0) {
  binlog::SqlValue v = temporal(0, 0, 0, hour, minute, second, micros);
  v.negative = negative;
  return v;
}

}  // namespace mm::test
