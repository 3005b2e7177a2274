#include "message/origin_value.h"

#include <charconv>

#include <fmt/format.h>

#include "binlog/charset.h"
#include "binlog/column_type.h"
#include "message/python_text.h"

namespace mm::message {

using binlog::CellValue;
using binlog::TableMapColumn;

namespace {

// A temporal value as binlog/column_value.cpp writes it ("2024-02-29T13:45:10.123Z",
// "-838:59:59"), read back into its parts.
struct Temporal {
  bool negative = false;
  uint64_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  uint64_t micros = 0;
  bool utc = false;  // ended in 'Z': a TIMESTAMP that is an instant (not the zero one)
};

uint64_t readNumber(std::string_view text, size_t& at) {
  uint64_t value = 0;
  const auto result = std::from_chars(text.data() + at, text.data() + text.size(), value);
  at = static_cast<size_t>(result.ptr - text.data());
  return value;
}

// Skips one separator ('-', 'T', ':') when it is there.
void skip(std::string_view text, size_t& at) {
  if (at < text.size() && (text[at] < '0' || text[at] > '9')) {
    ++at;
  }
}

void readClock(std::string_view text, size_t& at, Temporal& t) {
  t.hour = readNumber(text, at);
  skip(text, at);
  t.minute = readNumber(text, at);
  skip(text, at);
  t.second = readNumber(text, at);
  if (at < text.size() && text[at] == '.') {
    ++at;
    int digits = 0;
    for (; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at, ++digits) {
      t.micros = t.micros * 10 + static_cast<uint64_t>(text[at] - '0');
    }
    for (; digits < 6; ++digits) {
      t.micros *= 10;
    }
  }
  t.utc = at < text.size() && text[at] == 'Z';
}

Temporal readTemporal(std::string_view text, bool has_date, bool has_clock) {
  Temporal t;
  size_t at = 0;
  if (has_date) {
    t.year = readNumber(text, at);
    skip(text, at);
    t.month = readNumber(text, at);
    skip(text, at);
    t.day = readNumber(text, at);
    skip(text, at);
  } else if (!text.empty() && text[0] == '-') {
    t.negative = true;
    at = 1;
  }
  if (has_clock) {
    readClock(text, at, t);
  }
  return t;
}

// python-mysql-replication gives None for a date Python cannot hold (a zero year, month or day).
bool pythonDate(const Temporal& t) { return t.year != 0 && t.month != 0 && t.day != 0; }

void appendDatetime(const Temporal& t, std::string& out) {
  out.append(fmt::format("\"{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}", t.year, t.month, t.day,
                         t.hour, t.minute, t.second));
  // isoformat() leaves out a zero fraction and writes six digits otherwise.
  if (t.micros != 0) {
    out.append(fmt::format(".{:06d}", t.micros));
  }
  out.push_back('"');
}

void appendTemporal(const TableMapColumn& column, std::string_view text, std::string& out) {
  switch (column.real_type) {
    case binlog::MYSQL_TYPE_DATE:
    case binlog::MYSQL_TYPE_NEWDATE: {
      const Temporal t = readTemporal(text, true, false);
      out.append(pythonDate(t) ? fmt::format("\"{:04d}-{:02d}-{:02d}\"", t.year, t.month, t.day)
                               : "null");
      return;
    }
    case binlog::MYSQL_TYPE_TIME:
    case binlog::MYSQL_TYPE_TIME2: {
      // The origin negated only the hours (-12:34:56 became "-1 day, 12:34:56"); this is the
      // value's own timedelta ("-1 day, 11:25:04").
      const Temporal t = readTemporal(text, false, true);
      const auto magnitude =
          static_cast<int64_t>(((t.hour * 60 + t.minute) * 60 + t.second) * 1000000 + t.micros);
      out.append(1, '"')
          .append(pythonTimedelta(t.negative ? -magnitude : magnitude))
          .append(1, '"');
      return;
    }
    default: {
      // DATETIME, and TIMESTAMP in UTC. The zero TIMESTAMP is null like the zero DATETIME (the
      // origin wrote 1970-01-01T00:00:00), and TIMESTAMP(3) fractions are milliseconds (the origin
      // read .123 as .000123).
      const Temporal t = readTemporal(text, true, true);
      const bool timestamp = column.real_type == binlog::MYSQL_TYPE_TIMESTAMP ||
                             column.real_type == binlog::MYSQL_TYPE_TIMESTAMP2;
      if (!pythonDate(t) || (timestamp && !t.utc)) {
        out.append("null");
      } else {
        appendDatetime(t, out);
      }
      return;
    }
  }
}

bool isTemporal(uint8_t type) {
  switch (type) {
    case binlog::MYSQL_TYPE_DATE:
    case binlog::MYSQL_TYPE_NEWDATE:
    case binlog::MYSQL_TYPE_TIME:
    case binlog::MYSQL_TYPE_TIME2:
    case binlog::MYSQL_TYPE_DATETIME:
    case binlog::MYSQL_TYPE_DATETIME2:
    case binlog::MYSQL_TYPE_TIMESTAMP:
    case binlog::MYSQL_TYPE_TIMESTAMP2: return true;
    default: return false;
  }
}

// BIT(n): n characters '0'/'1', the most significant bit first.
void appendBits(uint16_t metadata, uint64_t bits, std::string& out) {
  const size_t width = static_cast<size_t>(metadata >> 8) * 8 + (metadata & 0xFF);
  out.push_back('"');
  for (size_t i = width; i-- > 0;) {
    out.push_back(i < 64 && ((bits >> i) & 1) != 0 ? '1' : '0');
  }
  out.push_back('"');
}

std::string_view textOf(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Binary bytes were json.dumps'ed as a str, which Python 2 decodes as UTF-8: text when they are.
bool appendBinary(const CellValue& value, std::string& out) {
  if (!binlog::isValidUtf8(value.bytes)) {
    return false;
  }
  std::string padded(textOf(value.bytes));
  padded.resize(std::max(padded.size(), value.padded_length), '\0');
  appendPythonJsonString(padded, out);
  return true;
}

}  // namespace

bool appendOriginValue(const TableMapColumn& column, const CellValue& value, std::string& out) {
  if (column.real_type == binlog::MYSQL_TYPE_BIT) {
    appendBits(column.metadata, value.u, out);
    return true;
  }
  if (value.kind == CellValue::Kind::Chars && isTemporal(column.real_type)) {
    appendTemporal(column, {value.text.data(), value.text_len}, out);
    return true;
  }
  switch (value.kind) {
    case CellValue::Kind::Signed: out.append(fmt::format("{}", value.i)); return true;
    case CellValue::Kind::Unsigned: out.append(fmt::format("{}", value.u)); return true;
    // FLOAT is widened to a double, as Python holds it: 1.1 is 1.100000023841858.
    case CellValue::Kind::Float: appendPythonRepr(static_cast<double>(value.f), out); return true;
    case CellValue::Kind::Double: appendPythonRepr(value.d, out); return true;
    case CellValue::Kind::Text:
      if (column.real_type == binlog::MYSQL_TYPE_GEOMETRY) {
        return false;  // WKB bytes, which are no UTF-8
      }
      appendPythonJsonString(textOf(value.bytes), out);
      return true;
    case CellValue::Kind::Binary: return appendBinary(value, out);
    case CellValue::Kind::Json:
      // MariaDB's JSON is LONGTEXT: its text, verbatim, as a string. MySQL's and VECTOR: native.
      if (!column.is_json) {
        return false;
      }
      appendPythonJsonString(value.json, out);
      return true;
    case CellValue::Kind::Chars:  // DECIMAL: a Python Decimal, which json.dumps refused
    case CellValue::Kind::Set: return false;
  }
  return false;
}

namespace {

bool isPythonLong(const TableMapColumn& column, std::string_view json) {
  constexpr std::string_view kMaxInt = "9223372036854775807";
  if (column.real_type != binlog::MYSQL_TYPE_LONGLONG || !column.is_unsigned ||
      json.find_first_not_of("0123456789") != std::string_view::npos) {
    return false;
  }
  return json.size() > kMaxInt.size() || (json.size() == kMaxInt.size() && json > kMaxInt);
}

}  // namespace

void appendOriginKey(const TableMapColumn& column, std::string_view value_json,
                     binlog::RowsKind kind, std::string& out) {
  const uint8_t type = column.real_type;
  if ((type == binlog::MYSQL_TYPE_FLOAT || type == binlog::MYSQL_TYPE_DOUBLE) &&
      value_json != "null") {
    double value = 0;
    std::from_chars(value_json.data(), value_json.data() + value_json.size(), value);
    out.append(1, '"').append(pythonStr(value)).append(1, '"');
    return;
  }
  if (isPythonLong(column, value_json)) {
    out.append(1, '"').append(value_json).append(1, '"');
    return;
  }
  const bool datetime =
      type == binlog::MYSQL_TYPE_DATETIME || type == binlog::MYSQL_TYPE_DATETIME2 ||
      type == binlog::MYSQL_TYPE_TIMESTAMP || type == binlog::MYSQL_TYPE_TIMESTAMP2;
  // "2024-06-07T08:09:10": str() of a datetime has a space where isoformat() has the 'T'.
  constexpr size_t kSeparator = 11;  // after the quote and "YYYY-MM-DD"
  if (datetime && kind != binlog::RowsKind::Write && value_json.size() > kSeparator &&
      value_json[kSeparator] == 'T') {
    out.append(value_json.substr(0, kSeparator))
        .append(1, ' ')
        .append(value_json.substr(kSeparator + 1));
    return;
  }
  out.append(value_json);
}

}  // namespace mm::message
