// Byte-literal tests of the common header, FORMAT_DESCRIPTION, checksums and the small events.
// Layouts: docs/binlog-format.md §1.1-1.3, §2.1, §2.2, §2.7 and the INCIDENT row of §2.
#include "binlog/events.h"

#include <gtest/gtest.h>

#include "binlog/event_type.h"
#include "support/binlog_bytes.h"

namespace mm::binlog {
namespace {

using test::appendBytes;
using test::appendLe;
using test::appendText;
using test::Bytes;
using test::expectEveryPrefixFails;
using test::makeEvent;

// ---- common header ----

TEST(EventHeader, DecodesEveryField) {
  const Bytes body = {0xAA};
  const Bytes event = makeEvent(XID_EVENT, body,
                                {.timestamp = 0x01020304,
                                 .server_id = 77,
                                 .log_pos = 4242,
                                 .flags = LOG_EVENT_ARTIFICIAL_F,
                                 .checksum = false});
  auto h = decodeEventHeader(event);
  ASSERT_TRUE(h.isOk()) << h.status().toString();
  EXPECT_EQ(h->timestamp, 0x01020304u);
  EXPECT_EQ(h->type, XID_EVENT);
  EXPECT_EQ(h->server_id, 77u);
  EXPECT_EQ(h->event_size, 20u);
  EXPECT_EQ(h->log_pos, 4242u);
  EXPECT_EQ(h->flags, LOG_EVENT_ARTIFICIAL_F);
}

TEST(EventHeader, TruncatedHeaderIsCorruption) {
  const Bytes event = makeEvent(XID_EVENT, Bytes(8, 0));
  auto h = decodeEventHeader(std::span<const uint8_t>(event).first(18));
  ASSERT_FALSE(h.isOk());
  EXPECT_EQ(h.status().code(), StatusCode::Corruption);
  EXPECT_NE(h.status().message().find("header truncated"), std::string::npos)
      << h.status().message();
}

TEST(EventHeader, EventSizeDifferentFromBytesGivenIsCorruption) {
  const Bytes event = makeEvent(XID_EVENT, Bytes(8, 0));
  auto h = decodeEventHeader(std::span<const uint8_t>(event).first(event.size() - 1));
  ASSERT_FALSE(h.isOk());
  EXPECT_NE(h.status().message().find("XID_EVENT event_size 31 does not match the 30 bytes"),
            std::string::npos)
      << h.status().message();
}

TEST(EventHeader, EventSizeBelowHeaderLengthIsCorruption) {
  Bytes event = makeEvent(STOP_EVENT, {}, {.checksum = false});
  event[9] = 18;  // event_size = 18 < 19
  auto h = decodeEventHeader(std::span<const uint8_t>(event).first(18));
  EXPECT_FALSE(h.isOk());
  event.resize(19);
  event[9] = 18;
  EXPECT_FALSE(decodeEventHeader(event).isOk());
}

TEST(EventHeader, EveryPrefixOfAnEventFails) {
  const Bytes event = makeEvent(XID_EVENT, Bytes(8, 0));
  expectEveryPrefixFails(event, [](std::span<const uint8_t> b) { return decodeEventHeader(b); });
}

// ---- checksums ----

// The check value of the CRC-32/ISO-HDLC catalogue entry, which MySQL's binlog checksum is.
TEST(Checksum, Crc32OfTheStandardCheckString) {
  const std::string_view check = "123456789";
  const auto* bytes = reinterpret_cast<const uint8_t*>(check.data());
  EXPECT_EQ(crc32Of({bytes, check.size()}), 0xCBF43926u);
  // Continued in two parts, as checksumMatches does around a FORMAT_DESCRIPTION's header.
  EXPECT_EQ(crc32Of({bytes + 4, 5}, crc32Of({bytes, 4})), 0xCBF43926u);
  EXPECT_EQ(crc32Of({}), 0u);
}

TEST(Checksum, MatchesZlibCrc32OverAllButTheLastFourBytes) {
  const Bytes event = makeEvent(XID_EVENT, Bytes{1, 2, 3, 4, 5, 6, 7, 8});
  EXPECT_TRUE(checksumMatches(event));
  Bytes damaged = event;
  damaged[LOG_EVENT_HEADER_LEN] ^= 0x01;
  EXPECT_FALSE(checksumMatches(damaged));
  Bytes bad_crc = event;
  bad_crc.back() ^= 0x80;
  EXPECT_FALSE(checksumMatches(bad_crc));
}

TEST(Checksum, TooShortForHeaderAndCrcNeverMatches) {
  const Bytes event = makeEvent(STOP_EVENT, {}, {.checksum = false});
  EXPECT_FALSE(checksumMatches(event));
  EXPECT_FALSE(checksumMatches({}));
}

// A file copied while the server had it open has BINLOG_IN_USE set in the FDE on disk; the server
// computed the CRC with the flag clear (docs/binlog-format.md §1.3).
TEST(Checksum, FormatDescriptionCrcIgnoresBinlogInUseFlag) {
  Bytes fde = test::mysql57FormatDescription();
  fde[17] |= LOG_EVENT_BINLOG_IN_USE_F;
  EXPECT_TRUE(checksumMatches(fde));
  auto decoded = decodeFormatDescription(fde);
  EXPECT_TRUE(decoded.isOk()) << decoded.status().toString();
}

TEST(Checksum, BinlogInUseFlagIsNotIgnoredOnOtherEvents) {
  Bytes event = makeEvent(XID_EVENT, Bytes(8, 0));
  event[17] |= LOG_EVENT_BINLOG_IN_USE_F;
  EXPECT_FALSE(checksumMatches(event));
}

// ---- FORMAT_DESCRIPTION ----

TEST(FormatDescription, DecodesAMysql57EventWithCrc32) {
  auto fde = decodeFormatDescription(test::mysql57FormatDescription());
  ASSERT_TRUE(fde.isOk()) << fde.status().toString();
  EXPECT_EQ(fde->binlog_version, 4);
  EXPECT_EQ(fde->server_version, "5.7.44-log");
  EXPECT_EQ(fde->checksum, ChecksumAlgorithm::Crc32);
  EXPECT_FALSE(fde->isMariaDb());
  EXPECT_EQ(fde->postHeaderLength(QUERY_EVENT), 13);
  EXPECT_EQ(fde->postHeaderLength(TABLE_MAP_EVENT), 8);
  EXPECT_EQ(fde->postHeaderLength(WRITE_ROWS_EVENT), 10);
  EXPECT_EQ(fde->postHeaderLength(0), 0);
  // Types past the server's table have no post-header.
  EXPECT_EQ(fde->postHeaderLength(TRANSACTION_PAYLOAD_EVENT), 0);
}

// binlog_checksum=NONE on a checksum-aware server: the FDE still has the algorithm byte and a
// valid CRC (fixture mysql-bin.checksum-none), and says the following events have none.
TEST(FormatDescription, ChecksumNoneStillCarriesAValidFdeCrc) {
  auto fde = decodeFormatDescription(test::mysql57FormatDescription(/*crc32_alg=*/false));
  ASSERT_TRUE(fde.isOk()) << fde.status().toString();
  EXPECT_EQ(fde->checksum, ChecksumAlgorithm::Off);
}

TEST(FormatDescription, Pre56EventHasNoAlgorithmByte) {
  Bytes table(27, 0);
  table[FORMAT_DESCRIPTION_EVENT - 1] = 2 + 50 + 4 + 1 + 27;
  table[QUERY_EVENT - 1] = 13;
  table[TABLE_MAP_EVENT - 1] = 8;
  auto event = makeEvent(FORMAT_DESCRIPTION_EVENT,
                         test::formatDescriptionBody("5.1.73-log", table, -1), {.checksum = false});
  auto fde = decodeFormatDescription(event);
  ASSERT_TRUE(fde.isOk()) << fde.status().toString();
  EXPECT_EQ(fde->checksum, ChecksumAlgorithm::Off);
  EXPECT_EQ(fde->server_version, "5.1.73-log");
  EXPECT_EQ(fde->postHeaderLength(TABLE_MAP_EVENT), 8);
}

TEST(FormatDescription, MariaDbVersionIsRecognised) {
  auto event = makeEvent(FORMAT_DESCRIPTION_EVENT,
                         test::formatDescriptionBody("10.5.15-MariaDB-1:10.5.15+maria~focal-log",
                                                     test::mysql57PostHeaderLengths(), 1));
  auto fde = decodeFormatDescription(event);
  ASSERT_TRUE(fde.isOk()) << fde.status().toString();
  EXPECT_TRUE(fde->isMariaDb());
}

TEST(FormatDescription, CrcMismatchIsCorruption) {
  Bytes event = test::mysql57FormatDescription();
  event[LOG_EVENT_HEADER_LEN + 3] ^= 0x01;  // inside the server version
  auto fde = decodeFormatDescription(event);
  ASSERT_FALSE(fde.isOk());
  EXPECT_EQ(fde.status().code(), StatusCode::Corruption);
  EXPECT_NE(fde.status().message().find("CRC32 mismatch"), std::string::npos);
}

TEST(FormatDescription, BinlogVersionOtherThanFourIsUnsupported) {
  auto event =
      makeEvent(FORMAT_DESCRIPTION_EVENT,
                test::formatDescriptionBody("4.0.1", test::mysql57PostHeaderLengths(), 1, 3));
  auto fde = decodeFormatDescription(event);
  ASSERT_FALSE(fde.isOk());
  EXPECT_EQ(fde.status().code(), StatusCode::Unsupported);
  EXPECT_NE(fde.status().message().find("binlog version 3"), std::string::npos);
}

TEST(FormatDescription, CommonHeaderLengthOtherThan19IsCorruption) {
  Bytes body = test::formatDescriptionBody("5.7.44", test::mysql57PostHeaderLengths(), 1);
  body[2 + 50 + 4] = 20;
  auto fde = decodeFormatDescription(makeEvent(FORMAT_DESCRIPTION_EVENT, body));
  ASSERT_FALSE(fde.isOk());
  EXPECT_NE(fde.status().message().find("common header length 20"), std::string::npos);
}

TEST(FormatDescription, UnknownChecksumAlgorithmIsCorruption) {
  auto event =
      makeEvent(FORMAT_DESCRIPTION_EVENT,
                test::formatDescriptionBody("5.7.44", test::mysql57PostHeaderLengths(), 7));
  auto fde = decodeFormatDescription(event);
  ASSERT_FALSE(fde.isOk());
  EXPECT_NE(fde.status().message().find("unknown checksum algorithm 7"), std::string::npos);
}

TEST(FormatDescription, BodyLengthMatchingNeitherLayoutIsCorruption) {
  Bytes body = test::formatDescriptionBody("5.7.44", test::mysql57PostHeaderLengths(), 1);
  body.push_back(0);  // one byte too many for "57+N" and for "57+N+5"
  auto fde = decodeFormatDescription(makeEvent(FORMAT_DESCRIPTION_EVENT, body));
  ASSERT_FALSE(fde.isOk());
  EXPECT_NE(fde.status().message().find("matches neither"), std::string::npos)
      << fde.status().message();
}

TEST(FormatDescription, PostHeaderTableShorterThanFifteenIsCorruption) {
  auto event =
      makeEvent(FORMAT_DESCRIPTION_EVENT, test::formatDescriptionBody("5.7.44", Bytes(10, 8), -1),
                {.checksum = false});
  auto fde = decodeFormatDescription(event);
  ASSERT_FALSE(fde.isOk());
  EXPECT_NE(fde.status().message().find("post-header length table too short"), std::string::npos);
}

TEST(FormatDescription, EveryPrefixFails) {
  const Bytes event = test::mysql57FormatDescription();
  expectEveryPrefixFails(event,
                         [](std::span<const uint8_t> b) { return decodeFormatDescription(b); });
}

// ---- ROTATE ----

// What the server writes at the end of mysql-bin.000001: next file mysql-bin.000002 from offset 4.
Bytes rotateBody() {
  Bytes body;
  appendLe(body, 4, 8);
  appendText(body, "mysql-bin.000002");
  return body;
}

TEST(RotateEvent, DecodesPositionAndFileName) {
  auto e = decodeRotate(rotateBody());
  ASSERT_TRUE(e.isOk()) << e.status().toString();
  EXPECT_EQ(e->position, 4u);
  EXPECT_EQ(e->next_file, "mysql-bin.000002");
}

TEST(RotateEvent, EmptyFileNameIsCorruption) {
  Bytes body;
  appendLe(body, 4, 8);
  auto e = decodeRotate(body);
  ASSERT_FALSE(e.isOk());
  EXPECT_NE(e.status().message().find("ROTATE_EVENT"), std::string::npos);
}

TEST(RotateEvent, TruncatedPositionFails) {
  // The name runs to the end of the event, so only prefixes that cut the position or leave no
  // name are detectably truncated.
  expectEveryPrefixFails(
      rotateBody(), [](std::span<const uint8_t> b) { return decodeRotate(b); }, 9);
}

// ---- QUERY ----

// BEGIN as MySQL 5.7 logs it: status vars Q_FLAGS2, Q_SQL_MODE, Q_CHARSET; empty default db.
Bytes queryBody(std::string_view db, std::string_view query, uint16_t error_code = 0) {
  Bytes status;
  appendBytes(status, {0x00, 0x00, 0x00, 0x00, 0x00});                          // Q_FLAGS2
  appendBytes(status, {0x01, 0x00, 0x00, 0x20, 0x40, 0x00, 0x00, 0x00, 0x00});  // Q_SQL_MODE
  appendBytes(status, {0x04, 0x21, 0x00, 0x21, 0x00, 0x08, 0x00});              // Q_CHARSET
  Bytes body;
  appendLe(body, 12345, 4);  // thread id
  appendLe(body, 0, 4);      // exec time
  body.push_back(static_cast<uint8_t>(db.size()));
  appendLe(body, error_code, 2);
  appendLe(body, status.size(), 2);
  appendBytes(body, status);
  appendText(body, db);
  body.push_back(0);
  appendText(body, query);
  return body;
}

TEST(QueryEvent, DecodesDatabaseQueryAndErrorCode) {
  // CREATE TABLE t (a INT) in database shop, logged with error code 0.
  const Bytes body = queryBody("shop", "CREATE TABLE t (a INT)");
  auto e = decodeQuery(body, 13);
  ASSERT_TRUE(e.isOk()) << e.status().toString();
  EXPECT_EQ(e->database, "shop");
  EXPECT_EQ(e->query, "CREATE TABLE t (a INT)");
  EXPECT_EQ(e->error_code, 0);
}

TEST(QueryEvent, KeepsTheErrorCodeOfAPartlyFailedStatement) {
  // INSERT INTO myisam_t VALUES (1),(1) failing on a duplicate key after the first row (1062).
  const Bytes body = queryBody("shop", "INSERT INTO myisam_t VALUES (1),(1)", 1062);
  auto e = decodeQuery(body, 13);
  ASSERT_TRUE(e.isOk()) << e.status().toString();
  EXPECT_EQ(e->error_code, 1062);
}

TEST(QueryEvent, LongerPostHeaderIsSkipped) {
  // A future server with a 15-byte post-header: two unknown bytes before the status vars.
  Bytes body = queryBody("", "BEGIN");
  body.insert(body.begin() + 13, {0xEE, 0xEE});
  auto e = decodeQuery(body, 15);
  ASSERT_TRUE(e.isOk()) << e.status().toString();
  EXPECT_EQ(e->query, "BEGIN");
}

TEST(QueryEvent, PostHeaderShorterThanElevenIsCorruption) {
  auto e = decodeQuery(queryBody("", "BEGIN"), 10);
  ASSERT_FALSE(e.isOk());
  EXPECT_NE(e.status().message().find("post-header"), std::string::npos);
}

TEST(QueryEvent, DatabaseLengthBeyondTheEventIsCorruption) {
  Bytes body = queryBody("", "");
  body[8] = 200;  // db_len
  auto e = decodeQuery(body, 13);
  ASSERT_FALSE(e.isOk());
  EXPECT_EQ(e.status().code(), StatusCode::Corruption);
  EXPECT_NE(e.status().message().find("QUERY_EVENT: truncated"), std::string::npos);
}

TEST(QueryEvent, EveryPrefixUpToTheQueryTextFails) {
  const Bytes body = queryBody("shop", "BEGIN");
  const size_t query_offset = body.size() - 5;
  expectEveryPrefixFails(
      body, [](std::span<const uint8_t> b) { return decodeQuery(b, 13); }, query_offset);
}

// ---- XID ----

TEST(XidEvent, DecodesEightByteXid) {
  const Bytes body = {0x1F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};  // Xid = 31
  auto xid = decodeXid(body);
  ASSERT_TRUE(xid.isOk());
  EXPECT_EQ(*xid, 31u);
  expectEveryPrefixFails(body, [](std::span<const uint8_t> b) { return decodeXid(b); });
}

// A body longer than the xid is not an XID event (fixture ver_5_1-wl2325_r.001, where a 5.2
// development build logged table maps under type 16).
TEST(XidEvent, TrailingBytesAreCorruption) {
  const Bytes body = {0x1F, 0, 0, 0, 0, 0, 0, 0, 0x00};
  auto xid = decodeXid(body);
  ASSERT_FALSE(xid.isOk());
  EXPECT_NE(xid.status().message().find("XID_EVENT: 1 unexpected bytes after the xid"),
            std::string::npos)
      << xid.status().message();
}

// ---- HEARTBEAT ----

TEST(HeartbeatEvent, BodyIsTheCurrentFileName) {
  Bytes body;
  appendText(body, "mysql-bin.000003");
  auto e = decodeHeartbeat(body, 4, false);
  ASSERT_TRUE(e.isOk());
  EXPECT_EQ(e->file, "mysql-bin.000003");
}

// ---- MariaDB GTID ----

TEST(MariadbGtidEvent, DecodesSequenceDomainAndFlags) {
  // GTID 0-1-42 of a DDL statement: flags2 = STANDALONE | DDL, then 6 bytes of zero padding.
  Bytes body;
  appendLe(body, 42, 8);
  appendLe(body, 0, 4);
  body.push_back(0x21);
  appendBytes(body, {0, 0, 0, 0, 0, 0});
  auto e = decodeMariadbGtid(body);
  ASSERT_TRUE(e.isOk()) << e.status().toString();
  EXPECT_EQ(e->sequence, 42u);
  EXPECT_EQ(e->domain_id, 0u);
  EXPECT_TRUE(e->standalone());
  expectEveryPrefixFails(
      body, [](std::span<const uint8_t> b) { return decodeMariadbGtid(b); }, 13);
}

TEST(MariadbGtidEvent, TransactionalGroupIsNotStandalone) {
  // GTID 2-1-7 of an InnoDB transaction with a group commit id (flags2
  // TRANSACTIONAL|GROUP_COMMIT_ID).
  Bytes body;
  appendLe(body, 7, 8);
  appendLe(body, 2, 4);
  body.push_back(0x06);
  appendLe(body, 99, 8);
  auto e = decodeMariadbGtid(body);
  ASSERT_TRUE(e.isOk()) << e.status().toString();
  EXPECT_EQ(e->domain_id, 2u);
  EXPECT_FALSE(e->standalone());
}

// ---- INCIDENT ----

TEST(IncidentEvent, DecodesCodeAndEmptyMessage) {
  // Fixture bug40482-bin.000001: body 42 00 00.
  const Bytes body = {0x42, 0x00, 0x00};
  auto e = decodeIncident(body);
  ASSERT_TRUE(e.isOk()) << e.status().toString();
  EXPECT_EQ(e->code, 0x42);
  EXPECT_EQ(e->message, "");
}

TEST(IncidentEvent, DecodesMessageAndFailsOnEveryTruncation) {
  // INCIDENT_LOST_EVENTS (1) with its message.
  Bytes body = {0x01, 0x00, 11};
  appendText(body, "LOST_EVENTS");
  auto e = decodeIncident(body);
  ASSERT_TRUE(e.isOk()) << e.status().toString();
  EXPECT_EQ(e->code, 1);
  EXPECT_EQ(e->message, "LOST_EVENTS");
  expectEveryPrefixFails(body, [](std::span<const uint8_t> b) { return decodeIncident(b); });
}

TEST(EventTypeName, NamesKnownAndUnknownTypes) {
  EXPECT_EQ(eventTypeName(WRITE_ROWS_EVENT), "WRITE_ROWS_EVENT");
  EXPECT_EQ(eventTypeName(TRANSACTION_PAYLOAD_EVENT), "TRANSACTION_PAYLOAD_EVENT");
  EXPECT_EQ(eventTypeName(GTID_EVENT), "GTID_EVENT");
  EXPECT_EQ(eventTypeName(BEGIN_LOAD_QUERY_EVENT), "BEGIN_LOAD_QUERY_EVENT");
  EXPECT_EQ(eventTypeName(PRE_GA_WRITE_ROWS_EVENT), "PRE_GA_WRITE_ROWS_EVENT");
  EXPECT_EQ(eventTypeName(100), "unknown event type");
}

}  // namespace
}  // namespace mm::binlog
