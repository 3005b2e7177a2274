// MariaDB compressed events (165-171): the compressed-field codec and the decoder producing the
// bodies of the uncompressed types, with the decompressed bytes owned by the event. Also the
// heartbeat layouts (v2 TLV, MariaDB's 64-bit sub-header). docs/binlog-format.md §1.7, §2.7.
#include "binlog/compressed_event.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "binlog/column_type.h"
#include "binlog/event_decoder.h"
#include "support/binlog_bytes.h"

namespace mm::binlog {
namespace {

using test::appendBytes;
using test::appendLe;
using test::appendText;
using test::Bytes;
using test::makeEvent;

// MariaDB's field: 0x80 | lenlen, the length big-endian, then zlib (binlog_buf_compress).
Bytes compressedField(std::span<const uint8_t> plain, size_t lenlen = 0) {
  if (lenlen == 0) {
    lenlen = plain.size() > 0xFFFFFF ? 4 : plain.size() > 0xFFFF ? 3 : plain.size() > 0xFF ? 2 : 1;
  }
  Bytes out = {static_cast<uint8_t>(0x80 | lenlen)};
  for (size_t i = lenlen; i-- > 0;) {
    out.push_back(static_cast<uint8_t>(plain.size() >> (8 * i)));
  }
  uLongf size = compressBound(static_cast<uLong>(plain.size()));
  Bytes z(size);
  EXPECT_EQ(compress(z.data(), &size, plain.data(), static_cast<uLong>(plain.size())), Z_OK);
  z.resize(size);
  appendBytes(out, z);
  return out;
}

Bytes textBytes(std::string_view text) {
  Bytes b;
  appendText(b, text);
  return b;
}

TEST(MariadbCompressedField, MapsTypesToTheirUncompressedLayout) {
  EXPECT_EQ(mariadbUncompressedType(QUERY_COMPRESSED_EVENT), QUERY_EVENT);
  EXPECT_EQ(mariadbUncompressedType(WRITE_ROWS_COMPRESSED_EVENT_V1), WRITE_ROWS_EVENT_V1);
  EXPECT_EQ(mariadbUncompressedType(UPDATE_ROWS_COMPRESSED_EVENT_V1), UPDATE_ROWS_EVENT_V1);
  EXPECT_EQ(mariadbUncompressedType(DELETE_ROWS_COMPRESSED_EVENT_V1), DELETE_ROWS_EVENT_V1);
  EXPECT_EQ(mariadbUncompressedType(WRITE_ROWS_COMPRESSED_EVENT), WRITE_ROWS_EVENT);
  EXPECT_EQ(mariadbUncompressedType(UPDATE_ROWS_COMPRESSED_EVENT), UPDATE_ROWS_EVENT);
  EXPECT_EQ(mariadbUncompressedType(DELETE_ROWS_COMPRESSED_EVENT), DELETE_ROWS_EVENT);
  EXPECT_EQ(mariadbUncompressedType(QUERY_EVENT), 0);
}

TEST(MariadbCompressedField, LengthIsBigEndian) {
  // 300 bytes: lenlen 2, 0x01 0x2C. Read little-endian it would be 11265 and fail.
  const Bytes plain = textBytes(std::string(300, 'x'));
  const Bytes field = compressedField(plain);
  EXPECT_EQ(field[0], 0x82);
  EXPECT_EQ(field[1], 0x01);
  EXPECT_EQ(field[2], 0x2C);
  Bytes out = {0xEE};  // appends after what is there
  ASSERT_TRUE(decompressMariadbField(field, out).isOk());
  EXPECT_EQ(out.size(), 301u);
  EXPECT_EQ(Bytes(out.begin() + 1, out.end()), plain);
  // Any lenlen that holds the length works, as in binlog_get_uncompress_len.
  out.clear();
  ASSERT_TRUE(decompressMariadbField(compressedField(plain, 4), out).isOk());
  EXPECT_EQ(out, plain);
}

TEST(MariadbCompressedField, MalformedFieldsAreCorruption) {
  const Bytes plain = textBytes("INSERT INTO t VALUES (1)");
  const Bytes good = compressedField(plain);
  auto fails = [](const Bytes& field, std::string_view message) {
    Bytes out;
    Status st = decompressMariadbField(field, out);
    EXPECT_EQ(st.code(), StatusCode::Corruption) << message;
    EXPECT_NE(st.message().find(message), std::string::npos) << st.message();
    EXPECT_TRUE(out.empty());
  };
  Bytes alg = good;
  alg[0] = 0x91;  // algorithm 1 does not exist
  fails(alg, "compressed field header 0x91");
  Bytes lenlen = good;
  lenlen[0] = 0x85;
  fails(lenlen, "compressed field header 0x85");
  Bytes longer = good;
  longer[1] += 1;  // declares one byte more than the stream holds
  fails(longer, "does not decompress to the declared");
  Bytes trailing = good;
  trailing.push_back(0);
  fails(trailing, "1 input left");
  fails(Bytes{0x81, 0x00, 0x78, 0x9C}, "declares 0 bytes");
  fails(Bytes{0x84, 0x7F, 0xFF, 0xFF, 0xFF, 0x78, 0x9C},
        "declares 2147483647 bytes from 2 compressed");
  test::expectEveryPrefixFails(good, [](std::span<const uint8_t> p) {
    Bytes out;
    Status st = decompressMariadbField(p, out);
    return st.isOk() ? Result<size_t>(out.size()) : Result<size_t>(st);
  });
}

// MariaDB 10.5's post-header lengths (171 types, §1.2): QUERY 13, TABLE_MAP 8, rows v1 8,
// 165: 13, 166-168: 8, 169-171: 10.
Bytes mariadbFormatDescription() {
  Bytes table(171, 0);
  table[QUERY_EVENT - 1] = 13;
  table[ROTATE_EVENT - 1] = 8;
  table[FORMAT_DESCRIPTION_EVENT - 1] = static_cast<uint8_t>(2 + 50 + 4 + 1 + 171);
  table[TABLE_MAP_EVENT - 1] = 8;
  for (uint8_t t = WRITE_ROWS_EVENT_V1; t <= DELETE_ROWS_EVENT_V1; ++t) {
    table[t - 1] = 8;
  }
  table[GTID_EVENT - 1] = 19;
  table[QUERY_COMPRESSED_EVENT - 1] = 13;
  for (uint8_t t = WRITE_ROWS_COMPRESSED_EVENT_V1; t <= DELETE_ROWS_COMPRESSED_EVENT_V1; ++t) {
    table[t - 1] = 8;
  }
  for (uint8_t t = WRITE_ROWS_COMPRESSED_EVENT; t <= DELETE_ROWS_COMPRESSED_EVENT; ++t) {
    table[t - 1] = 10;
  }
  return makeEvent(FORMAT_DESCRIPTION_EVENT,
                   test::formatDescriptionBody("10.5.15-MariaDB-log", table, 1));
}

// CREATE TABLE shop.t (id INT NOT NULL, name VARCHAR(20)): TABLE_MAP for table id 108.
const Bytes kTableMap = {0x6C,
                         0,
                         0,
                         0,
                         0,
                         0,
                         0x01,
                         0x00,
                         4,
                         's',
                         'h',
                         'o',
                         'p',
                         0,
                         1,
                         't',
                         0,
                         0x02,
                         MYSQL_TYPE_LONG,
                         MYSQL_TYPE_VARCHAR,
                         0x02,
                         0x14,
                         0x00,
                         0x02};

// UPDATE shop.t SET name = 'bob' WHERE id = 42 (name was 'alice'): v1 header and bitmaps, then the
// (before, after) images.
const Bytes kUpdateHeader = {0x6C, 0, 0, 0, 0, 0, 0x01, 0x00, 0x02, 0x03, 0x03};
Bytes updateRows() {
  Bytes rows = {0x00, 0x2A, 0, 0, 0, 5};
  appendText(rows, "alice");
  appendBytes(rows, {0x00, 0x2A, 0, 0, 0, 3});
  appendText(rows, "bob");
  return rows;
}

TEST(EventDecoder, CompressedRowsDecodeToTheUncompressedBodyAndOwnTheirBytes) {
  EventDecoder decoder;
  ASSERT_TRUE(decoder.decode(mariadbFormatDescription()).isOk());
  ASSERT_TRUE(decoder.decode(makeEvent(TABLE_MAP_EVENT, kTableMap)).isOk());
  Bytes body = kUpdateHeader;
  appendBytes(body, compressedField(updateRows()));
  RowsEvent rows;
  {
    // The event's bytes die here; the decoded rows must not view them.
    const Bytes event = makeEvent(UPDATE_ROWS_COMPRESSED_EVENT_V1, body);
    auto decoded = decoder.decode(event);
    ASSERT_TRUE(decoded.isOk()) << decoded.status().toString();
    EXPECT_EQ(decoded->header.type, UPDATE_ROWS_COMPRESSED_EVENT_V1);
    rows = std::get<RowsEvent>(decoded->body);
  }
  ASSERT_NE(rows.owned, nullptr);
  EXPECT_EQ(rows.header.kind, RowsKind::Update);
  EXPECT_EQ(rows.header.table_id, 108u);
  EXPECT_EQ(Bytes(rows.header.rows.begin(), rows.header.rows.end()), updateRows());
  RowImageReader reader(rows.header, *rows.table);
  std::vector<Cell> before;
  std::vector<Cell> after;
  ASSERT_TRUE(reader.next(before).isOk());
  ASSERT_TRUE(reader.next(after).isOk());
  EXPECT_TRUE(reader.done());
  ASSERT_EQ(after[1].state, Cell::State::Value);
  EXPECT_EQ(after[1].bytes.size(), 4u);  // length byte + "bob"
}

TEST(EventDecoder, CompressedRowsV2AndDamagedRows) {
  EventDecoder decoder;
  ASSERT_TRUE(decoder.decode(mariadbFormatDescription()).isOk());
  ASSERT_TRUE(decoder.decode(makeEvent(TABLE_MAP_EVENT, kTableMap)).isOk());
  // v2 layout: extra data length 2 after the flags; a WRITE of (42, 'bob'), not the statement end.
  Bytes write = {0x6C, 0, 0, 0, 0, 0, 0x00, 0x00, 0x02, 0x00, 0x02, 0x03};
  Bytes row = {0x00, 0x2A, 0, 0, 0, 3};
  appendText(row, "bob");
  appendBytes(write, compressedField(row));
  const Bytes event = makeEvent(WRITE_ROWS_COMPRESSED_EVENT, write);
  auto ok = decoder.decode(event);
  ASSERT_TRUE(ok.isOk()) << ok.status().toString();
  EXPECT_EQ(std::get<RowsEvent>(ok->body).header.rows.size(), row.size());
  Bytes damaged = write;
  damaged.back() ^= 0xFF;  // zlib's adler32 no longer matches
  auto bad = decoder.decode(makeEvent(WRITE_ROWS_COMPRESSED_EVENT, damaged));
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().code(), StatusCode::Corruption);
  EXPECT_NE(bad.status().message().find("WRITE_ROWS_COMPRESSED_EVENT for table id 108"),
            std::string::npos)
      << bad.status().message();
}

TEST(EventDecoder, CompressedQueryOwnsItsText) {
  EventDecoder decoder;
  ASSERT_TRUE(decoder.decode(mariadbFormatDescription()).isOk());
  Bytes body = {0x01, 0,    0,    0,    0,    0,   0,
                0,    0x04, 0x00, 0x00, 0x00, 0x00};  // db "shop", no status vars
  appendText(body, "shop");
  body.push_back(0);
  const std::string ddl = "CREATE TABLE t (id INT NOT NULL, name VARCHAR(20))";
  appendBytes(body, compressedField(textBytes(ddl)));
  QueryEvent query;
  {
    const Bytes event = makeEvent(QUERY_COMPRESSED_EVENT, body);
    auto decoded = decoder.decode(event);
    ASSERT_TRUE(decoded.isOk()) << decoded.status().toString();
    query = std::get<QueryEvent>(decoded->body);
    EXPECT_EQ(query.database, "shop");
  }
  EXPECT_EQ(query.query, ddl);  // still readable: the event owns the text
  Bytes broken = body;
  broken[body.size() - 1] ^= 0x55;
  auto bad = decoder.decode(makeEvent(QUERY_COMPRESSED_EVENT, broken));
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.status().message().find("QUERY_COMPRESSED_EVENT: query text"), std::string::npos);
}

