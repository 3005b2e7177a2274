// Byte-literal tests of value sizing and decoding for every column type. Test vectors:
// docs/binlog-format.md §4 (DECIMAL §4.3, temporal §4.2 and §4.10, BIT §4.4, ENUM/SET §4.5,
// STRING §4.6, JSON §4.7, GEOMETRY/VECTOR §4.8, charsets §4.9) and the fixture values quoted there.
#include "binlog/column_value.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "binlog/column_type.h"
#include "support/binlog_bytes.h"
#include "support/cell_text.h"

namespace mm::binlog {
namespace {

using test::Bytes;
using test::decodeToText;
using test::sizeValue;

TableMapColumn col(uint8_t real_type, uint16_t metadata = 0) {
  TableMapColumn c;
  c.type = real_type == MYSQL_TYPE_ENUM || real_type == MYSQL_TYPE_SET ? uint8_t{MYSQL_TYPE_STRING}
                                                                       : real_type;
  c.real_type = real_type;
  c.metadata = metadata;
  return c;
}

TableMapColumn unsignedCol(uint8_t real_type) {
  TableMapColumn c = col(real_type);
  c.has_signedness = true;
  c.is_unsigned = true;
  return c;
}

TableMapColumn decimal(int precision, int scale) {
  return col(MYSQL_TYPE_NEWDECIMAL, static_cast<uint16_t>(precision << 8 | scale));
}

struct Vector {
  TableMapColumn column;
  Bytes bytes;
  std::string text;
  std::string sql;
};

void expectDecodes(const std::vector<Vector>& vectors) {
  for (const Vector& v : vectors) {
    auto text = decodeToText(v.column, v.bytes);
    ASSERT_TRUE(text.isOk()) << v.sql << ": " << text.status().toString();
    EXPECT_EQ(*text, v.text) << v.sql;
  }
}

// Every prefix of each vector's bytes must fail to size (readValueBytes), never read past the end.
void expectEveryPrefixFailsToSize(const std::vector<Vector>& vectors) {
  for (const Vector& v : vectors) {
    SCOPED_TRACE(v.sql);
    test::expectEveryPrefixFails(v.bytes, [&](std::span<const uint8_t> b) {
      ByteReader r(b);
      return sizeValue(r, v.column);
    });
  }
}

// ---- integers, floats, YEAR ----

std::vector<Vector> integerVectors() {
  return {
      {col(MYSQL_TYPE_TINY), {0xFF}, "-1", "TINYINT -1"},
      {unsignedCol(MYSQL_TYPE_TINY), {0xFF}, "255", "TINYINT UNSIGNED 255"},
      {col(MYSQL_TYPE_SHORT), {0x00, 0x80}, "-32768", "SMALLINT -32768"},
      {unsignedCol(MYSQL_TYPE_SHORT), {0x00, 0x80}, "32768", "SMALLINT UNSIGNED 32768"},
      {col(MYSQL_TYPE_INT24), {0xFF, 0xFF, 0xFF}, "-1", "MEDIUMINT -1 (sign from bit 23)"},
      {col(MYSQL_TYPE_INT24), {0x00, 0x00, 0x80}, "-8388608", "MEDIUMINT -8388608"},
      {col(MYSQL_TYPE_INT24), {0x6F, 0x00, 0x00}, "111", "MEDIUMINT 111"},
      {unsignedCol(MYSQL_TYPE_INT24), {0xFF, 0xFF, 0xFF}, "16777215", "MEDIUMINT UNSIGNED max"},
      // minimal_row_metadata.000001: INT UNSIGNED 3230202323 (signed reading -1064764973).
      {unsignedCol(MYSQL_TYPE_LONG),
       {0xD3, 0xF9, 0x88, 0xC0},
       "3230202323",
       "INT UNSIGNED 3230202323"},
      {col(MYSQL_TYPE_LONG), {0xD3, 0xF9, 0x88, 0xC0}, "-1064764973", "INT -1064764973"},
      // binlog-invisible-columns.000001: BIGINT UNSIGNED 6000000000.
      {unsignedCol(MYSQL_TYPE_LONGLONG),
       {0x00, 0xBC, 0xA0, 0x65, 0x01, 0, 0, 0},
       "6000000000",
       "BIGINT UNSIGNED 6000000000"},
      {unsignedCol(MYSQL_TYPE_LONGLONG), Bytes(8, 0xFF), "18446744073709551615",
       "BIGINT UNSIGNED max"},
      {col(MYSQL_TYPE_LONGLONG), Bytes(8, 0xFF), "-1", "BIGINT -1"},
      // vector.binlog: 1.1 as float32; rendered from the float, not the widened double.
      {col(MYSQL_TYPE_FLOAT, 4), {0xCD, 0xCC, 0x8C, 0x3F}, "1.1", "FLOAT 1.1"},
      {col(MYSQL_TYPE_DOUBLE, 8), {0, 0, 0, 0, 0, 0, 0x04, 0xC0}, "-2.5", "DOUBLE -2.5"},
      {col(MYSQL_TYPE_YEAR), {0x00}, "0", "YEAR 0000"},
      {col(MYSQL_TYPE_YEAR), {0x01}, "1901", "YEAR 1901"},
      {col(MYSQL_TYPE_YEAR), {0x7B}, "2023", "YEAR 2023"},
  };
}

TEST(ColumnValue, IntegersFloatsAndYear) { expectDecodes(integerVectors()); }
TEST(ColumnValue, TruncatedIntegersFloatsAndYearFail) {
  expectEveryPrefixFailsToSize(integerVectors());
}

// ---- DATE and temporal v2 ----

std::vector<Vector> temporalVectors() {
  return {
      // DATE: day bits 0-4, month 5-8, year 9-23; zero parts kept (§4.10, shardingsphere PR
      // #39676).
      {col(MYSQL_TYPE_DATE), {0x01, 0x8D, 0x0F}, "1990-08-01", "DATE '1990-08-01'"},
      {col(MYSQL_TYPE_DATE),
       {0x0F, 0xCE, 0x0F},
       "2023-00-15",
       "DATE '2023-00-15' (ALLOW_INVALID_DATES)"},
      {col(MYSQL_TYPE_DATE), {0xA0, 0xCE, 0x0F}, "2023-05-00", "DATE '2023-05-00'"},
      {col(MYSQL_TYPE_DATE), {0x00, 0x00, 0x00}, "0000-00-00", "DATE '0000-00-00'"},
      // DATETIME2 zero dates (§4.2).
      {col(MYSQL_TYPE_DATETIME2, 0),
       {0x99, 0xAE, 0xDE, 0xA0, 0x00},
       "2023-00-15T10:00:00",
       "DATETIME '2023-00-15 10:00:00'"},
      {col(MYSQL_TYPE_DATETIME2, 0),
       {0x99, 0xB0, 0x00, 0xA0, 0x00},
       "2023-05-00T10:00:00",
       "DATETIME '2023-05-00 10:00:00'"},
      {col(MYSQL_TYPE_DATETIME2, 0),
       {0x80, 0x00, 0x00, 0x00, 0x00},
       "0000-00-00T00:00:00",
       "DATETIME '0000-00-00 00:00:00'"},
      // DATETIME(3) '2012-03-18 11:30:45.123': fraction 1230 in 1/10000 s, 2 BE bytes.
      {col(MYSQL_TYPE_DATETIME2, 3),
       {0x99, 0x8B, 0xE4, 0xB7, 0xAD, 0x04, 0xCE},
       "2012-03-18T11:30:45.123",
       "DATETIME(3) '2012-03-18 11:30:45.123'"},
      // DATETIME(6) '2012-03-18 11:30:45.000001'.
      {col(MYSQL_TYPE_DATETIME2, 6),
       {0x99, 0x8B, 0xE4, 0xB7, 0xAD, 0x00, 0x00, 0x01},
       "2012-03-18T11:30:45.000001",
       "DATETIME(6) '2012-03-18 11:30:45.000001'"},
      // TIMESTAMP2: 4 BE seconds, UTC. mysql-bin.000057: 1668952412.
      {col(MYSQL_TYPE_TIMESTAMP2, 0),
       {0x63, 0x7A, 0x31, 0x5C},
       "2022-11-20T13:53:32Z",
       "TIMESTAMP '2022-11-20 13:53:32' UTC"},
      {col(MYSQL_TYPE_TIMESTAMP2, 0),
       {0x00, 0x00, 0x00, 0x00},
       "0000-00-00T00:00:00",
       "TIMESTAMP '0000-00-00 00:00:00' (the zero value, no instant)"},
      {col(MYSQL_TYPE_TIMESTAMP2, 0),
       {0x00, 0x00, 0x00, 0x01},
       "1970-01-01T00:00:01Z",
       "TIMESTAMP '1970-01-01 00:00:01' UTC, the first valid instant"},
      {col(MYSQL_TYPE_TIMESTAMP2, 2),
       {0x00, 0x00, 0x00, 0x00, 0x00},
       "0000-00-00T00:00:00.00",
       "TIMESTAMP(2) zero"},
      // TIME2 (§4.2): the sign covers the whole packed value, fraction included.
      {col(MYSQL_TYPE_TIME2, 0),
       {0x60, 0x43, 0xE5},
       "-507:48:27",
       "TIME '-507:48:27' (time_issue.000001)"},
      {col(MYSQL_TYPE_TIME2, 2),
       {0x7F, 0xFF, 0xFF, 0xFF},
       "-00:00:00.01",
       "TIME(2) '-00:00:00.01'"},
      {col(MYSQL_TYPE_TIME2, 0), {0x7E, 0xFD, 0xFC}, "-16:08:04", "TIME '-16:08:04'"},
      {col(MYSQL_TYPE_TIME2, 3),
       {0x7E, 0xFD, 0xFB, 0xF6, 0x3C},
       "-16:08:04.250",
       "TIME(3) '-16:08:04.250'"},
      {col(MYSQL_TYPE_TIME2, 6),
       {0x7E, 0xFD, 0xFB, 0xFC, 0x2F, 0x70},
       "-16:08:04.250000",
       "TIME(6) '-16:08:04.250'"},
      {col(MYSQL_TYPE_TIME2, 6),
       {0x7E, 0xFD, 0xFB, 0xFF, 0xD8, 0x75},
       "-16:08:04.010123",
       "TIME(6) '-16:08:04.010123'"},
      {col(MYSQL_TYPE_TIME2, 0), {0x80, 0x00, 0x00}, "00:00:00", "TIME '00:00:00'"},
      // TIME '838:59:59' = 0x800000 + (838 << 12 | 59 << 6 | 59).
      {col(MYSQL_TYPE_TIME2, 0), {0xB4, 0x6E, 0xFB}, "838:59:59", "TIME '838:59:59'"},
  };
}

TEST(ColumnValue, DateAndTemporalV2) { expectDecodes(temporalVectors()); }
TEST(ColumnValue, TruncatedTemporalValuesFail) { expectEveryPrefixFailsToSize(temporalVectors()); }

// One stored fraction per fsp (§4.2 table): fsp 1-2 in 1/100 s, 3-4 in 1/10000 s, 5-6 in µs.
TEST(ColumnValue, Timestamp2FractionForEveryPrecision) {
  struct Case {
    uint16_t fsp;
    Bytes fraction;
    const char* text;
  };
  const Case cases[] = {
      {0, {}, "1970-01-01T00:00:01Z"},
      {1, {0x0A}, "1970-01-01T00:00:01.1Z"},                   // .1 = 10/100
      {2, {0x0C}, "1970-01-01T00:00:01.12Z"},                  // .12 = 12/100
      {3, {0x04, 0xCE}, "1970-01-01T00:00:01.123Z"},           // .123 = 1230/10000
      {4, {0x04, 0xD2}, "1970-01-01T00:00:01.1234Z"},          // .1234 = 1234/10000
      {5, {0x01, 0xE2, 0x3A}, "1970-01-01T00:00:01.12345Z"},   // 123450 µs
      {6, {0x01, 0xE2, 0x40}, "1970-01-01T00:00:01.123456Z"},  // 123456 µs
  };
  for (const Case& c : cases) {
    Bytes bytes = {0x00, 0x00, 0x00, 0x01};
    test::appendBytes(bytes, c.fraction);
    auto text = decodeToText(col(MYSQL_TYPE_TIMESTAMP2, c.fsp), bytes);
    ASSERT_TRUE(text.isOk()) << "fsp " << c.fsp << ": " << text.status().toString();
    EXPECT_EQ(*text, c.text) << "fsp " << c.fsp;
  }
}

TEST(ColumnValue, FractionalPrecisionAboveSixIsCorruption) {
  for (uint8_t type : {MYSQL_TYPE_TIMESTAMP2, MYSQL_TYPE_DATETIME2, MYSQL_TYPE_TIME2}) {
    const Bytes bytes(16, 0x80);
    ByteReader r(bytes);
    auto value = sizeValue(r, col(type, 7));
    ASSERT_FALSE(value.isOk()) << columnTypeName(type);
    EXPECT_EQ(value.status().code(), StatusCode::Corruption);
    EXPECT_NE(value.status().message().find("fractional precision 7"), std::string::npos)
        << value.status().message();
  }
}

// ---- NEWDECIMAL (§4.3) ----

std::vector<Vector> decimalVectors() {
  return {
      {decimal(14, 4),
       {0x81, 0x0D, 0xFB, 0x38, 0xD2, 0x04, 0xD2},
       "1234567890.1234",
       "DECIMAL(14,4) 1234567890.1234"},
      {decimal(14, 4),
       {0x7E, 0xF2, 0x04, 0xC7, 0x2D, 0xFB, 0x2D},
       "-1234567890.1234",
       "DECIMAL(14,4) -1234567890.1234"},
      {decimal(4, 2), {0x8C, 0x22}, "12.34", "DECIMAL(4,2) 12.34"},
      {decimal(4, 2), {0x7F, 0xFE}, "-0.01", "DECIMAL(4,2) -0.01"},
      {decimal(11, 4), {0x7F, 0xFF, 0xFF, 0xC6, 0xFB, 0x2D}, "-57.1234", "DECIMAL(11,4) -57.1234"},
      {decimal(4, 2), {0x80, 0x00}, "0.00", "DECIMAL(4,2) 0"},
      // The server never stores -0, but a negative encoding of zero must not print "-0.00".
      {decimal(4, 2), {0x7F, 0xFF}, "0.00", "DECIMAL(4,2) negative zero"},
      {decimal(5, 0), {0x7F, 0xFF, 0xF4}, "-11", "DECIMAL(5,0) -11 (go-mysql row 1)"},
      // DECIMAL(10,4) 3.0000 (mysql-cdc-rs 31_update_rows_v2).
      {decimal(10, 4), {0x80, 0x00, 0x03, 0x00, 0x00}, "3.0000", "DECIMAL(10,4) 3.0000"},
      // DECIMAL(20,10) 1234500009.0000000001: an inner integer group keeps its zero padding.
      {decimal(20, 10),
       {0x81, 0x0D, 0xFA, 0x2F, 0xA9, 0x00, 0x00, 0x00, 0x00, 0x01},
       "1234500009.0000000001",
       "DECIMAL(20,10) 1234500009.0000000001"},
  };
}

TEST(ColumnValue, NewDecimal) { expectDecodes(decimalVectors()); }
TEST(ColumnValue, TruncatedNewDecimalFails) { expectEveryPrefixFailsToSize(decimalVectors()); }

TEST(ColumnValue, DecimalScaleAbovePrecisionIsCorruption) {
  // DECIMAL(2,5) cannot exist; sizing it must not index the digit table with a negative count.
  const Bytes bytes(8, 0x80);
  ByteReader r(bytes);
  auto value = sizeValue(r, decimal(2, 5));
  ASSERT_FALSE(value.isOk());
  EXPECT_EQ(value.status().code(), StatusCode::Corruption);
  EXPECT_NE(value.status().message().find("DECIMAL(2,5)"), std::string::npos)
      << value.status().message();
}

TEST(ColumnValue, DecimalPrecisionAbove65IsCorruption) {
  const Bytes bytes(64, 0x80);
  for (const TableMapColumn& c : {decimal(66, 0), decimal(0, 0)}) {
    ByteReader r(bytes);
    auto value = sizeValue(r, c);
    ASSERT_FALSE(value.isOk()) << c.metadata;
    EXPECT_NE(value.status().message().find("metadata out of range"), std::string::npos)
        << value.status().message();
  }
}

// ---- edges of the hand-written digit writers (common/digits.h) ----

std::vector<Vector> digitWriterVectors() {
  return {
      // Negative TIME with a fraction at every stored width (§4.2: the sign covers the fraction).
      {col(MYSQL_TYPE_TIME2, 1), {0x7F, 0xFF, 0xFE, 0xCE}, "-00:00:01.5", "TIME(1) '-00:00:01.5'"},
      {col(MYSQL_TYPE_TIME2, 4),
       {0x7F, 0xEF, 0x7C, 0xEE, 0x29},
       "-01:02:03.4567",
       "TIME(4) '-01:02:03.4567'"},
      {col(MYSQL_TYPE_TIME2, 5),
       {0x4B, 0x91, 0x04, 0xFF, 0xFF, 0xF6},
       "-838:59:59.00001",
       "TIME(5) '-838:59:59.00001'"},
      // Zero dates keep every fraction digit.
      {col(MYSQL_TYPE_DATETIME2, 1),
       {0x80, 0, 0, 0, 0, 0},
       "0000-00-00T00:00:00.0",
       "DATETIME(1) zero"},
      {col(MYSQL_TYPE_DATETIME2, 4),
       {0x80, 0, 0, 0, 0, 0, 0},
       "0000-00-00T00:00:00.0000",
       "DATETIME(4) zero"},
      {col(MYSQL_TYPE_DATETIME2, 5),
       {0x80, 0, 0, 0, 0, 0, 0, 0},
       "0000-00-00T00:00:00.00000",
       "DATETIME(5) zero"},
      {col(MYSQL_TYPE_TIMESTAMP2, 6),
       {0, 0, 0, 0, 0, 0, 0},
       "0000-00-00T00:00:00.000000",
       "TIMESTAMP(6) zero"},
      {col(MYSQL_TYPE_DATETIME2, 6),
       {0xFE, 0xF3, 0xFF, 0x7E, 0xFB, 0x0F, 0x42, 0x3F},
       "9999-12-31T23:59:59.999999",
       "DATETIME(6) '9999-12-31 23:59:59.999999'"},
      // Every bit set: a 5-digit year and out-of-range fields keep all their digits.
      {col(MYSQL_TYPE_DATETIME2, 0), Bytes(5, 0xFF), "10082-05-31T31:63:63",
       "DATETIME all bits set"},
      {col(MYSQL_TYPE_TIMESTAMP2, 0), Bytes(4, 0xFF), "2106-02-07T06:28:15Z", "TIMESTAMP 2^32-1"},
      // DECIMAL: sign, leading zeros of the first group dropped, inner groups padded.
      {decimal(4, 2), {0x80, 0x05}, "0.05", "DECIMAL(4,2) 0.05"},
      {decimal(4, 2), {0x7F, 0xFA}, "-0.05", "DECIMAL(4,2) -0.05"},
      {decimal(10, 2), {0x80, 0x00, 0x00, 0x01, 0x32}, "1.50", "DECIMAL(10,2) 1.50"},
      {decimal(10, 2), {0x7F, 0xFF, 0xFF, 0xFE, 0xCD}, "-1.50", "DECIMAL(10,2) -1.50"},
      {decimal(19, 0),
       {0x80, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00},
       "1000000000",
       "DECIMAL(19,0) 1000000000 (first group zero)"},
      {decimal(19, 0),
       {0x89, 0x3B, 0x9A, 0xC9, 0xFF, 0x3B, 0x9A, 0xC9, 0xFF},
       "9999999999999999999",
       "DECIMAL(19,0) max"},
      {decimal(2, 2), {0x80}, "0.00", "DECIMAL(2,2) 0 (no integer digits)"},
      {decimal(2, 2), {0xE3}, "0.99", "DECIMAL(2,2) 0.99"},
      {unsignedCol(MYSQL_TYPE_LONGLONG),
       {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80},
       "9223372036854775808",
       "BIGINT UNSIGNED 2^63"},
      {col(MYSQL_TYPE_LONGLONG),
       {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80},
       "-9223372036854775808",
       "BIGINT min"},
  };
}

TEST(ColumnValue, DigitWriterEdgeCases) { expectDecodes(digitWriterVectors()); }

// ---- BIT, ENUM, SET ----

TEST(ColumnValue, BitIsBigEndian) {
  expectDecodes({
      // mysql_type_bit.000001: CREATE TABLE foo(a BIT(3), b TEXT, c BIT(8)); a = b'100', c =
      // b'100000'.
      {col(MYSQL_TYPE_BIT, 0x0003), {0x04}, "4", "BIT(3) b'100'"},
      {col(MYSQL_TYPE_BIT, 0x0100), {0x20}, "32", "BIT(8) b'100000'"},
      {col(MYSQL_TYPE_BIT, 0x0102), {0x03, 0xFF}, "1023", "BIT(10) b'1111111111'"},
      {col(MYSQL_TYPE_BIT, 0x0800),
       {0x80, 0, 0, 0, 0, 0, 0, 0x01},
       "9223372036854775809",
       "BIT(64) with the top and bottom bits set"},
  });
}

TEST(ColumnValue, TruncatedBitFails) {
  expectEveryPrefixFailsToSize({{col(MYSQL_TYPE_BIT, 0x0102), {0x03, 0xFF}, "", "BIT(10)"}});
}

TEST(ColumnValue, EnumAndSetUseMembersWhenKnown) {
  // mysql-enum-string-set.000001: f3 ENUM('var1','variant2','foo'), f4
  // SET('one','two','three','four').
  TableMapColumn e = col(MYSQL_TYPE_ENUM, 1);
  e.members = {"var1", "variant2", "foo"};
  TableMapColumn s = col(MYSQL_TYPE_SET, 1);
  s.members = {"one", "two", "three", "four"};
  expectDecodes({
      {e, {0x01}, "var1", "ENUM 'var1'"},
      {e, {0x02}, "variant2", "ENUM 'variant2'"},
      {e, {0x00}, "", "ENUM '' (the error value of an invalid insert)"},
      {s, {0x05}, "one,three", "SET 'one,three'"},
      {s, {0x0A}, "two,four", "SET 'two,four'"},
      {s, {0x00}, "", "SET ''"},
      // Without FULL metadata the index or bitmap is all we have.
      {col(MYSQL_TYPE_ENUM, 1), {0x02}, "2", "ENUM index 2, members unknown"},
      {col(MYSQL_TYPE_SET, 1), {0x05}, "5", "SET bitmap 0b101, members unknown"},
      {col(MYSQL_TYPE_ENUM, 2), {0x2C, 0x01}, "300", "ENUM with 300 members, 2-byte index"},
  });
}

// ---- strings and blobs (§4.6, §4.8) ----

std::vector<Vector> stringVectors() {
  TableMapColumn binary4 = col(MYSQL_TYPE_STRING, 4);
  binary4.collation = kBinaryCollation;
  TableMapColumn blob = col(MYSQL_TYPE_BLOB, 2);
  blob.collation = kBinaryCollation;
  TableMapColumn text = col(MYSQL_TYPE_BLOB, 2);
  text.collation = 255;
  return {
      {col(MYSQL_TYPE_VARCHAR, 40), {0x03, 'a', 'b', 'c'}, "abc", "VARCHAR(10) utf8mb4 'abc'"},
      {col(MYSQL_TYPE_VARCHAR, 255),
       {0x01, 'x'},
       "x",
       "VARCHAR(255) latin1: max 255 < 256, 1-byte length"},
      {col(MYSQL_TYPE_VARCHAR, 1200),
       {0x03, 0x00, 'a', 'b', 'c'},
       "abc",
       "VARCHAR(300) utf8mb4 'abc': max 1200 bytes, 2-byte length"},
      {col(MYSQL_TYPE_VARCHAR, 256), {0x00, 0x00}, "", "VARCHAR(64) utf8mb4 '': 2-byte length"},
      // mysql-enum-string-set.000001: CHAR(128) utf8mb4 (512 bytes) has a 2-byte length prefix.
      {col(MYSQL_TYPE_STRING, 512), {0x02, 0x00, 'h', 'i'}, "hi", "CHAR(128) utf8mb4 'hi'"},
      {col(MYSQL_TYPE_STRING, 252), {0x02, 'h', 'i'}, "hi", "CHAR(63) utf8mb4 'hi': 1-byte length"},
      // BINARY(4) 'a': the server strips trailing 0x00; the value is re-padded to 4 bytes.
      {binary4, {0x01, 'a'}, "0x61000000", "BINARY(4) 'a'"},
      {blob, {0x01, 0x00, 0x05}, "0x05", "BLOB x'05' (binlog-invisible-columns f5)"},
      {text, {0x01, 0x00, '4'}, "4", "TEXT '4' utf8mb4_0900_ai_ci"},
      {col(MYSQL_TYPE_BLOB, 1), {0x02, 'o', 'k'}, "ok", "TINYTEXT 'ok'"},
      {col(MYSQL_TYPE_BLOB, 3), {0x02, 0x00, 0x00, 'o', 'k'}, "ok", "MEDIUMTEXT 'ok'"},
      {col(MYSQL_TYPE_BLOB, 4), {0x02, 0x00, 0x00, 0x00, 'o', 'k'}, "ok", "LONGTEXT 'ok'"},
      {col(MYSQL_TYPE_VAR_STRING, 30), {0x02, 'o', 'k'}, "ok", "pre-5.0.3 VARCHAR 'ok'"},
  };
}

TEST(ColumnValue, StringsAndBlobs) { expectDecodes(stringVectors()); }
TEST(ColumnValue, TruncatedStringsAndBlobsFail) { expectEveryPrefixFailsToSize(stringVectors()); }

TEST(ColumnValue, BlobLengthPrefixSizeOutsideOneToFourIsCorruption) {
  const Bytes bytes(16, 0x01);
  for (uint16_t meta : {0, 5}) {
    ByteReader r(bytes);
    auto value = sizeValue(r, col(MYSQL_TYPE_BLOB, meta));
    ASSERT_FALSE(value.isOk()) << meta;
    EXPECT_NE(value.status().message().find(fmt::format("length-prefix size {} is not 1..4", meta)),
              std::string::npos)
        << value.status().message();
  }
}

TEST(ColumnValue, LengthBeyondTheRowIsCorruptionAndFailsTheReader) {
  const Bytes bytes = {0x10, 'a', 'b'};
  ByteReader r(bytes);
  auto value = sizeValue(r, col(MYSQL_TYPE_VARCHAR, 40));
  ASSERT_FALSE(value.isOk());
  EXPECT_NE(value.status().message().find("value length 16 exceeds the 2 bytes left"),
            std::string::npos)
      << value.status().message();
  EXPECT_FALSE(r.ok());
}

// ---- extremes: DECIMAL(65,30), BIT(64), ENUM of 300 members, SET of 64 ----

TEST(ColumnValue, ExtremeWidthsDecodeExactly) {
  TableMapColumn enum300 = col(MYSQL_TYPE_ENUM, 2);
  TableMapColumn set64 = col(MYSQL_TYPE_SET, 8);
  for (int i = 1; i <= 300; ++i) {
    enum300.members.push_back(fmt::format("m{}", i));
  }
  for (int i = 1; i <= 64; ++i) {
    set64.members.push_back(fmt::format("s{}", i));
  }
  std::string all64;
  for (int i = 1; i <= 64; ++i) {
    all64 += fmt::format("{}s{}", i == 1 ? "" : ",", i);
  }
  expectDecodes({
      // DECIMAL(65,30) max and min: 35 integer digits (8 + 3x9), 30 fraction digits (3x9 + 3).
      {decimal(65, 30),
       {0x85, 0xF5, 0xE0, 0xFF, 0x3B, 0x9A, 0xC9, 0xFF, 0x3B, 0x9A, 0xC9, 0xFF, 0x3B, 0x9A, 0xC9,
        0xFF, 0x3B, 0x9A, 0xC9, 0xFF, 0x3B, 0x9A, 0xC9, 0xFF, 0x3B, 0x9A, 0xC9, 0xFF, 0x03, 0xE7},
       std::string(35, '9') + "." + std::string(30, '9'),
       "DECIMAL(65,30) max"},
      {decimal(65, 30),
       {0x7A, 0x0A, 0x1F, 0x00, 0xC4, 0x65, 0x36, 0x00, 0xC4, 0x65, 0x36, 0x00, 0xC4, 0x65, 0x36,
        0x00, 0xC4, 0x65, 0x36, 0x00, 0xC4, 0x65, 0x36, 0x00, 0xC4, 0x65, 0x36, 0x00, 0xFC, 0x18},
       "-" + std::string(35, '9') + "." + std::string(30, '9'),
       "DECIMAL(65,30) min"},
      {col(MYSQL_TYPE_BIT, 0x0800), Bytes(8, 0xFF), "18446744073709551615", "BIT(64) b'1...1'"},
      {unsignedCol(MYSQL_TYPE_LONGLONG), Bytes(8, 0xFF), "18446744073709551615",
       "BIGINT UNSIGNED max"},
      // ENUM('m1',...,'m300'): 2-byte index.
      {enum300, {0x2C, 0x01}, "m300", "ENUM of 300 members, 'm300'"},
      {enum300, {0x00, 0x01}, "m256", "ENUM of 300 members, 'm256'"},
      // SET('s1',...,'s64'): 8-byte bitmap.
      {set64, Bytes(8, 0xFF), all64, "SET of 64 members, all"},
      {set64, {0, 0, 0, 0, 0, 0, 0, 0x80}, "s64", "SET of 64 members, 's64'"},
  });
}

// ---- old temporal types (before MySQL 5.6.4), docs/binlog-format.md §4.1 and §4.10 ----

std::vector<Vector> oldTemporalVectors() {
  return {
      // sakila (5.5): TIMESTAMP 1139976222 = 2006-02-15 04:03:42 UTC.
      {col(MYSQL_TYPE_TIMESTAMP),
       {0x1E, 0xA8, 0xF2, 0x43},
       "2006-02-15T04:03:42Z",
       "old TIMESTAMP"},
      {col(MYSQL_TYPE_TIMESTAMP), {0, 0, 0, 0}, "0000-00-00T00:00:00", "old TIMESTAMP zero"},
      {col(MYSQL_TYPE_DATETIME),
       {0x56, 0xD9, 0xFD, 0xA1, 0x3E, 0x12, 0, 0},
       "2006-02-15T04:03:42",
       "old DATETIME 2006-02-15 04:03:42 (20060215040342)"},
      {col(MYSQL_TYPE_DATETIME), Bytes(8, 0), "0000-00-00T00:00:00", "old DATETIME zero"},
      // 20150021000000: a zero month kept as text.
      {col(MYSQL_TYPE_DATETIME),
       {0x40, 0x0B, 0xD8, 0x8A, 0x53, 0x12, 0, 0},
       "2015-00-21T00:00:00",
       "old DATETIME '2015-00-21'"},
      {col(MYSQL_TYPE_TIME), {0x67, 0x2B, 0x00}, "01:11:11", "old TIME '01:11:11' (11111)"},
      {col(MYSQL_TYPE_TIME), {0x59, 0x0A, 0x80}, "-838:59:59", "old TIME '-838:59:59' (-8385959)"},
  };
}

TEST(ColumnValue, OldTemporalTypesRenderLikeTheirV2Types) { expectDecodes(oldTemporalVectors()); }
TEST(ColumnValue, TruncatedOldTemporalValuesFail) {
  expectEveryPrefixFailsToSize(oldTemporalVectors());
}

// ---- JSON (§4.7), GEOMETRY and VECTOR (§4.8): the decoders have tests of their own ----

std::vector<Vector> documentVectors() {
  return {
      // SELECT CAST('null' AS JSON): 4-byte length + binary JSON literal null.
      {col(MYSQL_TYPE_JSON, 4), {0x02, 0, 0, 0, 0x04, 0x00}, "null", "JSON null"},
      // INSERT IGNORE of NULL into a NOT NULL JSON column: an empty value.
      {col(MYSQL_TYPE_JSON, 4), {0, 0, 0, 0}, "null", "JSON empty value"},
      // '{"a":1}': small object, one key entry, int16 inlined.
      {col(MYSQL_TYPE_JSON, 4),
       {0x0D, 0, 0, 0, 0x00, 0x01, 0x00, 0x0C, 0x00, 0x0B, 0x00, 0x01, 0x00, 0x05, 0x01, 0x00, 'a'},
       R"({"a":1})",
       "JSON {\"a\":1}"},
      // ST_GeomFromText('POINT(1 2)'): SRID 0 + WKB.
      {col(MYSQL_TYPE_GEOMETRY, 4),
       {0x19, 0, 0, 0, 0,    0,    0, 0, 0x01, 0x01, 0, 0, 0, 0,   0,
        0,    0, 0, 0, 0xF0, 0x3F, 0, 0, 0,    0,    0, 0, 0, 0x40},
       "POINT(1 2)",
       "GEOMETRY POINT(1 2)"},
      // vector.binlog: VECTOR(3) [1.1, 2.2, 3.3].
      {col(MYSQL_TYPE_VECTOR, 4),
       {0x0C, 0, 0, 0, 0xCD, 0xCC, 0x8C, 0x3F, 0xCD, 0xCC, 0x0C, 0x40, 0x33, 0x33, 0x53, 0x40},
       "[1.1,2.2,3.3]",
       "VECTOR(3) [1.1,2.2,3.3]"},
  };
}

TEST(ColumnValue, JsonGeometryAndVector) { expectDecodes(documentVectors()); }
TEST(ColumnValue, TruncatedJsonGeometryAndVectorFail) {
  expectEveryPrefixFailsToSize(documentVectors());
}

TEST(ColumnValue, MalformedVectorIsCorruption) {
  // 5 bytes: not a whole number of float32; a NaN element, which JSON cannot carry.
  for (const Bytes& bytes :
       {Bytes{0x05, 0, 0, 0, 1, 2, 3, 4, 5}, Bytes{0x04, 0, 0, 0, 0x00, 0x00, 0xC0, 0x7F}}) {
    auto text = decodeToText(col(MYSQL_TYPE_VECTOR, 4), bytes);
    ASSERT_FALSE(text.isOk());
    EXPECT_EQ(text.status().code(), StatusCode::Corruption);
    EXPECT_NE(text.status().message().find("VECTOR"), std::string::npos) << text.status().message();
  }
}

// ---- character sets (§4.9): every text value comes out as UTF-8 ----

TableMapColumn textCol(uint32_t collation, uint8_t type = MYSQL_TYPE_VARCHAR,
                       uint16_t metadata = 40) {
  TableMapColumn c = col(type, metadata);
  c.collation = collation;
  return c;
}

TEST(ColumnValue, TextIsTranscodedToUtf8FromTheColumnCharset) {
  expectDecodes({
      // latin1 is Windows-1252: 0xE9 'é', 0x80 '€'.
      {textCol(8),
       {0x06, 'c', 'a', 'f', 0xE9, ' ', 0x80},
       "caf\xC3\xA9 \xE2\x82\xAC",
       "latin1 'café €'"},
      {textCol(11), {0x02, 'a', 0xE9}, "a\xEF\xBF\xBD", "ascii with a high byte: U+FFFD"},
      // utf8mb4: valid text passes as is; an invalid byte becomes U+FFFD.
      {textCol(45), {0x04, 0xF0, 0x9F, 0x98, 0x80}, "\xF0\x9F\x98\x80", "utf8mb4 emoji"},
      {textCol(255),
       {0x03, 'a', 0xFF, 'b'},
       "a\xEF\xBF\xBD"
       "b",
       "utf8mb4 0xFF (python-mysql-replication #334)"},
      {textCol(0), {0x02, 0xC3, 0x28}, "\xEF\xBF\xBD(", "unknown collation: validated as UTF-8"},
      // ucs2 / utf16 are big-endian; utf16 pairs surrogates.
      {textCol(35), {0x04, 0x00, 'A', 0x20, 0xAC}, "A\xE2\x82\xAC", "ucs2 'A€'"},
      {textCol(54), {0x06, 0x00, 'A', 0xD8, 0x3D, 0xDE, 0x00}, "A\xF0\x9F\x98\x80", "utf16 'A😀'"},
      {textCol(56), {0x06, 'A', 0x00, 0x3D, 0xD8, 0x00, 0xDE}, "A\xF0\x9F\x98\x80", "utf16le 'A😀'"},
      {textCol(60), {0x04, 0x00, 0x01, 0xF6, 0x00}, "\xF0\x9F\x98\x80", "utf32 '😀'"},
      {textCol(54),
       {0x03, 0xD8, 0x3D, 'x'},
       "\xEF\xBF\xBD\xEF\xBF\xBD",
       "utf16: lone surrogate and odd byte"},
      // MariaDB 11 utf8mb4_uca1400_ai_ci (2304) and a CHAR(10) latin1 (STRING).
      {textCol(2304), {0x02, 0xC3, 0xA9}, "\xC3\xA9", "utf8mb4_uca1400_ai_ci 'é'"},
      {textCol(8, MYSQL_TYPE_STRING, 10), {0x01, 0xE9}, "\xC3\xA9", "CHAR(10) latin1 'é'"},
      {textCol(8, MYSQL_TYPE_BLOB, 2), {0x01, 0x00, 0xE9}, "\xC3\xA9", "TEXT latin1 'é'"},
  });
}

TEST(ColumnValue, MariadbJsonIsEmbeddedWhenValidElseAString) {
  // MariaDB: j JSON = LONGTEXT COLLATE utf8mb4_bin CHECK (json_valid(j)); is_json from the schema.
  TableMapColumn j = textCol(46, MYSQL_TYPE_BLOB, 4);
  j.is_json = true;
  const std::string doc = R"({"a": [1, 2.5, "\u00e9"]})";
  Bytes bytes = {static_cast<uint8_t>(doc.size()), 0, 0, 0};
  bytes.insert(bytes.end(), doc.begin(), doc.end());
  ByteReader r(bytes);
  auto sized = sizeValue(r, j);
  ASSERT_TRUE(sized.isOk());
  CellValue out;
  ASSERT_TRUE(decodeValue(j, *sized, out).isOk());
  EXPECT_EQ(out.kind, CellValue::Kind::Json);
  EXPECT_EQ(out.json, doc);
  // A CHECK can be disabled: text that is not JSON stays a string, never broken output.
  const Bytes broken = {0x05, 0, 0, 0, '{', '"', 'a', '"', ':'};
  ByteReader rb(broken);
  ASSERT_TRUE(decodeValue(j, *sizeValue(rb, j), out).isOk());
  EXPECT_EQ(out.kind, CellValue::Kind::Text);
  EXPECT_EQ(std::string(out.bytes.begin(), out.bytes.end()), R"({"a":)");
}

TEST(ColumnValue, OldDecimalAndUnknownTypesCannotBeSized) {
  const Bytes bytes(8, 0);
  for (uint8_t type : {uint8_t{MYSQL_TYPE_DECIMAL}, uint8_t{100}}) {
    ByteReader r(bytes);
    auto value = sizeValue(r, col(type));
    ASSERT_FALSE(value.isOk());
    EXPECT_EQ(value.status().code(), StatusCode::Unsupported);
    EXPECT_NE(value.status().message().find(fmt::format("column type {} ", type)),
              std::string::npos)
        << value.status().message();
  }
}

}  // namespace
}  // namespace mm::binlog
