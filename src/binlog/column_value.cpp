#include "binlog/column_value.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include <fmt/format.h>

#include "binlog/charset.h"
#include "binlog/column_type.h"
#include "binlog/geometry.h"
#include "binlog/json_binary.h"
#include "binlog/json_text.h"
#include "common/digits.h"

namespace mm::binlog {
namespace {

// dig2bytes[k]: bytes of a decimal group holding k digits (docs/binlog-format.md §4.3).
constexpr int kDigitsToBytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};
constexpr int kDigitsPerGroup = 9;

size_t decimalSize(uint16_t metadata) {
  const int precision = metadata >> 8;
  const int scale = metadata & 0xFF;
  const int intg = precision - scale;
  return static_cast<size_t>((intg / kDigitsPerGroup) * 4 + kDigitsToBytes[intg % kDigitsPerGroup] +
                             (scale / kDigitsPerGroup) * 4 +
                             kDigitsToBytes[scale % kDigitsPerGroup]);
}

size_t fractionBytes(uint16_t fsp) { return (fsp + 1u) / 2u; }

// MySQL allows fractional-second precision 0..6; anything else in the metadata is corruption.
constexpr uint16_t kMaxFsp = 6;

Status checkFsp(uint16_t fsp) {
  if (fsp > kMaxFsp) {
    return Status::corruption(fmt::format("fractional precision {} is not 0..6", fsp));
  }
  return Status::ok();
}

// Precision 1..65, scale 0..30 and <= precision (MySQL's DECIMAL limits). Checked before sizing:
// decimalSize() indexes kDigitsToBytes with precision - scale.
Status checkDecimalMetadata(uint16_t metadata) {
  const int precision = metadata >> 8;
  const int scale = metadata & 0xFF;
  if (precision == 0 || precision > 65 || scale > 30 || scale > precision) {
    return Status::corruption(
        fmt::format("DECIMAL({},{}) metadata out of range", precision, scale));
  }
  return Status::ok();
}

size_t bitBytes(uint16_t metadata) {
  const size_t bits = static_cast<size_t>(metadata >> 8) * 8 + (metadata & 0xFF);
  return (bits + 7) / 8;
}

// Why a value of `layout` does not fit in what `r` has left (readLaidOutValue() said so).
Status valueMisfit(ByteReader r, ValueLayout layout) {
  if (layout.prefix == 0) {
    return Status::corruption(fmt::format("value of {} bytes truncated", layout.fixed));
  }
  const uint64_t length = r.uintLe(layout.prefix);
  return Status::corruption(
      fmt::format("value length {} exceeds the {} bytes left", length, r.ok() ? r.remaining() : 0));
}

// Renders a Kind::Chars value straight into out.text with the digit writers (common/digits.h).
// Every value this file renders is far shorter than the buffer (the longest, a DECIMAL(65,30) whose
// groups hold out-of-range digits, is 77 chars; column_value.h sizes the buffer).
class CharsWriter {
 public:
  explicit CharsWriter(CellValue& out) : out_(out), p_(out.text.data()) {
    out_.kind = CellValue::Kind::Chars;
  }
  ~CharsWriter() { out_.text_len = static_cast<uint8_t>(p_ - out_.text.data()); }
  CharsWriter(const CharsWriter&) = delete;
  CharsWriter& operator=(const CharsWriter&) = delete;

  void put(char c) { *p_++ = c; }
  void two(uint64_t v) {
    p_ = v < 100 ? writeTwoDigits(p_, static_cast<uint32_t>(v)) : writeDigits(p_, v);
  }
  void digits(uint64_t v, int min_width = 1) { p_ = writeDigits(p_, v, min_width); }
  // "YYYY-MM-DD", each field at least that wide.
  void date(uint64_t year, uint64_t month, uint64_t day) {
    digits(year, 4);
    put('-');
    two(month);
    put('-');
    two(day);
  }
  // "HH:MM:SS", each field at least two digits (TIME hours go up to 838).
  void time(uint64_t hours, uint64_t minutes, uint64_t seconds) {
    two(hours);
    put(':');
    two(minutes);
    put(':');
    two(seconds);
  }
  size_t length() const { return static_cast<size_t>(p_ - out_.text.data()); }
  // Drops the first `n` chars written (a sign that turned out to be wrong).
  void dropFront(size_t n) {
    std::memmove(out_.text.data(), out_.text.data() + n, length() - n);
    p_ -= n;
  }

