// Byte-literal TABLE_MAP tests. Layout: docs/binlog-format.md §2.3 (optional metadata) and
// §4.1/§4.6 (per-type column metadata).
#include "binlog/table_map.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "binlog/column_type.h"
#include "support/binlog_bytes.h"

namespace mm::binlog {
namespace {

using test::appendBytes;
using test::appendLe;
using test::appendText;
using test::Bytes;

struct TableMapSpec {
  uint64_t table_id = 108;
  std::string db = "shop";
  std::string table = "t";
  Bytes types;
  Bytes metadata;
  Bytes null_bits;
  Bytes optional;  // TLVs
};

Bytes tableMapBody(const TableMapSpec& s, size_t table_id_width = 6) {
  Bytes body;
  appendLe(body, s.table_id, table_id_width);
  appendLe(body, 1, 2);  // flags
  body.push_back(static_cast<uint8_t>(s.db.size()));
  appendText(body, s.db);
  body.push_back(0);
  body.push_back(static_cast<uint8_t>(s.table.size()));
  appendText(body, s.table);
  body.push_back(0);
  body.push_back(static_cast<uint8_t>(s.types.size()));
  appendBytes(body, s.types);
  body.push_back(static_cast<uint8_t>(s.metadata.size()));
  appendBytes(body, s.metadata);
  appendBytes(body, s.null_bits);
  appendBytes(body, s.optional);
  return body;
}

Bytes tlv(uint8_t type, std::initializer_list<uint8_t> value) {
  Bytes out;
  out.push_back(type);
  out.push_back(static_cast<uint8_t>(value.size()));
  for (uint8_t b : value) {
    out.push_back(b);
  }
  return out;
}

Result<TableMap> decode(const TableMapSpec& spec) { return decodeTableMap(tableMapBody(spec), 8); }

void expectCorruption(const TableMapSpec& spec, std::string_view message_part) {
  auto map = decode(spec);
  ASSERT_FALSE(map.isOk()) << "decoded, expected: " << message_part;
  EXPECT_EQ(map.status().code(), StatusCode::Corruption);
  EXPECT_NE(map.status().message().find(message_part), std::string::npos) << map.status().message();
  EXPECT_NE(map.status().message().find("TABLE_MAP_EVENT for table id 108"), std::string::npos)
      << map.status().message();
}

// CREATE TABLE shop.t (id INT NOT NULL, v VARCHAR(300), d DECIMAL(10,2), c CHAR(128), e
// ENUM('a','b'),
//   s SET('x','y'), b BIT(10), x TEXT, dt DATETIME(3), f DOUBLE) CHARSET utf8mb4;
TableMapSpec everyMetadataShape() {
  TableMapSpec s;
  s.types = {MYSQL_TYPE_LONG,      MYSQL_TYPE_VARCHAR, MYSQL_TYPE_NEWDECIMAL, MYSQL_TYPE_STRING,
             MYSQL_TYPE_STRING,    MYSQL_TYPE_STRING,  MYSQL_TYPE_BIT,        MYSQL_TYPE_BLOB,
             MYSQL_TYPE_DATETIME2, MYSQL_TYPE_DOUBLE};
  s.metadata = {0xB0, 0x04,    // VARCHAR(300) utf8mb4: 1200 bytes, one LE field
                0x0A, 0x02,    // DECIMAL(10,2): precision, scale
                0xDE, 0x00,    // CHAR(128) utf8mb4: 512 bytes, bits 8-9 inverted into b0
                0xF7, 0x01,    // ENUM, 1 byte
                0xF8, 0x01,    // SET, 1 byte
                0x02, 0x01,    // BIT(10): M mod 8 = 2, M div 8 = 1
                0x02,          // TEXT: 2 length bytes
                0x03,          // DATETIME(3)
                0x08};         // DOUBLE
  s.null_bits = {0xFE, 0x03};  // every column but id is NULLable
  return s;
}

TEST(TableMapDecoder, DecodesNamesTypesMetadataAndNullability) {
  auto map = decode(everyMetadataShape());
  ASSERT_TRUE(map.isOk()) << map.status().toString();
  EXPECT_EQ(map->table_id, 108u);
  EXPECT_EQ(map->database, "shop");
  EXPECT_EQ(map->table, "t");
  ASSERT_EQ(map->columns.size(), 10u);
  const auto& c = map->columns;
  EXPECT_FALSE(c[0].nullable);
  EXPECT_TRUE(c[1].nullable);
  EXPECT_TRUE(c[9].nullable);
  EXPECT_EQ(c[1].metadata, 1200);
  EXPECT_EQ(c[2].metadata, 10 << 8 | 2);
  EXPECT_EQ(c[3].type, MYSQL_TYPE_STRING);
  EXPECT_EQ(c[3].real_type, MYSQL_TYPE_STRING);
  EXPECT_EQ(c[3].metadata, 512);
  EXPECT_EQ(c[4].type, MYSQL_TYPE_STRING);
  EXPECT_EQ(c[4].real_type, MYSQL_TYPE_ENUM);
  EXPECT_EQ(c[4].metadata, 1);
  EXPECT_EQ(c[5].real_type, MYSQL_TYPE_SET);
  EXPECT_EQ(c[5].metadata, 1);
  EXPECT_EQ(c[6].metadata, 0x0102);
  EXPECT_EQ(c[7].metadata, 2);
  EXPECT_EQ(c[8].metadata, 3);
  EXPECT_EQ(c[9].metadata, 8);
  EXPECT_FALSE(map->has_column_names);
  EXPECT_FALSE(map->has_primary_key);
  EXPECT_FALSE(c[0].has_signedness);
  EXPECT_EQ(c[1].collation, 0u);
}

// Worked out once per TABLE_MAP so that row images split without a dispatch per value
// (docs/binlog-format.md §4: each type's width or length prefix).
TEST(TableMapDecoder, WorksOutEachColumnsValueLayout) {
  auto map = decode(everyMetadataShape());
  ASSERT_TRUE(map.isOk()) << map.status().toString();
  const auto& c = map->columns;
  const std::vector<std::pair<int, int>> expected = {
      {4, 0},  // INT
      {0, 2},  // VARCHAR(300) utf8mb4: 1200 bytes, 2-byte length
      {5, 0},  // DECIMAL(10,2): 8 integer digits in 4 bytes, 2 fraction digits in 1
      {0, 2},  // CHAR(128) utf8mb4: 512 bytes, 2-byte length
      {1, 0},  // ENUM
      {1, 0},  // SET
      {2, 0},  // BIT(10)
      {0, 2},  // TEXT
      {7, 0},  // DATETIME(3): 5 bytes and 2 of fraction
      {8, 0},  // DOUBLE
  };
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(c[i].value_width, expected[i].first) << i;
    EXPECT_EQ(c[i].value_prefix, expected[i].second) << i;
  }
}

// STRING metadata for lengths around the one-byte limit (docs/binlog-format.md §4.6): the length is
// in bytes, and lengths 256..1023 keep bits 8-9 inverted in b0 bits 4-5.
TEST(TableMapDecoder, StringMetadataForLongChar) {
  struct Case {
    uint8_t b0, b1;
    uint16_t length;
    const char* sql;
  };
  const Case cases[] = {
      {0xFE, 0xFC, 252, "CHAR(63) utf8mb4"},  {0xEE, 0x00, 256, "CHAR(64) utf8mb4"},
      {0xDE, 0x00, 512, "CHAR(128) utf8mb4"}, {0xCE, 0xFC, 1020, "CHAR(255) utf8mb4"},
      {0xFE, 0x0A, 10, "BINARY(10)"},
  };
  for (const Case& k : cases) {
    TableMapSpec s;
    s.types = {MYSQL_TYPE_STRING};
    s.metadata = {k.b0, k.b1};
    s.null_bits = {0x01};
    auto map = decode(s);
    ASSERT_TRUE(map.isOk()) << k.sql << ": " << map.status().toString();
    EXPECT_EQ(map->columns[0].real_type, MYSQL_TYPE_STRING) << k.sql;
    EXPECT_EQ(map->columns[0].metadata, k.length) << k.sql;
  }
}

TEST(TableMapDecoder, PostHeaderOfSixMeansFourByteTableId) {
  TableMapSpec s = everyMetadataShape();
  s.table_id = 0x01020304;
  auto map = decodeTableMap(tableMapBody(s, 4), 6);
  ASSERT_TRUE(map.isOk()) << map.status().toString();
  EXPECT_EQ(map->table_id, 0x01020304u);
  EXPECT_EQ(map->columns.size(), 10u);
}

TEST(TableMapDecoder, SixByteTableId) {
  TableMapSpec s = everyMetadataShape();
  s.table_id = 0x0000A1B2C3D4E5F6ULL & 0xFFFFFFFFFFFFULL;
  auto map = decode(s);
  ASSERT_TRUE(map.isOk()) << map.status().toString();
  EXPECT_EQ(map->table_id, 0xA1B2C3D4E5F6ULL);
}

// binlog-invisible-columns.000001 (MySQL 8.0.26, binlog_row_metadata=FULL):
// CREATE TABLE t1 (f1 INT UNSIGNED INVISIBLE, f2 INT UNSIGNED INVISIBLE, f3 INT, f4 TEXT, f5 BLOB,
//   f6 BIGINT UNSIGNED INVISIBLE). SIGNEDNESS covers the 4 numeric columns: D0 = 1101 MSB-first.
TEST(TableMapDecoder, SignednessCountsNumericColumnsOnlyMsbFirst) {
  TableMapSpec s;
  s.table = "t1";
  s.types = {MYSQL_TYPE_LONG, MYSQL_TYPE_LONG, MYSQL_TYPE_LONG,
             MYSQL_TYPE_BLOB, MYSQL_TYPE_BLOB, MYSQL_TYPE_LONGLONG};
  s.metadata = {0x02, 0x02};
  s.null_bits = {0x3F};
  s.optional = tlv(1, {0xD0});                                // SIGNEDNESS
  appendBytes(s.optional, tlv(3, {0xFC, 0xFF, 0x00, 0x3F}));  // COLUMN_CHARSET: 255, 63
  appendBytes(s.optional, tlv(4, {2, 'f', '1', 2, 'f', '2', 2, 'f', '3', 2, 'f', '4', 2, 'f', '5',
                                  2, 'f', '6'}));
  appendBytes(s.optional, tlv(12, {0x3C}));  // COLUMN_VISIBILITY: skipped
  auto map = decode(s);
  ASSERT_TRUE(map.isOk()) << map.status().toString();
  const auto& c = map->columns;
  const bool unsigned_flags[] = {true, true, false, false, false, true};
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(c[i].name, fmt::format("f{}", i + 1));
    const bool numeric = i != 3 && i != 4;
    EXPECT_EQ(c[i].has_signedness, numeric) << i;
    EXPECT_EQ(c[i].is_unsigned, unsigned_flags[i]) << i;
  }
  EXPECT_TRUE(map->has_column_names);
  EXPECT_EQ(c[3].collation, 255u);
  EXPECT_EQ(c[4].collation, kBinaryCollation);
  EXPECT_EQ(c[0].collation, 0u);
}

