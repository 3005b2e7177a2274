// binlog::encodeValue is the inverse of binlog::decodeValue (docs/binlog-format.md §4): every
// value a SELECT reads, encoded for its column and decoded again, gives the text the binlog's own
// bytes give; where docs/binlog-format.md quotes the server's bytes, the encoding is exactly those.
#include "binlog/value_encoder.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <limits>

#include "binlog/column_type.h"
#include "binlog/column_value.h"
#include "support/cell_text.h"
#include "support/sql_values.h"

namespace mm::binlog {
namespace {

TableMapColumn col(uint8_t real_type, uint16_t metadata = 0, bool is_unsigned = false) {
  TableMapColumn c;
  c.type = real_type == MYSQL_TYPE_ENUM || real_type == MYSQL_TYPE_SET ? uint8_t{MYSQL_TYPE_STRING}
                                                                       : real_type;
  c.real_type = real_type;
  c.metadata = metadata;
  c.has_signedness = true;
  c.is_unsigned = is_unsigned;
  return c;
}

using test::bytesValue;
using test::signedValue;
using test::temporal;
using test::timeValue;
using test::unsignedValue;

std::string encoded(const TableMapColumn& column, const SqlValue& value) {
  std::string out;
  const Status s = encodeValue(column, value, out);
  EXPECT_TRUE(s.isOk()) << s.toString();
  return out;
}

// Encodes, checks the bytes fill exactly one value of the column's layout, decodes and renders.
std::string roundTrip(const TableMapColumn& column, const SqlValue& value) {
  const std::string bytes = encoded(column, value);
  auto text =
      test::decodeToText(column, {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  EXPECT_TRUE(text.isOk()) << columnTypeName(column.real_type) << ": " << text.status().toString();
  return text.isOk() ? *text : "";
}

std::string hexOf(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    out += fmt::format("{:02X}", c);
  }
  return out;
}

TEST(ValueEncoder, IntegersOfEveryWidthAndSignedness) {
  struct Case {
    uint8_t type;
    int64_t min;
    uint64_t umax;
  };
  for (const Case& c : {Case{MYSQL_TYPE_TINY, -128, 255}, Case{MYSQL_TYPE_SHORT, -32768, 65535},
                        Case{MYSQL_TYPE_INT24, -8388608, 16777215},
                        Case{MYSQL_TYPE_LONG, -2147483648LL, 4294967295ULL},
                        Case{MYSQL_TYPE_LONGLONG, std::numeric_limits<int64_t>::min(),
                             std::numeric_limits<uint64_t>::max()}}) {
    SCOPED_TRACE(columnTypeName(c.type));
    EXPECT_EQ(roundTrip(col(c.type), signedValue(c.min)), std::to_string(c.min));
    EXPECT_EQ(roundTrip(col(c.type), signedValue(-1)), "-1");
    EXPECT_EQ(roundTrip(col(c.type), signedValue(0)), "0");
    EXPECT_EQ(roundTrip(col(c.type), signedValue(static_cast<int64_t>(c.umax / 2))),
              std::to_string(c.umax / 2));
    EXPECT_EQ(roundTrip(col(c.type, 0, true), unsignedValue(c.umax)), std::to_string(c.umax));
  }
  // Little-endian, as the row image stores them.
  EXPECT_EQ(hexOf(encoded(col(MYSQL_TYPE_INT24), signedValue(-2))), "FEFFFF");
}

TEST(ValueEncoder, FloatAndDoubleKeepTheirBits) {
  SqlValue f;
  f.kind = SqlValue::Kind::Float;
  f.f = 1.1F;
  EXPECT_EQ(roundTrip(col(MYSQL_TYPE_FLOAT, 4), f), "1.1");
  EXPECT_EQ(hexOf(encoded(col(MYSQL_TYPE_FLOAT, 4), f)), "CDCC8C3F");
  SqlValue d;
  d.kind = SqlValue::Kind::Double;
  d.d = -1.7976931348623157e308;
  EXPECT_EQ(roundTrip(col(MYSQL_TYPE_DOUBLE, 8), d), "-1.7976931348623157e+308");
  d.d = 0.1;
  EXPECT_EQ(roundTrip(col(MYSQL_TYPE_DOUBLE, 8), d), "0.1");
}

TEST(ValueEncoder, DecimalsAsTheServerPacksThem) {
  auto decimal = [](int precision, int scale) {
    return col(MYSQL_TYPE_NEWDECIMAL, static_cast<uint16_t>(precision << 8 | scale));
  };
  // docs/binlog-format.md §4.3's vectors.
  EXPECT_EQ(hexOf(encoded(decimal(14, 4), bytesValue("1234567890.1234"))), "810DFB38D204D2");
  EXPECT_EQ(hexOf(encoded(decimal(14, 4), bytesValue("-1234567890.1234"))), "7EF204C72DFB2D");
  EXPECT_EQ(hexOf(encoded(decimal(4, 2), bytesValue("12.34"))), "8C22");
  EXPECT_EQ(hexOf(encoded(decimal(4, 2), bytesValue("-0.01"))), "7FFE");
  EXPECT_EQ(hexOf(encoded(decimal(11, 4), bytesValue("-57.1234"))), "7FFFFFC6FB2D");
  const std::string max = std::string(35, '9') + "." + std::string(30, '9');
  EXPECT_EQ(roundTrip(decimal(65, 30), bytesValue(max)), max);
  EXPECT_EQ(roundTrip(decimal(65, 30), bytesValue("-" + max)), "-" + max);
  EXPECT_EQ(roundTrip(decimal(65, 30), bytesValue("-0.000000000000000000000000000001")),
            "-0.000000000000000000000000000001");
  EXPECT_EQ(roundTrip(decimal(5, 2), bytesValue("0.50")), "0.50");
  EXPECT_EQ(roundTrip(decimal(5, 2), bytesValue("-999.99")), "-999.99");
  EXPECT_EQ(roundTrip(decimal(5, 2), bytesValue("0.00")), "0.00");
  EXPECT_EQ(roundTrip(decimal(10, 0), bytesValue("-1234567890")), "-1234567890");
  std::string out;
  EXPECT_EQ(encodeValue(decimal(5, 2), bytesValue("1234.5"), out).code(),
            StatusCode::InvalidArgument);
  EXPECT_EQ(encodeValue(decimal(5, 2), bytesValue("1.234"), out).code(),
            StatusCode::InvalidArgument);
  EXPECT_EQ(encodeValue(decimal(5, 2), bytesValue("1e3"), out).code(), StatusCode::InvalidArgument);
}

TEST(ValueEncoder, BitYearAndDate) {
  // BIT(1) and BIT(64): metadata M%8 | (M/8) << 8; the binary protocol gives big-endian bytes.
  EXPECT_EQ(roundTrip(col(MYSQL_TYPE_BIT, 1), bytesValue("\x01")), "1");
  EXPECT_EQ(roundTrip(col(MYSQL_TYPE_BIT, 8 << 8), bytesValue(std::string(8, '\xFF'))),
            "18446744073709551615");
  EXPECT_EQ(hexOf(encoded(col(MYSQL_TYPE_BIT, 1 << 8 | 4), bytesValue("\x01"))), "0001");
  EXPECT_EQ(roundTrip(col(MYSQL_TYPE_YEAR), unsignedValue(2155)), "2155");
  EXPECT_EQ(roundTrip(col(MYSQL_TYPE_YEAR), unsignedValue(1901)), "1901");
  EXPECT_EQ(roundTrip(col(MYSQL_TYPE_YEAR), unsignedValue(0)), "0");
  EXPECT_EQ(roundTrip(col(MYSQL_TYPE_DATE), temporal(2024, 2, 29)), "2024-02-29");
  EXPECT_EQ(roundTrip(col(MYSQL_TYPE_DATE), temporal(0, 0, 0)), "0000-00-00");
  // §4.10's zero-month vector.
  EXPECT_EQ(hexOf(encoded(col(MYSQL_TYPE_DATE), temporal(2023, 0, 15))), "0FCE0F");
}

TEST(ValueEncoder, DatetimeAndTimestampAtEveryPrecision) {
  constexpr uint32_t kMicros = 123456;
  constexpr uint32_t kUnit[7] = {1000000, 100000, 10000, 1000, 100, 10, 1};
  for (uint16_t fsp = 0; fsp <= 6; ++fsp) {
    SCOPED_TRACE(fsp);
    const std::string frac = fsp == 0 ? "" : "." + std::string("123456").substr(0, fsp);
    const uint32_t micros = kMicros / kUnit[fsp] * kUnit[fsp];  // what the column holds
    EXPECT_EQ(roundTrip(col(MYSQL_TYPE_DATETIME2, fsp), temporal(2024, 2, 29, 23, 59, 59, micros)),
              "2024-02-29T23:59:59" + frac);
    EXPECT_EQ(roundTrip(col(MYSQL_TYPE_TIMESTAMP2, fsp), temporal(2038, 1, 19, 3, 14, 7, micros)),
              "2038-01-19T03:14:07" + frac + "Z");
    const std::string zero_frac = fsp == 0 ? "" : "." + std::string(fsp, '0');
    EXPECT_EQ(roundTrip(col(MYSQL_TYPE_DATETIME2, fsp), temporal(0, 0, 0)),
              "0000-00-00T00:00:00" + zero_frac);
    EXPECT_EQ(roundTrip(col(MYSQL_TYPE_TIMESTAMP2, fsp), temporal(0, 0, 0)),
              "0000-00-00T00:00:00" + zero_frac);
  }
  EXPECT_EQ(roundTrip(col(MYSQL_TYPE_TIMESTAMP2, 0), temporal(1970, 1, 1, 0, 0, 1)),
            "1970-01-01T00:00:01Z");
  // §4.2's vectors.
  EXPECT_EQ(hexOf(encoded(col(MYSQL_TYPE_DATETIME2, 0), temporal(2023, 0, 15, 10))), "99AEDEA000");
  EXPECT_EQ(hexOf(encoded(col(MYSQL_TYPE_DATETIME2, 0), temporal(0, 0, 0))), "8000000000");
}

TEST(ValueEncoder, TimeAtEveryPrecisionIncludingNegatives) {
  constexpr uint32_t kUnit[7] = {1000000, 100000, 10000, 1000, 100, 10, 1};
  for (uint16_t fsp = 0; fsp <= 6; ++fsp) {
    SCOPED_TRACE(fsp);
    const std::string frac = fsp == 0 ? "" : "." + std::string("123456").substr(0, fsp);
    const uint32_t micros = 123456 / kUnit[fsp] * kUnit[fsp];
    EXPECT_EQ(roundTrip(col(MYSQL_TYPE_TIME2, fsp), timeValue(true, 838, 59, 58, micros)),
              "-838:59:58" + frac);
    EXPECT_EQ(roundTrip(col(MYSQL_TYPE_TIME2, fsp), timeValue(false, 838, 59, 59, micros)),
              "838:59:59" + frac);
    const std::string zero_frac = fsp == 0 ? "" : "." + std::string(fsp, '0');
    EXPECT_EQ(roundTrip(col(MYSQL_TYPE_TIME2, fsp), timeValue(false, 0, 0, 0)),
              "00:00:00" + zero_frac);
  }
  EXPECT_EQ(roundTrip(col(MYSQL_TYPE_TIME2, 2), timeValue(true, 0, 0, 0, 10000)), "-00:00:00.01");
  EXPECT_EQ(roundTrip(col(MYSQL_TYPE_TIME2, 6), timeValue(true, 0, 0, 0, 1)), "-00:00:00.000001");
  // §4.2's vectors.
  EXPECT_EQ(hexOf(encoded(col(MYSQL_TYPE_TIME2, 0), timeValue(true, 507, 48, 27))), "6043E5");
  EXPECT_EQ(hexOf(encoded(col(MYSQL_TYPE_TIME2, 0), timeValue(true, 16, 8, 4))), "7EFDFC");
  EXPECT_EQ(hexOf(encoded(col(MYSQL_TYPE_TIME2, 2), timeValue(true, 0, 0, 0, 10000))), "7FFFFFFF");
  EXPECT_EQ(hexOf(encoded(col(MYSQL_TYPE_TIME2, 3), timeValue(true, 16, 8, 4, 250000))),
            "7EFDFBF63C");
  EXPECT_EQ(hexOf(encoded(col(MYSQL_TYPE_TIME2, 6), timeValue(true, 16, 8, 4, 250000))),
            "7EFDFBFC2F70");
  EXPECT_EQ(hexOf(encoded(col(MYSQL_TYPE_TIME2, 6), timeValue(true, 16, 8, 4, 10123))),
            "7EFDFBFFD875");
}

TableMapColumn textColumn(uint8_t real_type, uint16_t metadata, uint32_t collation) {
  TableMapColumn c = col(real_type, metadata);
  c.collation = collation;
  return c;
}

TEST(ValueEncoder, StringsAndBlobs) {
  constexpr uint32_t kUtf8mb4 = 45;
  const std::string hello = "h\xC3\xA9llo";
  EXPECT_EQ(roundTrip(textColumn(MYSQL_TYPE_STRING, 40, kUtf8mb4), bytesValue(hello)), hello);
  // CHAR(64) utf8mb4 is 256 bytes: a 2-byte length.
  EXPECT_EQ(hexOf(encoded(textColumn(MYSQL_TYPE_STRING, 256, kUtf8mb4), bytesValue("ab"))),
            "02006162");
  EXPECT_EQ(roundTrip(textColumn(MYSQL_TYPE_VARCHAR, 400, kUtf8mb4), bytesValue("")), "");
  EXPECT_EQ(hexOf(encoded(textColumn(MYSQL_TYPE_VARCHAR, 255, kUtf8mb4), bytesValue("ab"))),
            "026162");
  const std::string big(70000, 'x');
  EXPECT_EQ(roundTrip(textColumn(MYSQL_TYPE_BLOB, 3, kUtf8mb4), bytesValue(big)), big);
  EXPECT_EQ(roundTrip(textColumn(MYSQL_TYPE_BLOB, 4, kUtf8mb4), bytesValue(big)), big);
  EXPECT_EQ(roundTrip(textColumn(MYSQL_TYPE_BLOB, 2, kBinaryCollation),
                      bytesValue(std::string("\xDE\xAD\xBE\xEF", 4))),
            "0xdeadbeef");
  // BINARY(4): the SELECT gives the padded bytes; rendered padded either way.
  EXPECT_EQ(roundTrip(textColumn(MYSQL_TYPE_STRING, 4, kBinaryCollation),
                      bytesValue(std::string("a\0\0\0", 4))),
            "0x61000000");
  // latin1 bytes are transcoded by the decoder, as a binlog value's are.
  EXPECT_EQ(roundTrip(textColumn(MYSQL_TYPE_VARCHAR, 20, 8), bytesValue("caf\xE9 \x80")),
            "caf\xC3\xA9 \xE2\x82\xAC");
  std::string out;
  EXPECT_EQ(
      encodeValue(textColumn(MYSQL_TYPE_BLOB, 1, kUtf8mb4), bytesValue(std::string(256, 'x')), out)
          .code(),
      StatusCode::InvalidArgument);
}

TEST(ValueEncoder, EnumSetAndGeometry) {
  TableMapColumn e = col(MYSQL_TYPE_ENUM, 2);
  for (int i = 1; i <= 300; ++i) {
    e.members.push_back(fmt::format("m{}", i));
  }
  EXPECT_EQ(roundTrip(e, unsignedValue(300)), "m300");
  EXPECT_EQ(hexOf(encoded(e, unsignedValue(300))), "2C01");
  TableMapColumn s = col(MYSQL_TYPE_SET, 8);
  for (int i = 1; i <= 64; ++i) {
    s.members.push_back(fmt::format("s{}", i));
  }
  // `col`+0 of a SET of 64 is an unsigned 64-bit bitmap; bound signed it keeps its bits.
  EXPECT_EQ(roundTrip(s, unsignedValue(1ULL | 1ULL << 63)), "s1,s64");
  EXPECT_EQ(roundTrip(s, signedValue(std::numeric_limits<int64_t>::min() | 1)), "s1,s64");
  // SRID 0 and the WKB of POINT(1 2), as the binary protocol returns a GEOMETRY.
  const std::string point = std::string("\0\0\0\0\x01\x01\0\0\0", 9) +
                            std::string("\0\0\0\0\0\0\xF0\x3F", 8) +
                            std::string("\0\0\0\0\0\0\0\x40", 8);
  EXPECT_EQ(roundTrip(col(MYSQL_TYPE_GEOMETRY, 4), bytesValue(point)), "POINT(1 2)");
}

}  // namespace
}  // namespace mm::binlog
