// MySQL GTID / ANONYMOUS_GTID / GTID_TAGGED / PREVIOUS_GTIDS and MariaDB GTID_LIST, from byte
// literals built after docs/binlog-format.md §2.6-2.7 (the fixture files cover the
// real-server cases in fixtures_test.cpp).
#include "binlog/gtid_events.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "support/binlog_bytes.h"

namespace mm::binlog {
namespace {

using test::appendBytes;
using test::appendLe;
using test::appendText;
using test::Bytes;
using test::expectEveryPrefixFails;

const Bytes kSid = {0x3e, 0x11, 0xfa, 0x47, 0x71, 0xca, 0x11, 0xe1,
                    0x9e, 0x33, 0xc8, 0x0a, 0xa9, 0x42, 0x95, 0x62};

// A MySQL 8.0.26 GTID_LOG_EVENT body for 3e11fa47-...:23 (the §2.6 fixture tail: commit timestamp,
// transaction_length 335, server version 80026).
Bytes mysql80Gtid() {
  Bytes b = {0x01};
  appendBytes(b, kSid);
  appendLe(b, 23, 8);
  b.push_back(2);  // logical timestamp type code
  appendLe(b, 7, 8);
  appendLe(b, 8, 8);
  appendBytes(b, {0x37, 0xAD, 0x73, 0x0D, 0x73, 0xD1, 0x05});
  appendBytes(b, {0xFC, 0x4F, 0x01});
  appendBytes(b, {0x9A, 0x38, 0x01, 0x00});
  return b;
}

TEST(MysqlGtidEvent, DecodesEveryFieldOfAnEightZeroEvent) {
  auto e = decodeMysqlGtid(mysql80Gtid(), false);
  ASSERT_TRUE(e.isOk()) << e.status().toString();
  EXPECT_EQ(e->text(), "3e11fa47-71ca-11e1-9e33-c80aa9429562:23");
  EXPECT_EQ(e->flags, 1);
  EXPECT_EQ(e->last_committed, 7);
  EXPECT_EQ(e->sequence_number, 8);
  EXPECT_EQ(e->immediate_commit_timestamp, 0x05D1730D73AD37u);
  EXPECT_EQ(e->original_commit_timestamp, e->immediate_commit_timestamp);
  EXPECT_EQ(e->transaction_length, 335u);
  EXPECT_EQ(e->immediate_server_version, 80026u);
  EXPECT_EQ(e->original_server_version, 80026u);
}

TEST(MysqlGtidEvent, FlaggedTimestampAndVersionCarryTheOriginals) {
  const Bytes full = mysql80Gtid();
  Bytes b(full.begin(), full.begin() + 42);
  appendLe(b, (1ULL << 55) | 1000, 7);  // immediate, with "original follows"
  appendLe(b, 900, 7);
  b.push_back(100);                    // transaction_length
  appendLe(b, (1U << 31) | 80040, 4);  // immediate version, with "original follows"
  appendLe(b, 80030, 4);
  appendLe(b, 77, 8);  // commit_group_ticket
  auto e = decodeMysqlGtid(b, false);
  ASSERT_TRUE(e.isOk()) << e.status().toString();
  EXPECT_EQ(e->immediate_commit_timestamp, 1000u);
  EXPECT_EQ(e->original_commit_timestamp, 900u);
  EXPECT_EQ(e->immediate_server_version, 80040u);
  EXPECT_EQ(e->original_server_version, 80030u);
  EXPECT_EQ(e->commit_group_ticket, 77u);
}

TEST(MysqlGtidEvent, FiveSixLayoutEndsAfterTheGno) {
  const Bytes full = mysql80Gtid();
  auto e = decodeMysqlGtid(std::span<const uint8_t>(full).first(25), false);
  ASSERT_TRUE(e.isOk()) << e.status().toString();
  EXPECT_EQ(e->gno, 23);
  EXPECT_FALSE(e->has_logical_clock);
}

TEST(MysqlGtidEvent, AnonymousHasNoText) {
  auto e = decodeMysqlGtid(Bytes(25, 0), true);
  ASSERT_TRUE(e.isOk());
  EXPECT_TRUE(e->anonymous);
  EXPECT_EQ(e->text(), "");
}

TEST(MysqlGtidEvent, WrongLogicalTimestampTypeIsCorruption) {
  Bytes b = mysql80Gtid();
  b[25] = 3;
  auto e = decodeMysqlGtid(b, false);
  ASSERT_FALSE(e.isOk());
  EXPECT_NE(e.status().message().find("GTID_LOG_EVENT: logical timestamp type code 3"),
            std::string::npos);
}

TEST(MysqlGtidEvent, TruncatedLayoutsFail) {
  const Bytes full = mysql80Gtid();
  // Shorter than the GNO, or cut inside the logical timestamps, or inside the commit timestamp.
  expectEveryPrefixFails(
      full, [](std::span<const uint8_t> b) { return decodeMysqlGtid(b, false); }, 25);
  for (size_t n = 26; n < 42; ++n) {
    EXPECT_FALSE(decodeMysqlGtid(std::span<const uint8_t>(full).first(n), false).isOk()) << n;
  }
  for (size_t n = 43; n < 49; ++n) {
    EXPECT_FALSE(decodeMysqlGtid(std::span<const uint8_t>(full).first(n), false).isOk()) << n;
  }
}

// MySQL serialization varlen integers (libs/mysql/serialization/readme.md): unsigned values move
// up by (bytes) bits after a marker of (bytes - 1) one bits; signed ones are zigzag-encoded first.
void appendVarlen(Bytes& out, uint64_t v) {
  int bytes = 1;
  while (bytes < 9 && v >= (1ULL << (7 * bytes))) {
    ++bytes;
  }
  if (bytes == 9) {
    out.push_back(0xFF);
    appendLe(out, v, 8);
    return;
  }
  const uint64_t encoded = (v << bytes) | ((1ULL << (bytes - 1)) - 1);
  appendLe(out, encoded, static_cast<size_t>(bytes));
}
void appendVarlenSigned(Bytes& out, int64_t v) {
  appendVarlen(
      out, v < 0 ? ((static_cast<uint64_t>(-(v + 1)) << 1) | 1) : static_cast<uint64_t>(v) << 1);
}

// A GTID_TAGGED_LOG_EVENT body as MySQL 9.6 writes one (fields 0-6, 8, 9; ids as in
// Gtid_event::define_fields), with optional extra fields appended by `extra`.
Bytes taggedGtid(const std::function<void(Bytes&)>& extra = {}, uint64_t last_non_ignorable = 0,
                 const std::string& tag = "mytag") {
  Bytes fields;
  appendVarlen(fields, 0);
  appendVarlen(fields, 0);  // flags
  appendVarlen(fields, 1);
  for (uint8_t b : kSid) {
    appendVarlen(fields, b);
  }
  appendVarlen(fields, 2);
  appendVarlenSigned(fields, 3);  // GNO
  appendVarlen(fields, 3);
  appendVarlen(fields, tag.size());
  appendText(fields, tag);
  appendVarlen(fields, 4);
  appendVarlenSigned(fields, 0);
  appendVarlen(fields, 5);
  appendVarlenSigned(fields, 1);
  appendVarlen(fields, 6);
  appendVarlen(fields, 1770368687207196);
  appendVarlen(fields, 8);
  appendVarlen(fields, 296);
  appendVarlen(fields, 9);
  appendVarlen(fields, 90600);
  if (extra) {
    extra(fields);
  }
  Bytes body = {0x02};                            // format version 1
  const size_t size = 1 + 1 + 1 + fields.size();  // version, size and id bytes (each one byte here)
  appendVarlen(body, size);
  appendVarlen(body, last_non_ignorable);
  appendBytes(body, fields);
  EXPECT_EQ(body.size(), size);
  return body;
}

TEST(MysqlTaggedGtidEvent, DecodesTheSerializedFields) {
  // The bytes MySQL 9.6 wrote (fixture binlog_transaction_with_GTID_TAG.000001) equal ours.
  const Bytes fixture = {0x02, 0x78, 0x00, 0x00, 0x00, 0x02, 0xaa, 0xee, 0x25, 0x02, 0x08, 0x04,
                         0x65, 0x02, 0x22, 0xc5, 0x03, 0xc5, 0x02, 0xe1, 0x02, 0x9c, 0xc1, 0x03,
                         0x11, 0x03, 0x55, 0x02, 0xde, 0xad, 0x03, 0x04, 0x0c, 0x06, 0x0a, 0x6d,
                         0x79, 0x74, 0x61, 0x67, 0x08, 0x00, 0x0a, 0x04, 0x0c, 0x7f, 0x1c, 0xf3,
                         0xb8, 0x14, 0x24, 0x4a, 0x06, 0x10, 0xa1, 0x04, 0x12, 0x43, 0x0f, 0x0b};
  auto e = decodeMysqlTaggedGtid(fixture);
  ASSERT_TRUE(e.isOk()) << e.status().toString();
  EXPECT_EQ(e->text(), "55778904-0299-11f1-b1b8-4ef0c4956feb:mytag:3");
  EXPECT_EQ(e->sequence_number, 1);
  EXPECT_EQ(e->immediate_commit_timestamp, 1770368687207196u);
  EXPECT_EQ(e->original_commit_timestamp, e->immediate_commit_timestamp);
  EXPECT_EQ(e->transaction_length, 296u);
  EXPECT_EQ(e->immediate_server_version, 90600u);
  EXPECT_EQ(e->original_server_version, 90600u);

  auto ours = decodeMysqlTaggedGtid(taggedGtid());
  ASSERT_TRUE(ours.isOk()) << ours.status().toString();
  EXPECT_EQ(ours->text(), "3e11fa47-71ca-11e1-9e33-c80aa9429562:mytag:3");
}

TEST(MysqlTaggedGtidEvent, OptionalFieldsAndNegativeNumbers) {
  auto e = decodeMysqlTaggedGtid(taggedGtid([](Bytes& f) {
    appendVarlen(f, 10);
    appendVarlen(f, 80040);  // original_server_version
    appendVarlen(f, 11);
    appendVarlen(f, 0xFFFFFFFFFFFFFFFFULL);  // commit_group_ticket, 9 bytes
  }));
  ASSERT_TRUE(e.isOk()) << e.status().toString();
  EXPECT_EQ(e->original_server_version, 80040u);
  EXPECT_EQ(e->commit_group_ticket, 0xFFFFFFFFFFFFFFFFULL);
  Bytes negative;
  appendVarlenSigned(negative, -65536);
  EXPECT_EQ(negative, (Bytes{0xFB, 0xFF, 0x0F}));  // the readme's example, LE
}

TEST(MysqlTaggedGtidEvent, UnknownIgnorableFieldsAreSkippedRequiredOnesUnsupported) {
  auto ignorable = decodeMysqlTaggedGtid(taggedGtid([](Bytes& f) {
    appendVarlen(f, 12);
    appendVarlen(f, 5);
  }));
  ASSERT_TRUE(ignorable.isOk()) << ignorable.status().toString();
  auto required = decodeMysqlTaggedGtid(taggedGtid(
      [](Bytes& f) {
        appendVarlen(f, 12);
        appendVarlen(f, 5);
      },
      12));
  ASSERT_FALSE(required.isOk());
  EXPECT_EQ(required.status().code(), StatusCode::Unsupported);
  EXPECT_NE(required.status().message().find("field 12 is required but unknown"),
            std::string::npos);
}

TEST(MysqlTaggedGtidEvent, MalformedMessagesAreCorruption) {
  const Bytes good = taggedGtid();
  expectEveryPrefixFails(good, [](std::span<const uint8_t> b) { return decodeMysqlTaggedGtid(b); });
  auto long_tag = decodeMysqlTaggedGtid(taggedGtid({}, 0, std::string(33, 't')));
  ASSERT_FALSE(long_tag.isOk());
  EXPECT_NE(long_tag.status().message().find("tag length 33 exceeds 32"), std::string::npos);
  // Field ids must grow: repeat field 9.
  auto repeated = decodeMysqlTaggedGtid(taggedGtid([](Bytes& f) {
    appendVarlen(f, 9);
    appendVarlen(f, 1);
  }));
  ASSERT_FALSE(repeated.isOk());
  EXPECT_NE(repeated.status().message().find("field id 9 after field 9"), std::string::npos);
}

TEST(PreviousGtidsEvent, ClassicSetWithTwoIntervals) {
  Bytes b;
  appendLe(b, 1, 8);
  appendBytes(b, kSid);
  appendLe(b, 2, 8);
  appendLe(b, 1, 8);
  appendLe(b, 6, 8);  // 1-5
  appendLe(b, 7, 8);
  appendLe(b, 8, 8);  // 7
  auto e = decodePreviousGtids(b);
  ASSERT_TRUE(e.isOk()) << e.status().toString();
  EXPECT_EQ(e->text(), "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7");
  expectEveryPrefixFails(b, [](std::span<const uint8_t> p) { return decodePreviousGtids(p); });
}

TEST(PreviousGtidsEvent, HugeCountsAndEmptyIntervalsAreCorruption) {
  Bytes huge;
  appendLe(huge, 1ULL << 40, 8);
  EXPECT_FALSE(decodePreviousGtids(huge).isOk());
  Bytes empty_interval;
  appendLe(empty_interval, 1, 8);
  appendBytes(empty_interval, kSid);
  appendLe(empty_interval, 1, 8);
  appendLe(empty_interval, 5, 8);
  appendLe(empty_interval, 5, 8);
  auto e = decodePreviousGtids(empty_interval);
  ASSERT_FALSE(e.isOk());
  EXPECT_NE(e.status().message().find("invalid interval [5, 5)"), std::string::npos);
}

TEST(MariadbGtidListEvent, DecodesByCountAndIgnoresPadding) {
  Bytes b;
  appendLe(b, (1U << 28) | 2, 4);  // flags 1, two GTIDs
  appendLe(b, 0, 4);
  appendLe(b, 1, 4);
  appendLe(b, 100, 8);
  appendLe(b, 3, 4);
  appendLe(b, 2, 4);
  appendLe(b, 7, 8);
  b.push_back(0);
  b.push_back(0);
  auto e = decodeMariadbGtidList(b);
  ASSERT_TRUE(e.isOk()) << e.status().toString();
  EXPECT_EQ(e->flags, 1);
  ASSERT_EQ(e->gtids.size(), 2u);
  EXPECT_EQ(e->gtids[0].text(), "0-1-100");
  EXPECT_EQ(e->gtids[1].text(), "3-2-7");
  expectEveryPrefixFails(
      b, [](std::span<const uint8_t> p) { return decodeMariadbGtidList(p); }, b.size() - 2);
}

}  // namespace
}  // namespace mm::binlog