// CREATE TABLE t (y YEAR, a INT UNSIGNED, name VARCHAR(10), b BIGINT): YEAR is not numeric for
// SIGNEDNESS (MySQL is_numeric_type), so the one byte 0x80 says a is UNSIGNED and b is signed.
TableMapSpec yearBeforeNumbers(uint8_t signedness) {
  TableMapSpec s;
  s.types = {MYSQL_TYPE_YEAR, MYSQL_TYPE_LONG, MYSQL_TYPE_VARCHAR, MYSQL_TYPE_LONGLONG};
  s.metadata = {0x28, 0x00};
  s.null_bits = {0x0F};
  s.optional = tlv(1, {signedness});
  return s;
}

// a UNSIGNED, b signed; YEAR and the VARCHAR without signedness.
void expectYearBeforeNumbers(const Result<TableMap>& map) {
  ASSERT_TRUE(map.isOk()) << map.status().toString();
  EXPECT_FALSE(map->columns[0].has_signedness);
  EXPECT_TRUE(map->columns[1].is_unsigned);
  EXPECT_FALSE(map->columns[2].has_signedness);
  EXPECT_TRUE(map->columns[3].has_signedness);
  EXPECT_FALSE(map->columns[3].is_unsigned);
}

TEST(TableMapDecoder, YearBeforeUnsignedColumnIsNotCountedForSignedness) {
  expectYearBeforeNumbers(decode(yearBeforeNumbers(0x80)));
}