 private:
  CellValue& out_;
  char* p_;
};

// A packed DECIMAL's bytes as a magnitude in `buf`: the sign bit flipped back, and every byte of a
// negative number inverted (§4.3). Returns whether the number is negative.
bool decimalMagnitude(std::span<const uint8_t> bytes, std::array<uint8_t, 32>& buf) {
  std::memcpy(buf.data(), bytes.data(), bytes.size());
  const bool negative = (buf[0] & 0x80) == 0;
  buf[0] ^= 0x80;
  if (negative) {
    for (size_t i = 0; i < bytes.size(); ++i) {
      buf[i] = static_cast<uint8_t>(~buf[i]);
    }
  }
  return negative;
}

// The `intg` integer digits: a short leading group, then groups of nine, without leading zeros
// ("0" when all are zero). Returns whether they were all zero.
bool writeDecimalInteger(ByteReader& r, int intg, CharsWriter& w) {
  const int lead_digits = intg % kDigitsPerGroup;
  bool started = false;
  auto emitGroup = [&](uint64_t value, int digits) {
    if (started) {
      w.digits(value, digits);
    } else if (value != 0) {
      w.digits(value);
      started = true;
    }
  };
  if (lead_digits > 0) {
    emitGroup(r.uintBe(kDigitsToBytes[lead_digits]), lead_digits);
  }
  for (int g = 0; g < intg / kDigitsPerGroup; ++g) {
    emitGroup(r.uintBe(4), kDigitsPerGroup);
  }
  if (!started) {
    w.put('0');
  }
  return !started;
}

// "." and exactly `scale` fraction digits (none for scale 0): groups of nine, then a short one.
// Returns whether they were all zero.
bool writeDecimalFraction(ByteReader& r, int scale, CharsWriter& w) {
  if (scale == 0) {
    return true;
  }
  bool all_zero = true;
  w.put('.');
  for (int g = 0; g < scale / kDigitsPerGroup; ++g) {
    const uint64_t v = r.uintBe(4);
    all_zero = all_zero && v == 0;
    w.digits(v, kDigitsPerGroup);
  }
  const int tail = scale % kDigitsPerGroup;
  if (tail > 0) {
    const uint64_t v = r.uintBe(kDigitsToBytes[tail]);
    all_zero = all_zero && v == 0;
    w.digits(v, tail);
  }
  return all_zero;
}

// Microseconds of a temporal v2 fraction of `fsp` digits, stored in (fsp+1)/2 BE bytes.
uint32_t fractionMicros(ByteReader& r, uint16_t fsp) {
  switch (fractionBytes(fsp)) {
    case 1: return static_cast<uint32_t>(r.u8()) * 10000;
    case 2: return static_cast<uint32_t>(r.uintBe(2)) * 100;
    case 3: return static_cast<uint32_t>(r.uintBe(3));
    default: return 0;
  }
}

void appendFraction(CharsWriter& w, uint32_t micros, uint16_t fsp) {
  if (fsp == 0) {
    return;
  }
  constexpr uint32_t kDivisor[7] = {1000000, 100000, 10000, 1000, 100, 10, 1};
  w.put('.');
  w.digits(micros / kDivisor[fsp], fsp);
}

void decodeDatetime2(ByteReader& r, uint16_t fsp, CellValue& out) {
  // 40-bit BE value minus 2^39: sign(1) year*13+month(17) day(5) hour(5) minute(6) second(6).
  const int64_t packed = static_cast<int64_t>(r.uintBe(5)) - 0x8000000000LL;
  const uint32_t micros = fractionMicros(r, fsp);
  const uint64_t v = static_cast<uint64_t>(packed < 0 ? -packed : packed);
  const uint64_t ym = (v >> 22) & 0x1FFFF;
  CharsWriter w(out);
  w.date(ym / 13, ym % 13, (v >> 17) & 0x1F);
  w.put('T');
  w.time((v >> 12) & 0x1F, (v >> 6) & 0x3F, v & 0x3F);
  appendFraction(w, micros, fsp);
}

// The instant `seconds` after the epoch, in UTC (TIMESTAMP and old TIMESTAMP).
void formatTimestamp(int64_t seconds, uint32_t micros, uint16_t fsp, CellValue& out) {
  CharsWriter w(out);
  if (seconds == 0 && micros == 0) {
    // The zero TIMESTAMP is no instant (the type's range starts at 1970-01-01 00:00:01).
    w.date(0, 0, 0);
    w.put('T');
    w.time(0, 0, 0);
    appendFraction(w, 0, fsp);
    return;
  }
  // Civil date from days since epoch (Howard Hinnant's algorithm), independent of the local zone.
  const int64_t days = seconds / 86400;
  const int64_t rem = seconds % 86400;
  const int64_t z = days + 719468;
  const int64_t era = z / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  w.date(static_cast<uint64_t>(year), static_cast<uint64_t>(month), static_cast<uint64_t>(day));
  w.put('T');
  w.time(static_cast<uint64_t>(rem / 3600), static_cast<uint64_t>(rem / 60 % 60),
         static_cast<uint64_t>(rem % 60));
  appendFraction(w, micros, fsp);
  w.put('Z');
}

void decodeTimestamp2(ByteReader& r, uint16_t fsp, CellValue& out) {
  const auto seconds = static_cast<int64_t>(r.uintBe(4));
  formatTimestamp(seconds, fractionMicros(r, fsp), fsp, out);
}

// Old DATETIME (12, before MySQL 5.6.4): YYYYMMDDhhmmss as one decimal number.
void decodeOldDatetime(ByteReader& r, CellValue& out) {
  const uint64_t v = r.u64le();
  const uint64_t date = v / 1000000;
  const uint64_t time = v % 1000000;
  CharsWriter w(out);
  w.date(date / 10000, date / 100 % 100, date % 100);
  w.put('T');
  w.time(time / 10000, time / 100 % 100, time % 100);
}

// Old TIME (11): a signed 3-byte ±(hh·10000 + mm·100 + ss).
void decodeOldTime(ByteReader& r, CellValue& out) {
  const int32_t v = static_cast<int32_t>(r.u24le() << 8) >> 8;  // sign-extend from bit 23
  const uint32_t a = static_cast<uint32_t>(v < 0 ? -v : v);
  CharsWriter w(out);
  if (v < 0) {
    w.put('-');
  }
  w.time(a / 10000, a / 100 % 100, a % 100);
}

// ORs the bytes together (eight at a time, no early exit, so the compiler vectorises it): text
// values are mostly short and mostly ASCII.
bool isAscii(std::span<const uint8_t> bytes) {
  uint64_t any = 0;
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t word = 0;
    std::memcpy(&word, bytes.data() + i, 8);
    any |= word;
  }
  for (; i < bytes.size(); ++i) {
    any |= bytes[i];
  }
  return (any & 0x8080808080808080ULL) == 0;
}

