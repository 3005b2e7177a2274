// EventDecoder: framing, checksums, the FORMAT_DESCRIPTION and TABLE_MAP state the format requires,
// and what happens to event types it does not decode. docs/binlog-format.md §1.2-1.4, §2.
#include "binlog/event_decoder.h"

#include <gtest/gtest.h>

#include "binlog/column_type.h"
#include "binlog/event_type.h"
#include "support/binlog_bytes.h"

namespace mm::binlog {
namespace {

using test::appendText;
using test::Bytes;
using test::EventOptions;
using test::makeEvent;

// CREATE TABLE shop.t (id INT NOT NULL): TABLE_MAP for table id 108.
const Bytes kTableMapBody = {
    0x6C, 0,   0, 0, 0, 0, 0x01, 0x00, 4, 's', 'h', 'o', 'p', 0, 1, 't', 0, 0x01, MYSQL_TYPE_LONG,
    0x00, 0x00};

// INSERT INTO shop.t VALUES (42): WRITE_ROWS_EVENT (v2) with STMT_END_F.
const Bytes kWriteRowsBody = {0x6C, 0,    0,    0,    0,    0,    0x01, 0x00, 0x02,
                              0x00, 0x01, 0x01, 0x00, 0x2A, 0x00, 0x00, 0x00};

// The same, without STMT_END_F: more rows events of the statement follow.
Bytes writeRowsBodyWithoutStmtEnd() {
  Bytes body = kWriteRowsBody;
  body[6] = 0x00;
  return body;
}

Bytes beginBody() {
  Bytes body = {0x01, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};  // no status vars
  appendText(body, "BEGIN");
  return body;
}

const Bytes kXidBody = {0x1F, 0, 0, 0, 0, 0, 0, 0};

// One MySQL 5.7 transaction with CRC32: FDE, BEGIN, TABLE_MAP, WRITE_ROWS, XID.
std::vector<Bytes> transaction(EventOptions options = {}) {
  return {test::mysql57FormatDescription(options.checksum, options),
          makeEvent(QUERY_EVENT, beginBody(), options),
          makeEvent(TABLE_MAP_EVENT, kTableMapBody, options),
          makeEvent(WRITE_ROWS_EVENT, kWriteRowsBody, options),
          makeEvent(XID_EVENT, kXidBody, options)};
}

EventDecoder decoderAfterFde(EventDecoderOptions options = {}) {
  EventDecoder decoder(options);
  auto fde = decoder.decode(test::mysql57FormatDescription());
  EXPECT_TRUE(fde.isOk()) << fde.status().toString();
  return decoder;
}

void expectError(const Result<DecodedEvent>& result, StatusCode code,
                 std::string_view message_part) {
  ASSERT_FALSE(result.isOk()) << "decoded, expected: " << message_part;
  EXPECT_EQ(result.status().code(), code) << result.status().toString();
  EXPECT_NE(result.status().message().find(message_part), std::string::npos)
      << result.status().message();
}

TEST(EventDecoder, DecodesATransactionInOrder) {
  EventDecoder decoder;
  const auto events = transaction();
  std::vector<Result<DecodedEvent>> out;
  for (const Bytes& e : events) {
    out.push_back(decoder.decode(e));
    ASSERT_TRUE(out.back().isOk()) << out.back().status().toString();
  }
  ASSERT_TRUE(decoder.formatDescription().has_value());
  EXPECT_EQ(decoder.formatDescription()->checksum, ChecksumAlgorithm::Crc32);
  EXPECT_TRUE(std::holds_alternative<FormatDescription>(out[0]->body));
  const auto& query = std::get<QueryEvent>(out[1]->body);
  EXPECT_EQ(query.query, "BEGIN");  // the CRC was stripped, not read as query text
  const auto& map = std::get<TableMapEvent>(out[2]->body);
  EXPECT_EQ(map.table->table, "t");
  const auto& rows = std::get<RowsEvent>(out[3]->body);
  EXPECT_EQ(rows.table, map.table);  // the rows event carries its own TABLE_MAP
  EXPECT_EQ(rows.header.rows.size(), 5u);
  EXPECT_EQ(std::get<uint64_t>(out[4]->body), 31u);
  EXPECT_EQ(out[4]->header.type, XID_EVENT);
}

TEST(EventDecoder, ChecksumNoneMeansEventsHaveNoCrc) {
  EventDecoder decoder;
  for (const Bytes& e : transaction({.checksum = false})) {
    auto r = decoder.decode(e);
    ASSERT_TRUE(r.isOk()) << r.status().toString();
  }
  EXPECT_EQ(decoder.formatDescription()->checksum, ChecksumAlgorithm::Off);
}

TEST(EventDecoder, TableMapBeforeFormatDescriptionIsCorruption) {
  EventDecoder decoder;
  expectError(decoder.decode(makeEvent(TABLE_MAP_EVENT, kTableMapBody, {.checksum = false})),
              StatusCode::Corruption, "TABLE_MAP_EVENT before any FORMAT_DESCRIPTION_EVENT");
  expectError(decoder.decode(makeEvent(WRITE_ROWS_EVENT, kWriteRowsBody, {.checksum = false})),
              StatusCode::Corruption, "WRITE_ROWS_EVENT before any FORMAT_DESCRIPTION_EVENT");
}

// The fake ROTATE a replica stream starts with (§1.6): timestamp 0, log_pos 0, ARTIFICIAL; CRC'd
// iff the replica declared CRC32.
Bytes fakeRotate(bool checksum) {
  Bytes body = {0x04, 0, 0, 0, 0, 0, 0, 0};
  appendText(body, "mysql-bin.000007");
  return makeEvent(
      ROTATE_EVENT, body,
      {.timestamp = 0, .log_pos = 0, .flags = LOG_EVENT_ARTIFICIAL_F, .checksum = checksum});
}

TEST(EventDecoder, FakeRotateBeforeFormatDescriptionFollowsTheDeclaredChecksum) {
  for (bool crc : {false, true}) {
    EventDecoder decoder({.checksum_before_format_description = crc});
    auto r = decoder.decode(fakeRotate(crc));
    ASSERT_TRUE(r.isOk()) << r.status().toString();
    const auto& rotate = std::get<RotateEvent>(r->body);
    EXPECT_EQ(rotate.next_file, "mysql-bin.000007") << "crc " << crc;
    EXPECT_EQ(rotate.position, 4u);
    EXPECT_EQ(r->header.flags, LOG_EVENT_ARTIFICIAL_F);
  }
}

TEST(EventDecoder, CrcMismatchIsCorruption) {
  EventDecoder decoder = decoderAfterFde();
  Bytes xid = makeEvent(XID_EVENT, kXidBody);
  xid[LOG_EVENT_HEADER_LEN] ^= 0x01;
  expectError(decoder.decode(xid), StatusCode::Corruption, "XID_EVENT: CRC32 mismatch");
}

TEST(EventDecoder, UnverifiedChecksumIsStillStripped) {
  EventDecoder decoder = decoderAfterFde({.verify_checksums = false});
  Bytes xid = makeEvent(XID_EVENT, kXidBody);
  xid.back() ^= 0xFF;
  auto r = decoder.decode(xid);
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(std::get<uint64_t>(r->body), 31u);
}

TEST(EventDecoder, EventTooShortForItsChecksumIsCorruption) {
  EventDecoder decoder = decoderAfterFde();
  expectError(decoder.decode(makeEvent(XID_EVENT, Bytes{1, 2}, {.checksum = false})),
              StatusCode::Corruption, "XID_EVENT: too short for its checksum");
}

TEST(EventDecoder, RowsEventWithoutTableMapIsCorruption) {
  EventDecoder decoder = decoderAfterFde();
  expectError(decoder.decode(makeEvent(WRITE_ROWS_EVENT, kWriteRowsBody)), StatusCode::Corruption,
              "WRITE_ROWS_EVENT for table id 108 without a preceding TABLE_MAP_EVENT");
}

TEST(EventDecoder, StatementEndDropsTableMaps) {
  EventDecoder decoder = decoderAfterFde();
  ASSERT_TRUE(decoder.decode(makeEvent(TABLE_MAP_EVENT, kTableMapBody)).isOk());
  ASSERT_TRUE(decoder.decode(makeEvent(WRITE_ROWS_EVENT, writeRowsBodyWithoutStmtEnd())).isOk());
  ASSERT_TRUE(decoder.decode(makeEvent(WRITE_ROWS_EVENT, kWriteRowsBody)).isOk());  // STMT_END_F
  expectError(decoder.decode(makeEvent(WRITE_ROWS_EVENT, kWriteRowsBody)), StatusCode::Corruption,
              "without a preceding TABLE_MAP_EVENT");
}

TEST(EventDecoder, NewFormatDescriptionDropsTableMaps) {
  EventDecoder decoder = decoderAfterFde();
  ASSERT_TRUE(decoder.decode(makeEvent(TABLE_MAP_EVENT, kTableMapBody)).isOk());
  ASSERT_TRUE(decoder.decode(test::mysql57FormatDescription()).isOk());
  expectError(decoder.decode(makeEvent(WRITE_ROWS_EVENT, kWriteRowsBody)), StatusCode::Corruption,
              "without a preceding TABLE_MAP_EVENT");
}

std::shared_ptr<const TableMap> decodeMap(EventDecoder& decoder, const Bytes& body) {
  auto event = decoder.decode(makeEvent(TABLE_MAP_EVENT, body));
  EXPECT_TRUE(event.isOk()) << event.status().toString();
  return event.isOk() ? std::get<TableMapEvent>(event->body).table : nullptr;
}

// The server repeats the TABLE_MAP before every statement: the same bytes give the same map,
// which the rows event after it carries.
TEST(EventDecoder, RepeatedTableMapYieldsTheSameMap) {
  EventDecoder decoder = decoderAfterFde();
  const auto first = decodeMap(decoder, kTableMapBody);
  ASSERT_TRUE(decoder.decode(makeEvent(WRITE_ROWS_EVENT, kWriteRowsBody)).isOk());  // STMT_END_F
  const auto again = decodeMap(decoder, kTableMapBody);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again, first);
  auto rows = decoder.decode(makeEvent(WRITE_ROWS_EVENT, kWriteRowsBody));
  ASSERT_TRUE(rows.isOk()) << rows.status().toString();
  EXPECT_EQ(std::get<RowsEvent>(rows->body).table, first);
}

// After ALTER TABLE the same table id may arrive with other columns (or other names): a body
// that differs in any byte is decoded afresh, and the rows after it use the new map.
TEST(EventDecoder, ChangedTableMapUnderTheSameIdIsDecodedAfresh) {
  EventDecoder decoder = decoderAfterFde();
  const auto first = decodeMap(decoder, kTableMapBody);
  Bytes altered = kTableMapBody;
  altered[altered.size() - 3] = MYSQL_TYPE_LONGLONG;  // the one column's type: INT -> BIGINT
  const auto second = decodeMap(decoder, altered);
  ASSERT_NE(second, nullptr);
  EXPECT_NE(second, first);
  EXPECT_EQ(second->columns.at(0).type, MYSQL_TYPE_LONGLONG);
  EXPECT_EQ(first->columns.at(0).type, MYSQL_TYPE_LONG);  // a map handed out never changes
  // And back: the latest body per id is what is remembered.
  const auto third = decodeMap(decoder, kTableMapBody);
  EXPECT_NE(third, first);
  EXPECT_EQ(third->columns.at(0).type, MYSQL_TYPE_LONG);
  EXPECT_EQ(decodeMap(decoder, kTableMapBody), third);
}

TEST(EventDecoder, TableMapsAreDecodedAfreshAfterANewFormatDescription) {
  EventDecoder decoder = decoderAfterFde();
  const auto first = decodeMap(decoder, kTableMapBody);
  ASSERT_TRUE(decoder.decode(test::mysql57FormatDescription()).isOk());
  const auto second = decodeMap(decoder, kTableMapBody);
  ASSERT_NE(second, nullptr);
  EXPECT_NE(second, first);
  EXPECT_EQ(second->table, "t");
}

TEST(EventDecoder, TruncatedRepeatOfAKnownTableMapIsStillCorruption) {
  EventDecoder decoder = decoderAfterFde();
  decodeMap(decoder, kTableMapBody);
  const Bytes truncated(kTableMapBody.begin(), kTableMapBody.end() - 1);
  EXPECT_FALSE(decoder.decode(makeEvent(TABLE_MAP_EVENT, truncated)).isOk());
}

TEST(EventDecoder, NewFormatDescriptionReplacesTheChecksumSetting) {
  EventDecoder decoder = decoderAfterFde();
  ASSERT_TRUE(decoder.decode(test::mysql57FormatDescription(/*crc32_alg=*/false)).isOk());
  auto r = decoder.decode(makeEvent(XID_EVENT, kXidBody, {.checksum = false}));
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(std::get<uint64_t>(r->body), 31u);
}

TEST(EventDecoder, UnknownIgnorableEventIsSkipped) {
  // Aurora's type-100 padding event, flagged LOG_EVENT_IGNORABLE_F (fixture
  // mysql-bin.aurora-padding).
  EventDecoder decoder = decoderAfterFde();
  auto r = decoder.decode(makeEvent(100, Bytes(32, 0), {.flags = LOG_EVENT_IGNORABLE_F}));
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_TRUE(std::holds_alternative<SkippedEvent>(r->body));
  EXPECT_EQ(r->header.type, 100);
}

TEST(EventDecoder, UnknownDataEventIsUnsupportedNamingTheType) {
  EventDecoder decoder = decoderAfterFde();
  expectError(decoder.decode(makeEvent(100, Bytes(32, 0))), StatusCode::Unsupported,
              "unknown event type (type 100) is not supported and not flagged ignorable");
  expectError(decoder.decode(makeEvent(START_ENCRYPTION_EVENT, Bytes(17, 0))),
              StatusCode::Unsupported, "START_ENCRYPTION_EVENT: the binlog is encrypted");
}

TEST(EventDecoder, UnsupportedEventLeavesTheDecoderUsable) {
  EventDecoder decoder = decoderAfterFde();
  ASSERT_TRUE(decoder.decode(makeEvent(TABLE_MAP_EVENT, kTableMapBody)).isOk());
  ASSERT_FALSE(decoder.decode(makeEvent(START_ENCRYPTION_EVENT, Bytes(17, 0))).isOk());
  EXPECT_TRUE(decoder.decode(makeEvent(WRITE_ROWS_EVENT, kWriteRowsBody)).isOk());
}

TEST(EventDecoder, SmallEventsDecodeToTheirTypes) {
  EventDecoder decoder = decoderAfterFde();
  auto stop = decoder.decode(makeEvent(STOP_EVENT, {}));
  ASSERT_TRUE(stop.isOk());
  EXPECT_TRUE(std::holds_alternative<StopEvent>(stop->body));
  Bytes hb;
  appendText(hb, "mysql-bin.000007");
  // The decoded event views into its bytes: keep them alive while it is used.
  const Bytes heartbeat_event = makeEvent(HEARTBEAT_LOG_EVENT, hb, {.timestamp = 0});
  auto heartbeat = decoder.decode(heartbeat_event);
  ASSERT_TRUE(heartbeat.isOk());
  EXPECT_EQ(std::get<HeartbeatEvent>(heartbeat->body).file, "mysql-bin.000007");
  auto incident = decoder.decode(makeEvent(INCIDENT_EVENT, Bytes{0x42, 0x00, 0x00}));
  ASSERT_TRUE(incident.isOk());
  EXPECT_EQ(std::get<IncidentEvent>(incident->body).code, 0x42);
  const Bytes gtid = {0x2A, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0x0C, 0, 0, 0, 0, 0, 0};
  auto mariadb_gtid = decoder.decode(makeEvent(GTID_EVENT, gtid));
  ASSERT_TRUE(mariadb_gtid.isOk());
  EXPECT_EQ(std::get<MariadbGtidEvent>(mariadb_gtid->body).sequence, 42u);
  EXPECT_EQ(std::get<MariadbGtidEvent>(mariadb_gtid->body).text(),
            "1-1-42");  // server from the header
  for (uint8_t skipped :
       {INTVAR_EVENT, RAND_EVENT, USER_VAR_EVENT, TRANSACTION_CONTEXT_EVENT, VIEW_CHANGE_EVENT}) {
    auto r = decoder.decode(makeEvent(skipped, Bytes(42, 0)));
    ASSERT_TRUE(r.isOk()) << eventTypeName(skipped) << ": " << r.status().toString();
    EXPECT_TRUE(std::holds_alternative<SkippedEvent>(r->body)) << eventTypeName(skipped);
  }
}

// The GTID family, statements and XA decode to their own bodies (§2.6, §2.7, §2 table).
TEST(EventDecoder, GtidAndStatementEventsDecodeToTheirBodies) {
  EventDecoder decoder = decoderAfterFde();
  // ANONYMOUS_GTID of MySQL 5.7: flags, zero SID and GNO, logical clock 4/5.
  Bytes anonymous(25, 0);
  anonymous.push_back(2);
  test::appendLe(anonymous, 4, 8);
  test::appendLe(anonymous, 5, 8);
  auto gtid = decoder.decode(makeEvent(ANONYMOUS_GTID_LOG_EVENT, anonymous));
  ASSERT_TRUE(gtid.isOk()) << gtid.status().toString();
  const auto& anon = std::get<MysqlGtidEvent>(gtid->body);
  EXPECT_TRUE(anon.anonymous);
  EXPECT_EQ(anon.text(), "");
  EXPECT_EQ(anon.sequence_number, 5);

  const Bytes previous_body(8, 0);  // an empty GTID set
  const Bytes previous_event = makeEvent(PREVIOUS_GTIDS_LOG_EVENT, previous_body);
  auto previous = decoder.decode(previous_event);
  ASSERT_TRUE(previous.isOk()) << previous.status().toString();
  EXPECT_TRUE(std::get<PreviousGtidsEvent>(previous->body).sids.empty());

  Bytes rows_query = {11};
  appendText(rows_query, "INSERT INTO t VALUES (1)");
  const Bytes rows_query_event = makeEvent(ROWS_QUERY_LOG_EVENT, rows_query);
  auto rq = decoder.decode(rows_query_event);
  ASSERT_TRUE(rq.isOk()) << rq.status().toString();
  EXPECT_EQ(std::get<RowsQueryEvent>(rq->body).query, "INSERT INTO t VALUES (1)");

  Bytes annotate;
  appendText(annotate, "insert into t values (1)");
  const Bytes annotate_event = makeEvent(ANNOTATE_ROWS_EVENT, annotate);
  auto ar = decoder.decode(annotate_event);
  ASSERT_TRUE(ar.isOk()) << ar.status().toString();
  EXPECT_EQ(std::get<RowsQueryEvent>(ar->body).query, "insert into t values (1)");
  EXPECT_EQ(ar->header.type, ANNOTATE_ROWS_EVENT);

  const Bytes gtid_list_event =
      makeEvent(GTID_LIST_EVENT, Bytes{1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0});
  auto list = decoder.decode(gtid_list_event);
  ASSERT_TRUE(list.isOk()) << list.status().toString();
  ASSERT_EQ(std::get<MariadbGtidListEvent>(list->body).gtids.size(), 1u);
  EXPECT_EQ(std::get<MariadbGtidListEvent>(list->body).gtids[0].text(), "0-2-9");

  Bytes checkpoint = {16, 0, 0, 0};
  appendText(checkpoint, "mariadb-bin.0001");
  const Bytes checkpoint_event = makeEvent(BINLOG_CHECKPOINT_EVENT, checkpoint);
  auto cp = decoder.decode(checkpoint_event);
  ASSERT_TRUE(cp.isOk()) << cp.status().toString();
  EXPECT_EQ(std::get<BinlogCheckpointEvent>(cp->body).file, "mariadb-bin.0001");

  // XA PREPARE of xid ('g1','b1',1): one_phase 0, format 1, lengths 2 and 2.
  Bytes xa = {0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0};
  appendText(xa, "g1b1");
  const Bytes xa_event = makeEvent(XA_PREPARE_LOG_EVENT, xa);
  auto prepare = decoder.decode(xa_event);
  ASSERT_TRUE(prepare.isOk()) << prepare.status().toString();
  EXPECT_EQ(std::get<XaPrepareEvent>(prepare->body).gtrid, "g1");
  EXPECT_EQ(std::get<XaPrepareEvent>(prepare->body).bqual, "b1");
}

// Every prefix of every event of a transaction fails: the header's event_size no longer matches.
TEST(EventDecoder, EveryPrefixOfEveryEventFails) {
  const auto events = transaction();
  for (size_t i = 0; i < events.size(); ++i) {
    SCOPED_TRACE(eventTypeName(events[i][4]));
    // A decoder that has seen everything before event i, so only truncation can fail it.
    test::expectEveryPrefixFails(events[i], [&](std::span<const uint8_t> prefix) {
      EventDecoder decoder;
      for (size_t j = 0; j < i; ++j) {
        EXPECT_TRUE(decoder.decode(events[j]).isOk());
      }
      return decoder.decode(prefix);
    });
  }
}

TEST(EventDecoder, EveryTruncatedBodyWithARecomputedHeaderFails) {
  // Harder than plain prefixes: the header and CRC agree with the shortened body, so only the body
  // decoders can notice. Bodies whose last field runs to the end (QUERY text) are cut before it.
  struct Case {
    uint8_t type;
    Bytes body;
    size_t min_length;
  };
  const Case cases[] = {
      {TABLE_MAP_EVENT, kTableMapBody, kTableMapBody.size()},
      {QUERY_EVENT, beginBody(), beginBody().size() - 5},
      {XID_EVENT, kXidBody, kXidBody.size()},
  };
  for (const Case& c : cases) {
    for (size_t n = 0; n < c.min_length; ++n) {
      EventDecoder decoder = decoderAfterFde();
      const Bytes body(c.body.begin(), c.body.begin() + static_cast<std::ptrdiff_t>(n));
      EXPECT_FALSE(decoder.decode(makeEvent(c.type, body)).isOk())
          << eventTypeName(c.type) << " body of " << n << " bytes decoded";
    }
  }
}

}  // namespace
}  // namespace mm::binlog