// The same table on MariaDB (10.11, seen live): YEAR has a SIGNEDNESS bit there (set: YEAR is
// unsigned), so the bits 1 1 0 are YEAR, a UNSIGNED and b signed.
TEST(TableMapDecoder, MariadbCountsYearForSignedness) {
  const Bytes body = tableMapBody(yearBeforeNumbers(0xC0));
  expectYearBeforeNumbers(decodeTableMap(body, 8, /*mariadb=*/true));
  // Read as MySQL's, the same bits would make b UNSIGNED: a negative BIGINT published as huge.
  auto as_mysql = decodeTableMap(body, 8);
  ASSERT_TRUE(as_mysql.isOk());
  EXPECT_TRUE(as_mysql->columns[3].is_unsigned);
}

// vector.binlog table bar (MySQL 9.0.1): CREATE TABLE bar(id SERIAL, vector_column VECTOR(2) NOT
// NULL, foo TEXT, vector_column2 VECTOR(4) NOT NULL); DEFAULT_CHARSET 3F 01 FC FF 00 = default 63,
// character column #1 (foo) 255. VECTOR columns count as character columns.
TEST(TableMapDecoder, DefaultCharsetWithExceptionCountsCharacterColumnsOnly) {
  TableMapSpec s;
  s.table = "bar";
  s.types = {MYSQL_TYPE_LONGLONG, MYSQL_TYPE_VECTOR, MYSQL_TYPE_BLOB, MYSQL_TYPE_VECTOR};
  s.metadata = {0x04, 0x02, 0x04};
  s.null_bits = {0x04};
  s.optional = tlv(1, {0x80});
  appendBytes(s.optional, tlv(2, {0x3F, 0x01, 0xFC, 0xFF, 0x00}));
  appendBytes(s.optional, tlv(13, {0x02, 0x04}));  // VECTOR_DIMENSIONALITY: skipped
  auto map = decode(s);
  ASSERT_TRUE(map.isOk()) << map.status().toString();
  EXPECT_EQ(map->columns[0].collation, 0u);
  EXPECT_EQ(map->columns[1].collation, 63u);
  EXPECT_EQ(map->columns[2].collation, 255u);
  EXPECT_EQ(map->columns[3].collation, 63u);
  EXPECT_TRUE(map->columns[0].is_unsigned);
}