// Points out.bytes at the value as UTF-8: the row's own bytes when they already are (the common
// case, no copy), else their transcoding in out.utf8.
void setText(Charset charset, std::span<const uint8_t> bytes, CellValue& out) {
  out.kind = CellValue::Kind::Text;
  const bool utf8 =
      charset == Charset::Unknown || charset == Charset::Utf8mb4 || charset == Charset::Utf8mb3;
  const bool ascii_compatible = utf8 || charset == Charset::Latin1 || charset == Charset::Ascii;
  if ((ascii_compatible && isAscii(bytes)) || (utf8 && isValidUtf8(bytes))) {
    out.bytes = bytes;
    return;
  }
  transcodeToUtf8(charset, bytes, out.utf8);
  out.bytes = {reinterpret_cast<const uint8_t*>(out.utf8.data()), out.utf8.size()};
}

// VECTOR (MySQL 9): float32 little-endian values, rendered as a JSON array.
Status decodeVector(std::span<const uint8_t> data, CellValue& out) {
  if (data.size() % 4 != 0) {
    return Status::corruption(
        fmt::format("VECTOR value of {} bytes is not a whole number of floats", data.size()));
  }
  ByteReader r(data);
  out.kind = CellValue::Kind::Json;
  out.json
      .clear();  // not assign("["): g++ 12 -O2 reports a bogus -Wrestrict there (GCC bug 105329)
  out.json.push_back('[');
  for (size_t i = 0; i < data.size() / 4; ++i) {
    const float f = r.f32le();
    if (i > 0) {
      out.json.push_back(',');
    }
    if (!appendJsonNumber(f, out.json)) {
      return Status::corruption(fmt::format("VECTOR element {} is not finite", i));
    }
  }
  out.json.push_back(']');
  return Status::ok();
}