TEST(EventDecoder, HeartbeatPositions) {
  EventDecoder decoder;
  // v1 before any FDE: the header's log_pos.
  const Bytes v1 = makeEvent(HEARTBEAT_LOG_EVENT, textBytes("mysql-bin.000002"),
                             {.log_pos = 1234, .checksum = false});
  auto hb = decoder.decode(v1);
  ASSERT_TRUE(hb.isOk()) << hb.status().toString();
  EXPECT_EQ(std::get<HeartbeatEvent>(hb->body).position, 1234u);
  // v2: TLV file name, position 5 GiB as a packed int inside its length, end mark.
  Bytes tlv = {0x01, 0x10};
  appendText(tlv, "mysql-bin.000002");
  appendBytes(tlv, {0x02, 0x09, 0xFE});
  appendLe(tlv, 5ULL << 30, 8);
  tlv.push_back(0x00);
  const Bytes v2 = makeEvent(HEARTBEAT_LOG_EVENT_V2, tlv, {.checksum = false});
  hb = decoder.decode(v2);
  ASSERT_TRUE(hb.isOk()) << hb.status().toString();
  EXPECT_EQ(std::get<HeartbeatEvent>(hb->body).file, "mysql-bin.000002");
  EXPECT_EQ(std::get<HeartbeatEvent>(hb->body).position, 5ULL << 30);
  test::expectEveryPrefixFails(tlv,
                               [](std::span<const uint8_t> p) { return decodeHeartbeatV2(p); });
  // MariaDB past 4 GiB: log_pos 0 and an 8-byte position before the name.
  ASSERT_TRUE(decoder.decode(mariadbFormatDescription()).isOk());
  Bytes sub;
  appendLe(sub, 6ULL << 30, 8);
  appendText(sub, "mariadb-bin.000009");
  const Bytes big = makeEvent(HEARTBEAT_LOG_EVENT, sub, {.log_pos = 0});
  hb = decoder.decode(big);
  ASSERT_TRUE(hb.isOk()) << hb.status().toString();
  EXPECT_EQ(std::get<HeartbeatEvent>(hb->body).position, 6ULL << 30);
  EXPECT_EQ(std::get<HeartbeatEvent>(hb->body).file, "mariadb-bin.000009");
  auto short_sub = decoder.decode(makeEvent(HEARTBEAT_LOG_EVENT, Bytes{1, 2, 3}, {.log_pos = 0}));
  EXPECT_FALSE(short_sub.isOk());
}

}  // namespace
}  // namespace mm::binlog