// CREATE TABLE t (id INT PRIMARY KEY, e ENUM('var1','variant2'), s SET('one','two','three'),
//   c CHAR(4)) with binlog_row_metadata=FULL.
TEST(TableMapDecoder, EnumAndSetMembersPrimaryKeyAndEnumSetCharset) {
  TableMapSpec s;
  s.types = {MYSQL_TYPE_LONG, MYSQL_TYPE_STRING, MYSQL_TYPE_STRING, MYSQL_TYPE_STRING};
  s.metadata = {0xF7, 0x01, 0xF8, 0x01, 0xFE, 0x10};
  s.null_bits = {0x0E};
  appendBytes(s.optional,
              tlv(5, {3, 3, 'o', 'n', 'e', 3, 't', 'w', 'o', 5, 't', 'h', 'r', 'e', 'e'}));
  appendBytes(s.optional,
              tlv(6, {2, 4, 'v', 'a', 'r', '1', 8, 'v', 'a', 'r', 'i', 'a', 'n', 't', '2'}));
  appendBytes(s.optional, tlv(8, {0x00}));   // SIMPLE_PRIMARY_KEY: column 0
  appendBytes(s.optional, tlv(2, {0x2D}));   // DEFAULT_CHARSET: 45 for c
  appendBytes(s.optional, tlv(10, {0x21}));  // ENUM_AND_SET_DEFAULT_CHARSET: 33
  auto map = decode(s);
  ASSERT_TRUE(map.isOk()) << map.status().toString();
  EXPECT_EQ(map->columns[1].members, (std::vector<std::string>{"var1", "variant2"}));
  EXPECT_EQ(map->columns[2].members, (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_TRUE(map->columns[3].members.empty());
  EXPECT_TRUE(map->has_primary_key);
  EXPECT_EQ(map->primary_key, (std::vector<uint32_t>{0}));
  EXPECT_EQ(map->columns[1].collation, 33u);
  EXPECT_EQ(map->columns[2].collation, 33u);
  EXPECT_EQ(map->columns[3].collation, 45u);
}

// CREATE TABLE t (g GEOMETRY, v VARCHAR(10) CHARACTER SET latin1, e ENUM('caf\xE9')) CHARSET latin1
// on MariaDB with FULL metadata: COLUMN_CHARSET has an entry for GEOMETRY (its server class is a
// BLOB), and ENUM members arrive in the column's charset and leave as UTF-8.
TEST(TableMapDecoder, GeometryHasACharsetEntryAndMembersBecomeUtf8) {
  TableMapSpec s;
  s.types = {MYSQL_TYPE_GEOMETRY, MYSQL_TYPE_VARCHAR, MYSQL_TYPE_STRING};
  s.metadata = {0x04, 0x0A, 0x00, 0xF7, 0x01};
  s.null_bits = {0x07};
  appendBytes(s.optional, tlv(3, {0x3F, 0x08}));                 // COLUMN_CHARSET: 63, 8
  appendBytes(s.optional, tlv(6, {1, 4, 'c', 'a', 'f', 0xE9}));  // ENUM_STR_VALUE in latin1
  appendBytes(s.optional, tlv(10, {0x08}));                      // ENUM_AND_SET_DEFAULT_CHARSET
  auto map = decode(s);
  ASSERT_TRUE(map.isOk()) << map.status().toString();
  EXPECT_EQ(map->columns[0].collation, 63u);
  EXPECT_EQ(map->columns[1].collation, 8u);
  EXPECT_EQ(map->columns[2].members, (std::vector<std::string>{"caf\xC3\xA9"}));
}

// CREATE TABLE t (a VARCHAR(10), b INT, c TEXT, PRIMARY KEY (b, c(5))).
TEST(TableMapDecoder, PrimaryKeyWithPrefixKeepsKeyOrder) {
  TableMapSpec s;
  s.types = {MYSQL_TYPE_VARCHAR, MYSQL_TYPE_LONG, MYSQL_TYPE_BLOB};
  s.metadata = {0x28, 0x00, 0x02};
  s.null_bits = {0x01};
  s.optional = tlv(9, {0x01, 0x00, 0x02, 0x05});
  auto map = decode(s);
  ASSERT_TRUE(map.isOk()) << map.status().toString();
  EXPECT_EQ(map->primary_key, (std::vector<uint32_t>{1, 2}));
}

TEST(TableMapDecoder, UnknownOptionalMetadataTypeIsSkippedByLength) {
  TableMapSpec s = everyMetadataShape();
  s.optional = tlv(200, {1, 2, 3});
  appendBytes(s.optional, tlv(8, {0x00}));
  auto map = decode(s);
  ASSERT_TRUE(map.isOk()) << map.status().toString();
  EXPECT_EQ(map->primary_key, (std::vector<uint32_t>{0}));
}

// ---- malformed and truncated twins ----

TEST(TableMapDecoder, ZeroColumnsIsCorruption) {
  TableMapSpec s;
  expectCorruption(s, "invalid column count 0");
}

TEST(TableMapDecoder, ColumnCountBeyondTheEventIsCorruption) {
  Bytes body = tableMapBody(everyMetadataShape());
  body[6 + 2 + 1 + 4 + 1 + 1 + 1 + 1] = 0xFC;  // column count -> packed 0xFC ...: 2-byte value
  auto map = decodeTableMap(body, 8);
  ASSERT_FALSE(map.isOk());
  EXPECT_NE(map.status().message().find("invalid column count"), std::string::npos)
      << map.status().message();
}

TEST(TableMapDecoder, MetadataBlockShorterThanTheColumnsNeedIsCorruption) {
  TableMapSpec s = everyMetadataShape();
  s.metadata.pop_back();  // DOUBLE loses its byte
  expectCorruption(s, "metadata of column 9 (DOUBLE) truncated");
}

TEST(TableMapDecoder, MetadataBlockWithExtraBytesIsCorruption) {
  TableMapSpec s = everyMetadataShape();
  s.metadata.push_back(0x00);
  expectCorruption(s, "1 unexpected bytes after column metadata");
}

TEST(TableMapDecoder, TruncatedNullBitmapIsCorruption) {
  TableMapSpec s = everyMetadataShape();
  s.null_bits.pop_back();
  expectCorruption(s, "null bitmap truncated");
}

TEST(TableMapDecoder, OptionalMetadataLongerThanTheEventIsCorruption) {
  TableMapSpec s = everyMetadataShape();
  s.optional = {4, 20, 2, 'i', 'd'};
  expectCorruption(s, "optional metadata field 4 truncated");
}

TEST(TableMapDecoder, TooFewColumnNamesIsCorruption) {
  TableMapSpec s = everyMetadataShape();
  s.optional = tlv(4, {2, 'i', 'd'});
  expectCorruption(s, "optional metadata field 4 malformed");
}

TEST(TableMapDecoder, SignednessShorterThanNumericColumnsIsCorruption) {
  // Nine numeric columns need two SIGNEDNESS bytes (the ⌈columns/8⌉ trap in reverse).
  TableMapSpec s;
  s.types = Bytes(9, MYSQL_TYPE_LONG);
  s.null_bits = {0x00, 0x00};
  s.optional = tlv(1, {0xFF});
  expectCorruption(s, "optional metadata field 1 malformed");
}

TEST(TableMapDecoder, ColumnCharsetWithExtraBytesIsCorruption) {
  TableMapSpec s = everyMetadataShape();  // character columns: v, c, x
  s.optional = tlv(3, {0x2D, 0x2D, 0x3F, 0x2D});
  expectCorruption(s, "optional metadata field 3 malformed");
}

TEST(TableMapDecoder, DefaultCharsetExceptionIndexOutOfRangeIsCorruption) {
  TableMapSpec s = everyMetadataShape();  // three character columns: index 3 does not exist
  s.optional = tlv(2, {0x2D, 0x03, 0x3F});
  expectCorruption(s, "optional metadata field 2 malformed");
}

TEST(TableMapDecoder, EnumMemberCountBeyondTheFieldIsCorruption) {
  TableMapSpec s = everyMetadataShape();
  s.optional = tlv(6, {0xFA, 1, 'a'});
  expectCorruption(s, "optional metadata field 6 malformed");
}

TEST(TableMapDecoder, PrimaryKeyIndexOutOfRangeIsCorruption) {
  TableMapSpec s = everyMetadataShape();
  s.optional = tlv(8, {0x0A});
  expectCorruption(s, "primary key column index 10 out of range");
}

TEST(TableMapDecoder, EveryTruncationFails) {
  TableMapSpec s = everyMetadataShape();
  const size_t optional_start = tableMapBody(s).size();
  s.optional = tlv(4, {2, 'i', 'd', 1,   'v', 1,   'd', 1,   'c', 1, 'e',
                       1, 's', 1,   'b', 1,   'x', 2,   'd', 't', 1, 'f'});
  const size_t names_end = optional_start + s.optional.size();
  appendBytes(s.optional, tlv(8, {0x00}));
  const Bytes body = tableMapBody(s);
  ASSERT_TRUE(decodeTableMap(body, 8).isOk());
  for (size_t n = 0; n < body.size(); ++n) {
    if (n == optional_start || n == names_end) {
      continue;  // optional metadata runs to the end of the event: these cuts are whole TLVs
    }
    const Bytes prefix(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_FALSE(decodeTableMap(prefix, 8).isOk()) << "prefix of " << n << " bytes decoded";
  }
}

}  // namespace
}  // namespace mm::binlog