void decodeTime2(ByteReader& r, uint16_t fsp, CellValue& out) {
  // docs/binlog-format.md §4.2: the sign covers the whole packed value, fraction included.
  int64_t packed = 0;
  switch (fractionBytes(fsp)) {
    case 0: packed = (static_cast<int64_t>(r.uintBe(3)) - 0x800000) * (1LL << 24); break;
    case 1: {
      int64_t i = static_cast<int64_t>(r.uintBe(3)) - 0x800000;
      int64_t f = r.u8();
      if (i < 0 && f != 0) {
        i += 1;
        f -= 0x100;
      }
      packed = i * (1LL << 24) + f * 10000;
      break;
    }
    case 2: {
      int64_t i = static_cast<int64_t>(r.uintBe(3)) - 0x800000;
      int64_t f = static_cast<int64_t>(r.uintBe(2));
      if (i < 0 && f != 0) {
        i += 1;
        f -= 0x10000;
      }
      packed = i * (1LL << 24) + f * 100;
      break;
    }
    default: packed = static_cast<int64_t>(r.uintBe(6)) - 0x800000000000LL; break;
  }
  const bool negative = packed < 0;
  const uint64_t a = static_cast<uint64_t>(negative ? -packed : packed);
  const uint64_t hms = a >> 24;
  CharsWriter w(out);
  if (negative) {
    w.put('-');
  }
  w.time((hms >> 12) & 0x3FF, (hms >> 6) & 0x3F, hms & 0x3F);
  appendFraction(w, static_cast<uint32_t>(a & 0xFFFFFF), fsp);
}

// An integer column's value of `width_bits`, sign-extended unless the column is UNSIGNED.
void setInteger(const TableMapColumn& column, uint64_t raw, int width_bits, CellValue& out) {
  if (column.is_unsigned) {
    out.kind = CellValue::Kind::Unsigned;
    out.u = raw;
  } else {
    out.kind = CellValue::Kind::Signed;
    const int shift = 64 - width_bits;
    out.i = static_cast<int64_t>(raw << shift) >> shift;  // sign-extend
  }
}

// YEAR: one byte, years since 1900; 0 is the zero year.
void decodeYear(ByteReader& r, CellValue& out) {
  const uint8_t v = r.u8();
  out.kind = CellValue::Kind::Unsigned;
  out.u = v == 0 ? 0 : 1900u + v;
}

// DATE: 3 bytes LE, year(15) month(4) day(5).
void decodeDate(ByteReader& r, CellValue& out) {
  const uint32_t v = r.u24le();
  CharsWriter w(out);
  w.date(v >> 9, (v >> 5) & 0x0F, v & 0x1F);
}

// ENUM: the 1-based member `index`, rendered as the member's text.
void decodeEnum(const TableMapColumn& column, uint64_t index, CellValue& out) {
  if (index == 0 || index > column.members.size()) {
    // 0 is the server's '' error value; an unknown member list leaves only the index.
    if (index == 0 && !column.members.empty()) {
      out.kind = CellValue::Kind::Text;
      out.bytes = {};
    } else {
      out.kind = CellValue::Kind::Unsigned;
      out.u = index;
    }
    return;
  }
  const std::string& member = column.members[index - 1];
  out.kind = CellValue::Kind::Text;
  out.bytes = {reinterpret_cast<const uint8_t*>(member.data()), member.size()};
}

// SET: a bitmap of members; only the bitmap when the member list is unknown.
void decodeSet(const TableMapColumn& column, uint64_t bits, CellValue& out) {
  out.u = bits;
  if (column.members.empty()) {
    out.kind = CellValue::Kind::Unsigned;
  } else {
    out.kind = CellValue::Kind::Set;
    out.members = &column.members;
  }
}

// CHAR, VARCHAR, BINARY, VARBINARY, TEXT and BLOB: a length prefix (metadata bytes for BLOB, else 1
// or 2 by the maximum length), then the bytes: binary, or text in the column's charset.
void decodeString(const TableMapColumn& column, ByteReader& r, CellValue& out) {
  const uint16_t meta = column.metadata;
  const size_t prefix = column.real_type == MYSQL_TYPE_BLOB ? meta : (meta < 256 ? 1 : 2);
  r.skip(prefix);
  const std::span<const uint8_t> data = r.rest();
  const Charset charset = charsetOfCollation(column.collation);
  if (charset == Charset::Binary) {
    out.kind = CellValue::Kind::Binary;
    out.bytes = data;
    // The server strips BINARY(n)'s trailing zero bytes; n is the metadata length.
    out.padded_length = column.real_type == MYSQL_TYPE_STRING ? meta : data.size();
    return;
  }
  setText(charset, data, out);
  if (column.is_json) {
    // MariaDB's JSON is LONGTEXT with a json_valid() CHECK: embedded as JSON when it is, kept
    // a string when it is not (CHECK constraints can be disabled), never broken output.
    const std::string_view text(reinterpret_cast<const char*>(out.bytes.data()), out.bytes.size());
    if (isValidJson(text)) {
      out.kind = CellValue::Kind::Json;
      out.json.assign(text);
    }
  }
}

