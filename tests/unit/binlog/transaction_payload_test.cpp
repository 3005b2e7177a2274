// TRANSACTION_PAYLOAD_EVENT: the TLV header, streaming zstd decompression of the inner events and
// their decoding with EventDecoder::decodeInner. docs/binlog-format.md §2.5.
#include "binlog/transaction_payload.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <set>
#include <string>

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

// CREATE TABLE shop.t (id INT NOT NULL); BEGIN; INSERT INTO shop.t VALUES (42); COMMIT (xid 31),
// as the inner events of a payload: no CRC, log_pos 0.
Bytes innerEvents(size_t query_padding = 0) {
  Bytes begin = {0x01, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  appendText(begin, "BEGIN");
  begin.insert(begin.end(), query_padding, ' ');  // a long statement text: one big inner event
  const Bytes table_map = {
      0x6C, 0,   0, 0, 0, 0, 0x01, 0x00, 4, 's', 'h', 'o', 'p', 0, 1, 't', 0, 0x01, MYSQL_TYPE_LONG,
      0x00, 0x00};
  const Bytes write_rows = {0x6C, 0,    0,    0,    0,    0,    0x01, 0x00, 0x02,
                            0x00, 0x01, 0x01, 0x00, 0x2A, 0x00, 0x00, 0x00};
  const Bytes xid = {0x1F, 0, 0, 0, 0, 0, 0, 0};
  Bytes out;
  for (const auto& [type, body] : {std::pair{QUERY_EVENT, begin},
                                   {TABLE_MAP_EVENT, table_map},
                                   {WRITE_ROWS_EVENT, write_rows},
                                   {XID_EVENT, xid}}) {
    appendBytes(out, makeEvent(type, body, {.checksum = false}));
  }
  return out;
}

Bytes zstd(std::span<const uint8_t> in) {
  Bytes out(ZSTD_compressBound(in.size()));
  const size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

void appendPacked(Bytes& out, uint64_t v) {
  if (v < 0xFB) {
    out.push_back(static_cast<uint8_t>(v));
  } else if (v <= 0xFFFF) {
    out.push_back(0xFC);
    appendLe(out, v, 2);
  } else {
    out.push_back(0xFE);
    appendLe(out, v, 8);
  }
}

void appendField(Bytes& out, uint64_t type, uint64_t value) {
  Bytes packed;
  appendPacked(packed, value);
  appendPacked(out, type);
  appendPacked(out, packed.size());
  appendBytes(out, packed);
}

// The body MySQL writes: compression type, uncompressed size, payload size, end mark (that order).
Bytes payloadBody(std::span<const uint8_t> payload, uint64_t compression, uint64_t uncompressed) {
  Bytes body;
  appendField(body, 2, compression);
  if (uncompressed != 0) {
    appendField(body, 3, uncompressed);
  }
  appendField(body, 1, payload.size());
  body.push_back(0);
  appendBytes(body, payload);
  return body;
}

EventDecoder decoderAfterFde() {
  EventDecoder decoder;
  EXPECT_TRUE(decoder.decode(test::mysql57FormatDescription()).isOk());
  return decoder;
}

// Decodes every inner event; the type codes, or the first error.
Result<std::vector<uint8_t>> innerTypes(EventDecoder& decoder,
                                        const TransactionPayloadEvent& payload) {
  TransactionPayloadReader inner(payload);
  std::vector<uint8_t> types;
  for (;;) {
    auto next = inner.next();
    if (!next.isOk()) {
      return next.status();
    }
    if (!next->has_value()) {
      return types;
    }
    auto event = decoder.decodeInner(**next);
    if (!event.isOk()) {
      return event.status();
    }
    types.push_back(event->header.type);
  }
}

const std::vector<uint8_t> kTransaction = {QUERY_EVENT, TABLE_MAP_EVENT, WRITE_ROWS_EVENT,
                                           XID_EVENT};

TEST(TransactionPayload, DecodesTheHeaderOfTheFixture) {
  // mysql-bin.compressed: ZSTD, uncompressed 960, payload 451 (§2.5).
  Bytes body = {0x02, 0x01, 0x00, 0x03, 0x03, 0xFC, 0xC0, 0x03, 0x01, 0x03, 0xFC, 0xC3, 0x01, 0x00};
  body.resize(body.size() + 451, 0);
  auto e = decodeTransactionPayload(body);
  ASSERT_TRUE(e.isOk()) << e.status().toString();
  EXPECT_EQ(e->compression, PayloadCompression::Zstd);
  EXPECT_EQ(e->uncompressed_size, 960u);
  EXPECT_EQ(e->payload.size(), 451u);
}

TEST(TransactionPayload, InnerEventsDecodeAsOrdinaryEvents) {
  const Bytes inner = innerEvents();
  const Bytes event =
      makeEvent(TRANSACTION_PAYLOAD_EVENT, payloadBody(zstd(inner), 0, inner.size()));
  EventDecoder decoder = decoderAfterFde();
  auto outer = decoder.decode(event);
  ASSERT_TRUE(outer.isOk()) << outer.status().toString();
  const auto& payload = std::get<TransactionPayloadEvent>(outer->body);
  TransactionPayloadReader reader(payload);
  std::vector<DecodedEvent> decoded;
  std::vector<Bytes> kept;  // each event's bytes, since a span lives only until the next next()
  for (;;) {
    auto next = reader.next();
    ASSERT_TRUE(next.isOk()) << next.status().toString();
    if (!next->has_value()) {
      break;
    }
    EXPECT_EQ(reader.index(), kept.size());
    kept.emplace_back((*next)->begin(), (*next)->end());
  }
  for (const Bytes& bytes : kept) {
    auto e = decoder.decodeInner(bytes);
    ASSERT_TRUE(e.isOk()) << e.status().toString();
    decoded.push_back(std::move(*e));
  }
  ASSERT_EQ(decoded.size(), 4u);
  EXPECT_EQ(std::get<QueryEvent>(decoded[0].body).query, "BEGIN");
  const auto& rows = std::get<RowsEvent>(decoded[2].body);
  EXPECT_EQ(rows.table->table, "t");
  EXPECT_EQ(rows.header.rows.size(), 5u);
  EXPECT_EQ(std::get<uint64_t>(decoded[3].body), 31u);
  EXPECT_EQ(decoded[3].header.log_pos, 0u);
}

TEST(TransactionPayload, SeveralFramesUncompressedAndLargeEvents) {
  EventDecoder decoder = decoderAfterFde();
  // Two zstd frames back to back, split inside the second event.
  const Bytes inner = innerEvents();
  Bytes frames = zstd(std::span<const uint8_t>(inner).first(40));
  appendBytes(frames, zstd(std::span<const uint8_t>(inner).subspan(40)));
  // Payload events view their body: each body outlives its event.
  const Bytes two_body = payloadBody(frames, 0, inner.size());
  auto two = decodeTransactionPayload(two_body);
  ASSERT_TRUE(two.isOk()) << two.status().toString();
  auto types = innerTypes(decoder, *two);
  ASSERT_TRUE(types.isOk()) << types.status().toString();
  EXPECT_EQ(*types, kTransaction);
  // compression_type NONE: the payload is the events themselves.
  const Bytes stored_body = payloadBody(inner, 255, 0);
  auto stored = decodeTransactionPayload(stored_body);
  ASSERT_TRUE(stored.isOk()) << stored.status().toString();
  types = innerTypes(decoder, *stored);
  ASSERT_TRUE(types.isOk()) << types.status().toString();
  EXPECT_EQ(*types, kTransaction);
  // An inner event of 300 KB: larger than the reader's first buffer.
  const Bytes big = innerEvents(300 * 1024);
  const Bytes large_body = payloadBody(zstd(big), 0, big.size());
  auto large = decodeTransactionPayload(large_body);
  ASSERT_TRUE(large.isOk());
  types = innerTypes(decoder, *large);
  ASSERT_TRUE(types.isOk()) << types.status().toString();
  EXPECT_EQ(*types, kTransaction);
}

TEST(TransactionPayload, EveryTruncatedPayloadFails) {
  // The header agrees with the shortened payload, so only the stream can tell.
  EventDecoder decoder = decoderAfterFde();
  const Bytes inner = innerEvents();
  const Bytes compressed = zstd(inner);
  for (size_t n = 0; n < compressed.size(); ++n) {
    const Bytes body = payloadBody(std::span<const uint8_t>(compressed).first(n), 0, inner.size());
    auto payload = decodeTransactionPayload(body);
    ASSERT_TRUE(payload.isOk());
    auto types = innerTypes(decoder, *payload);
    EXPECT_FALSE(types.isOk()) << "payload of " << n << " bytes decoded";
    EXPECT_EQ(types.status().code(), StatusCode::Corruption) << types.status().toString();
  }
  // Stored payloads cut inside an event, likewise.
  std::set<size_t> boundaries;  // cut there, the payload is whole events: a shorter, valid list
  for (size_t at = 0; at < inner.size(); at += inner[at + 9] | (inner[at + 10] << 8)) {
    boundaries.insert(at);
  }
  for (size_t n = 1; n < inner.size(); ++n) {
    if (boundaries.count(n) != 0) {
      continue;
    }
    const Bytes body = payloadBody(std::span<const uint8_t>(inner).first(n), 255, 0);
    auto payload = decodeTransactionPayload(body);
    ASSERT_TRUE(payload.isOk());
    EXPECT_FALSE(innerTypes(decoder, *payload).isOk()) << n;
  }
}

TEST(TransactionPayload, MalformedHeadersAndPayloads) {
  const Bytes inner = innerEvents();
  const Bytes compressed = zstd(inner);
  auto error = [](const Bytes& body) { return decodeTransactionPayload(body).status(); };
  Bytes no_end = {0x02, 0x01, 0x00};
  EXPECT_NE(error(no_end).message().find("header truncated before its end mark"),
            std::string::npos);
  Bytes wrong_size = payloadBody(compressed, 0, inner.size());
  wrong_size.push_back(0);
  EXPECT_NE(error(wrong_size)
                .message()
                .find("but " + std::to_string(compressed.size() + 1) + " bytes follow"),
            std::string::npos);
  EXPECT_EQ(error(payloadBody(compressed, 1, inner.size())).code(), StatusCode::Unsupported);
  Bytes no_type = {0x01, 0x01, 0x00, 0x00};
  EXPECT_NE(error(no_type).message().find("lacks the payload size or the compression type"),
            std::string::npos);
  // A field of a newer server (type 9) is stepped over.
  Bytes newer = {0x09, 0x02, 0xAA, 0xBB};
  appendBytes(newer, payloadBody(compressed, 0, inner.size()));
  EXPECT_TRUE(decodeTransactionPayload(newer).isOk());
  // A value that does not fill its length.
  Bytes loose = {0x02, 0x02, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00};
  EXPECT_NE(error(loose).message().find("not one packed integer"), std::string::npos);

  EventDecoder decoder = decoderAfterFde();
  // More bytes than the header's uncompressed size.
  const Bytes small_body = payloadBody(compressed, 0, inner.size() - 1);
  auto small = decodeTransactionPayload(small_body);
  ASSERT_TRUE(small.isOk());
  auto types = innerTypes(decoder, *small);
  ASSERT_FALSE(types.isOk());
  EXPECT_NE(types.status().message().find("decompresses past its uncompressed size"),
            std::string::npos);
  // Not zstd at all.
  const Bytes garbage_body = payloadBody(Bytes(20, 0x41), 0, 0);
  auto garbage = decodeTransactionPayload(garbage_body);
  ASSERT_TRUE(garbage.isOk());
  types = innerTypes(decoder, *garbage);
  ASSERT_FALSE(types.isOk());
  EXPECT_NE(types.status().message().find("TRANSACTION_PAYLOAD_EVENT: zstd:"), std::string::npos);
}

TEST(TransactionPayload, EventsThatCannotNestAreCorruption) {
  EventDecoder decoder = decoderAfterFde();
  for (uint8_t type : {FORMAT_DESCRIPTION_EVENT, TRANSACTION_PAYLOAD_EVENT, ROTATE_EVENT}) {
    auto e = decoder.decodeInner(makeEvent(type, Bytes(20, 0), {.checksum = false}));
    ASSERT_FALSE(e.isOk());
    EXPECT_NE(e.status().message().find("inside TRANSACTION_PAYLOAD_EVENT"), std::string::npos);
  }
  EventDecoder fresh;
  auto e = fresh.decodeInner(makeEvent(XID_EVENT, Bytes(8, 0), {.checksum = false}));
  ASSERT_FALSE(e.isOk());
  EXPECT_NE(e.status().message().find("before any FORMAT_DESCRIPTION_EVENT"), std::string::npos);
}

}  // namespace
}  // namespace mm::binlog
