#include "binlog/value_encoder.h"

#include <array>
#include <cstring>

#include <fmt/format.h>

#include "binlog/column_type.h"

namespace mm::binlog {
namespace {

void putLe(std::string& out, uint64_t v, size_t bytes) {
  for (size_t i = 0; i < bytes; ++i) {
    out.push_back(static_cast<char>(v >> (8 * i)));
  }
}

void putBe(std::string& out, uint64_t v, size_t bytes) {
  for (size_t i = bytes; i-- > 0;) {
    out.push_back(static_cast<char>(v >> (8 * i)));
  }
}

size_t fractionBytes(uint16_t fsp) { return (fsp + 1) / 2; }

// The fraction of a DATETIME2 / TIMESTAMP2 as the server stores it for `fsp`.
void putFraction(std::string& out, uint32_t micros, uint16_t fsp) {
  switch (fractionBytes(fsp)) {
    case 1: putBe(out, micros / 10000, 1); break;
    case 2: putBe(out, micros / 100, 2); break;
    case 3: putBe(out, micros, 3); break;
    default: break;
  }
}

uint64_t integerOf(const SqlValue& v) {
  return v.kind == SqlValue::Kind::Unsigned ? v.u : static_cast<uint64_t>(v.i);
}

// TIME2: the packed value (hours, minutes, seconds << 24 | micros), negated when negative, as
// MySQL's my_time_packed_to_binary stores it.
void putTime2(std::string& out, const SqlValue& v, uint16_t fsp) {
  const int64_t hms = (static_cast<int64_t>(v.hour) << 12) | (v.minute << 6) | v.second;
  // The fraction is truncated to fsp digits, as the column holds it.
  constexpr uint32_t kUnit[7] = {1000000, 100000, 10000, 1000, 100, 10, 1};
  const uint32_t micros = v.micros / kUnit[fsp] * kUnit[fsp];
  int64_t packed = (hms << 24) + micros;
  if (v.negative) {
    packed = -packed;
  }
  const int64_t int_part = packed >> 24;  // arithmetic: floor
  const int64_t frac_part = packed % (1LL << 24);
  switch (fractionBytes(fsp)) {
    case 0: putBe(out, static_cast<uint64_t>(0x800000 + int_part), 3); break;
    case 1:
      putBe(out, static_cast<uint64_t>(0x800000 + int_part), 3);
      out.push_back(static_cast<char>(frac_part / 10000));
      break;
    case 2:
      putBe(out, static_cast<uint64_t>(0x800000 + int_part), 3);
      putBe(out, static_cast<uint64_t>(static_cast<uint16_t>(frac_part / 100)), 2);
      break;
    default: putBe(out, static_cast<uint64_t>(packed + 0x800000000000LL), 6); break;
  }
}

Status putString(std::string& out, std::string_view bytes, size_t prefix, const char* what) {
  if (prefix < 8 && bytes.size() >= (uint64_t{1} << (8 * prefix))) {
    return Status::invalidArgument(fmt::format("{} value of {} bytes does not fit a {}-byte length",
                                               what, bytes.size(), prefix));
  }
  putLe(out, bytes.size(), prefix);
  out.append(bytes);
  return Status::ok();
}

Status encodeTemporal(const TableMapColumn& column, const SqlValue& v, std::string& out) {
  const uint16_t fsp = column.metadata;
  switch (column.real_type) {
    case MYSQL_TYPE_DATE:
    case MYSQL_TYPE_NEWDATE: putLe(out, v.day | (v.month << 5) | (v.year << 9), 3); break;
    case MYSQL_TYPE_DATETIME2: {
      const uint64_t ym = uint64_t{v.year} * 13 + v.month;
      const uint64_t packed = (ym << 22) | (uint64_t{v.day} << 17) | (uint64_t{v.hour} << 12) |
                              (v.minute << 6) | v.second;
      putBe(out, packed + 0x8000000000ULL, 5);
      putFraction(out, v.micros, fsp);
      break;
    }
    case MYSQL_TYPE_TIMESTAMP2: {
      const bool zero = v.year == 0 && v.month == 0 && v.day == 0;
      const int64_t seconds =
          zero ? 0 : unixSecondsOf(v.year, v.month, v.day, v.hour, v.minute, v.second);
      putBe(out, static_cast<uint64_t>(seconds), 4);
      putFraction(out, v.micros, fsp);
      break;
    }
    case MYSQL_TYPE_TIME2: putTime2(out, v, fsp); break;
    default:
      return Status::invalidArgument(
          fmt::format("a date or time for a {} column", columnTypeName(column.real_type)));
  }
  return Status::ok();
}

}  // namespace

int64_t unixSecondsOf(uint32_t year, uint32_t month, uint32_t day, uint32_t hour, uint32_t minute,
                      uint32_t second) {
  // Howard Hinnant's days_from_civil.
  const int64_t y = static_cast<int64_t>(year) - (month <= 2 ? 1 : 0);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t m = month;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = era * 146097 + doe - 719468;
  return days * 86400 + hour * 3600 + minute * 60 + second;
}

Status encodeDecimal(uint16_t metadata, std::string_view text, std::string& out) {
  const int precision = metadata >> 8;
  const int scale = metadata & 0xFF;
  const bool negative = !text.empty() && text.front() == '-';
  if (negative || (!text.empty() && text.front() == '+')) {
    text.remove_prefix(1);
  }
  const size_t point = text.find('.');
  std::string whole(text.substr(0, point));
  std::string fraction(point == std::string_view::npos ? "" : text.substr(point + 1));
  while (whole.size() > 1 && whole.front() == '0') {
    whole.erase(0, 1);
  }
  const int int_digits = precision - scale;
  auto digitsOnly = [](const std::string& s) {
    return s.find_first_not_of("0123456789") == std::string::npos;
  };
  if (!digitsOnly(whole) || !digitsOnly(fraction) || static_cast<int>(fraction.size()) > scale ||
      (whole != "0" && static_cast<int>(whole.size()) > int_digits)) {
    return Status::invalidArgument(
        fmt::format("'{}' is not a DECIMAL({},{}) value", text, precision, scale));
  }
  if (whole == "0") {
    whole.clear();
  }
  whole.insert(0, static_cast<size_t>(int_digits) - whole.size(), '0');
  fraction.append(static_cast<size_t>(scale) - fraction.size(), '0');
  static constexpr std::array<int, 10> kDigitBytes = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};
  std::string packed;
  auto group = [&](std::string_view digits) {
    uint64_t v = 0;
    for (char c : digits) {
      v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    putBe(packed, v, static_cast<size_t>(kDigitBytes[digits.size()]));
  };
  const size_t lead = static_cast<size_t>(int_digits % 9);
  group(std::string_view(whole).substr(0, lead));
  for (size_t i = lead; i < whole.size(); i += 9) {
    group(std::string_view(whole).substr(i, 9));
  }
  for (size_t i = 0; i + 9 <= fraction.size(); i += 9) {
    group(std::string_view(fraction).substr(i, 9));
  }
  group(std::string_view(fraction).substr(fraction.size() - fraction.size() % 9));
  if (negative) {
    for (char& c : packed) {
      c = static_cast<char>(~c);
    }
  }
  if (!packed.empty()) {
    packed[0] = static_cast<char>(packed[0] ^ 0x80);
  }
  out += packed;
  return Status::ok();
}

Status encodeValue(const TableMapColumn& column, const SqlValue& v, std::string& out) {
  const uint16_t meta = column.metadata;
  switch (column.real_type) {
    case MYSQL_TYPE_TINY: putLe(out, integerOf(v), 1); break;
    case MYSQL_TYPE_SHORT: putLe(out, integerOf(v), 2); break;
    case MYSQL_TYPE_INT24: putLe(out, integerOf(v), 3); break;
    case MYSQL_TYPE_LONG: putLe(out, integerOf(v), 4); break;
    case MYSQL_TYPE_LONGLONG: putLe(out, integerOf(v), 8); break;
    case MYSQL_TYPE_YEAR: {
      const uint64_t year = integerOf(v);
      out.push_back(static_cast<char>(year == 0 ? 0 : year - 1900));
      break;
    }
    case MYSQL_TYPE_FLOAT: {
      uint32_t bits = 0;
      std::memcpy(&bits, &v.f, 4);
      putLe(out, bits, 4);
      break;
    }
    case MYSQL_TYPE_DOUBLE: {
      uint64_t bits = 0;
      std::memcpy(&bits, &v.d, 8);
      putLe(out, bits, 8);
      break;
    }
    case MYSQL_TYPE_NEWDECIMAL: return encodeDecimal(meta, v.bytes, out);
    case MYSQL_TYPE_BIT: {
      const size_t bytes = ((meta >> 8) * 8 + (meta & 0xFF) + 7) / 8;
      std::string_view b = v.bytes;
      out.append(bytes > b.size() ? bytes - b.size() : 0, '\0');  // left-padded, big-endian
      out.append(b.substr(b.size() > bytes ? b.size() - bytes : 0));
      break;
    }
    case MYSQL_TYPE_ENUM:
    case MYSQL_TYPE_SET: putLe(out, integerOf(v), meta); break;
    case MYSQL_TYPE_VARCHAR:
    case MYSQL_TYPE_VAR_STRING:
    case MYSQL_TYPE_STRING: return putString(out, v.bytes, meta < 256 ? 1 : 2, "string");
    case MYSQL_TYPE_BLOB:
    case MYSQL_TYPE_GEOMETRY:
    case MYSQL_TYPE_JSON: return putString(out, v.bytes, meta, "BLOB/TEXT");
    default: return encodeTemporal(column, v, out);
  }
  return Status::ok();
}

}  // namespace mm::binlog