// MySQL's binary JSON, rendered as JSON text.
Status decodeJson(std::span<const uint8_t> data, CellValue& out) {
  out.kind = CellValue::Kind::Json;
  out.json.clear();
  return appendJsonFromBinary(data, out.json);
}

// GEOMETRY (SRID and WKB), rendered as WKT text.
Status decodeGeometry(std::span<const uint8_t> data, CellValue& out) {
  out.utf8.clear();
  MM_RETURN_IF_ERROR(appendGeometryWkt(data, out.utf8));
  out.kind = CellValue::Kind::Text;
  out.bytes = {reinterpret_cast<const uint8_t*>(out.utf8.data()), out.utf8.size()};
  return Status::ok();
}

}  // namespace

Status formatDecimal(uint16_t metadata, std::span<const uint8_t> bytes, CellValue& out) {
  const int precision = metadata >> 8;
  const int scale = metadata & 0xFF;
  MM_RETURN_IF_ERROR(checkDecimalMetadata(metadata));
  if (bytes.size() != decimalSize(metadata)) {
    return Status::corruption(
        fmt::format("DECIMAL({},{}) value has {} bytes", precision, scale, bytes.size()));
  }
  std::array<uint8_t, 32> buf{};
  const bool negative = decimalMagnitude(bytes, buf);
  ByteReader r(std::span<const uint8_t>(buf.data(), bytes.size()));
  CharsWriter w(out);
  if (negative) {
    w.put('-');
  }
  const size_t sign_len = w.length();
  const bool integer_zero = writeDecimalInteger(r, precision - scale, w);
  const bool fraction_zero = writeDecimalFraction(r, scale, w);
  if (!r.ok()) {
    return Status::corruption("DECIMAL value truncated");
  }
  if (negative && integer_zero && fraction_zero) {
    // The server never stores -0; keep "0.00", not "-0.00".
    w.dropFront(sign_len);
  }
  return Status::ok();
}

Status valueLayout(const TableMapColumn& column, ValueLayout& layout) {
  const uint16_t meta = column.metadata;
  auto fixedWidth = [&](size_t n) {
    layout = ValueLayout{static_cast<uint16_t>(n), 0};
    return Status::ok();
  };
  auto prefixedBy = [&](size_t prefix) {
    layout = ValueLayout{0, static_cast<uint8_t>(prefix)};
    return Status::ok();
  };
  switch (column.real_type) {
    case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_YEAR: return fixedWidth(1);
    case MYSQL_TYPE_SHORT: return fixedWidth(2);
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_DATE:
    case MYSQL_TYPE_NEWDATE:
    case MYSQL_TYPE_TIME: return fixedWidth(3);
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_FLOAT:
    case MYSQL_TYPE_TIMESTAMP: return fixedWidth(4);
    case MYSQL_TYPE_LONGLONG:
    case MYSQL_TYPE_DOUBLE:
    case MYSQL_TYPE_DATETIME: return fixedWidth(8);
    case MYSQL_TYPE_NULL: return fixedWidth(0);
    case MYSQL_TYPE_TIMESTAMP2:
    case MYSQL_TYPE_DATETIME2:
    case MYSQL_TYPE_TIME2: {
      MM_RETURN_IF_ERROR(checkFsp(meta));
      const size_t whole = column.real_type == MYSQL_TYPE_TIMESTAMP2  ? 4
                           : column.real_type == MYSQL_TYPE_DATETIME2 ? 5
                                                                      : 3;
      return fixedWidth(whole + fractionBytes(meta));
    }
    case MYSQL_TYPE_NEWDECIMAL:
      MM_RETURN_IF_ERROR(checkDecimalMetadata(meta));
      return fixedWidth(decimalSize(meta));
    case MYSQL_TYPE_BIT: return fixedWidth(bitBytes(meta));
    case MYSQL_TYPE_ENUM:
    case MYSQL_TYPE_SET: return fixedWidth(meta);
    case MYSQL_TYPE_VARCHAR:
    case MYSQL_TYPE_VAR_STRING:
    case MYSQL_TYPE_STRING: return prefixedBy(meta < 256 ? 1 : 2);
    case MYSQL_TYPE_BLOB:
    case MYSQL_TYPE_GEOMETRY:
    case MYSQL_TYPE_JSON:
    case MYSQL_TYPE_VECTOR:
      if (meta < 1 || meta > 4) {
        return Status::corruption(fmt::format("length-prefix size {} is not 1..4", meta));
      }
      return prefixedBy(meta);
    default:
      return Status::unsupported(fmt::format("column type {} ({}) cannot be decoded",
                                             column.real_type, columnTypeName(column.real_type)));
  }
}

Status readValueBytes(ByteReader& r, const TableMapColumn& column,
                      std::span<const uint8_t>& value) {
  ValueLayout layout;
  MM_RETURN_IF_ERROR(valueLayout(column, layout));
  if (readLaidOutValue(r, layout, value)) {
    return Status::ok();
  }
  Status misfit = valueMisfit(r, layout);
  r.fail();
  return misfit;
}

Status decodeValue(const TableMapColumn& column, std::span<const uint8_t> bytes, CellValue& out) {
  ByteReader r(bytes);
  const uint16_t meta = column.metadata;
  switch (column.real_type) {
    case MYSQL_TYPE_TINY: setInteger(column, r.u8(), 8, out); break;
    case MYSQL_TYPE_SHORT: setInteger(column, r.u16le(), 16, out); break;
    case MYSQL_TYPE_INT24: setInteger(column, r.u24le(), 24, out); break;
    case MYSQL_TYPE_LONG: setInteger(column, r.u32le(), 32, out); break;
    case MYSQL_TYPE_LONGLONG: setInteger(column, r.u64le(), 64, out); break;
    case MYSQL_TYPE_YEAR: decodeYear(r, out); break;
    case MYSQL_TYPE_FLOAT:
      out.kind = CellValue::Kind::Float;
      out.f = r.f32le();
      break;
    case MYSQL_TYPE_DOUBLE:
      out.kind = CellValue::Kind::Double;
      out.d = r.f64le();
      break;
    case MYSQL_TYPE_BIT:
      out.kind = CellValue::Kind::Unsigned;
      out.u = r.uintBe(bytes.size());
      break;
    case MYSQL_TYPE_DATE:
    case MYSQL_TYPE_NEWDATE: decodeDate(r, out); break;
    case MYSQL_TYPE_DATETIME2:
      MM_RETURN_IF_ERROR(checkFsp(meta));
      decodeDatetime2(r, meta, out);
      break;
    case MYSQL_TYPE_TIMESTAMP2:
      MM_RETURN_IF_ERROR(checkFsp(meta));
      decodeTimestamp2(r, meta, out);
      break;
    case MYSQL_TYPE_TIME2:
      MM_RETURN_IF_ERROR(checkFsp(meta));
      decodeTime2(r, meta, out);
      break;
    case MYSQL_TYPE_NEWDECIMAL: return formatDecimal(meta, bytes, out);
    case MYSQL_TYPE_ENUM: decodeEnum(column, r.uintLe(bytes.size()), out); break;
    case MYSQL_TYPE_SET: decodeSet(column, r.uintLe(bytes.size()), out); break;
    case MYSQL_TYPE_VARCHAR:
    case MYSQL_TYPE_VAR_STRING:
    case MYSQL_TYPE_STRING:
    case MYSQL_TYPE_BLOB: decodeString(column, r, out); break;
    case MYSQL_TYPE_JSON:
      r.skip(meta);
      MM_RETURN_IF_ERROR(decodeJson(r.rest(), out));
      break;
    case MYSQL_TYPE_GEOMETRY:
      r.skip(meta);
      MM_RETURN_IF_ERROR(decodeGeometry(r.rest(), out));
      break;
    case MYSQL_TYPE_VECTOR:
      r.skip(meta);
      MM_RETURN_IF_ERROR(decodeVector(r.rest(), out));
      break;
    case MYSQL_TYPE_TIMESTAMP: formatTimestamp(r.u32le(), 0, 0, out); break;
    case MYSQL_TYPE_DATETIME: decodeOldDatetime(r, out); break;
    case MYSQL_TYPE_TIME: decodeOldTime(r, out); break;
    default:
      return Status::unsupported(fmt::format("values of column type {} ({}) cannot be decoded",
                                             column.real_type, columnTypeName(column.real_type)));
  }
  if (!r.ok()) {
    return Status::corruption(fmt::format("{} value truncated", columnTypeName(column.real_type)));
  }
  return Status::ok();
}

}  // namespace mm::binlog
