// The transaction tracker, shape by shape. MySQL's shapes are built from the binlog reference's
// grammar (§2.8) as decoded events; MariaDB's are recorded binlogs (tests/fixtures/binlog/
// mariadb-transactions, README there), read through the decoder as the daemon reads them.
#include "pipeline/transaction_tracker.h"

#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "binlog/binlog_file.h"
#include "binlog/event_type.h"
#include "message/rows_formatter.h"
#include "support/fixtures.h"

namespace mm::pipeline {
namespace {

using binlog::DecodedEvent;
using binlog::EventHeader;

// Everything the tracker hands on, one line each.
class Recorder final : public TransactionTracker::Output {
 public:
  bool rows(const RowsChange& rows, size_t bytes) override { return item(rows.toItem(), bytes); }
  bool item(SourceItem&& item, size_t /*bytes*/) override {
    if (auto* rows = std::get_if<RowsItem>(&item)) {
      std::string line =
          fmt::format("rows {} end {} txn {}:{} gtid '{}'", rows->event.table->table,
                      rows->event_end, rows->txn_start->file, rows->txn_start->offset, rows->gtid);
      if (rows->skip_rows != 0) {
        line += fmt::format(" skip {}", rows->skip_rows);
      }
      if (rows->held_mark != nullptr) {
        line += fmt::format(" held {}", checkpoint::toString(*rows->held_mark));
      }
      lines.push_back(std::move(line));
      items.push_back(std::move(*rows));
    } else if (auto* end = std::get_if<TransactionEnd>(&item)) {
      lines.push_back(
          "end " + checkpoint::toString(*end->next) +
          (end->resumed != nullptr ? " resumed " + checkpoint::toString(*end->resumed) : ""));
      gtid_sets.push_back(end->next->gtid_set);
    } else if (auto* change = std::get_if<SchemaChange>(&item)) {
      lines.push_back("ddl " + change->statement);
    }
    return !stop_after || --*stop_after > 0;
  }
  void statementWrite(const std::optional<sql::StatementTable>& table, std::string_view what,
                      const std::string& file, uint64_t position) override {
    lines.push_back(fmt::format("write {} {} at {}:{}",
                                table ? table->database + "." + table->table : "?", what, file,
                                position));
  }
  void notice(const std::string& text) override { lines.push_back("notice " + text); }

  std::vector<std::string> lines;
  std::vector<RowsItem> items;
  std::vector<std::string> gtid_sets;
  std::optional<int> stop_after;
};

// Decoded events at positions 100, 200, ... (each 100 bytes) of file "bin.000001".
class Feed {
 public:
  explicit Feed(checkpoint::Checkpoint start = {"bin.000001", 100, 0, ""},
                TrackerOptions options = {})
      : tracker_(*TransactionTracker::create(start, options)) {
    tracker_.streamStarted();
    position_ = start.offset;
  }

  Status add(uint8_t type, decltype(DecodedEvent::body) body) {
    DecodedEvent event{EventHeader{1700000000, type, 1, 100, 0, 0}, std::move(body)};
    const EventPlace at{1700000000, position_, position_ + 100, true};
    position_ += 100;
    return tracker_.onEvent(event, at, nullptr, out);
  }
  void addOk(uint8_t type, decltype(DecodedEvent::body) body) {
    Status status = add(type, std::move(body));
    ASSERT_TRUE(status.isOk()) << status.toString();
  }
  // Statement shapes.
  void query(std::string_view text) {
    addOk(binlog::QUERY_EVENT, binlog::QueryEvent{"shop", text, 0, nullptr});
  }
  void gtid(int64_t gno) {
    binlog::MysqlGtidEvent gtid;
    gtid.sid = {0x3e, 0x11, 0xfa, 0x47, 0x71, 0xca, 0x11, 0xe1,
                0x9e, 0x33, 0xc8, 0x0a, 0xa9, 0x42, 0x95, 0x63};
    gtid.gno = gno;
    addOk(binlog::GTID_LOG_EVENT, gtid);
  }
  void rows(const char* table) {
    auto map = std::make_shared<binlog::TableMap>();
    map->database = "shop";
    map->table = table;
    binlog::RowsEvent rows;
    rows.table = std::move(map);
    addOk(binlog::WRITE_ROWS_EVENT, std::move(rows));
  }
  void xid() { addOk(binlog::XID_EVENT, uint64_t{77}); }
  void xaPrepare(std::string_view gtrid, bool one_phase = false) {
    addOk(binlog::XA_PREPARE_LOG_EVENT, binlog::XaPrepareEvent{one_phase, 1, gtrid, ""});
  }

  TransactionTracker& tracker() { return tracker_; }
  uint64_t position() const { return position_; }
  Recorder out;

 private:
  TransactionTracker tracker_;
  uint64_t position_ = 0;
};

constexpr const char* kSid = "3e11fa47-71ca-11e1-9e33-c80aa9429563";

TEST(TransactionTracker, SavepointsStayInsideTheirTransaction) {
  Feed feed;
  feed.gtid(1);                          // 100
  feed.query("BEGIN");                   // 200
  feed.rows("t");                        // 300
  feed.query("SAVEPOINT `s1`");          // 400
  feed.rows("t");                        // 500
  feed.query("RELEASE SAVEPOINT `s1`");  // 600
  feed.rows("t");                        // 700
  feed.xid();                            // 800
  const std::string gtid = fmt::format("{}:1", kSid);
  EXPECT_EQ(feed.out.lines, (std::vector<std::string>{
                                "rows t end 400 txn bin.000001:100 gtid '" + gtid + "'",
                                "rows t end 600 txn bin.000001:100 gtid '" + gtid + "'",
                                "rows t end 800 txn bin.000001:100 gtid '" + gtid + "'",
                                "end bin.000001:900",
                            }));
}

// Once a transaction changed a non-transactional table, MariaDB logs the rows after a SAVEPOINT
// and then "ROLLBACK TO" (fixture rollback_to_savepoint_variants): those rows never happened.
TEST(TransactionTracker, LoggedRollbackToDropsTheRowsAfterItsSavepoint) {
  Feed feed;
  feed.gtid(1);                                // 100
  feed.query("BEGIN");                         // 200
  feed.rows("t");                              // 300: stays
  feed.query("SAVEPOINT `a`");                 // 400
  feed.rows("t");                              // 500: stays
  feed.query("SAVEPOINT `b`");                 // 600
  feed.rows("t");                              // 700: rolled back
  feed.query("ROLLBACK TO `b`");               // 800
  feed.rows("t");                              // 900: stays
  feed.query("SAVEPOINT `b`");                 // 1000
  feed.rows("t");                              // 1100: rolled back
  feed.query("rollback work to savepoint b");  // 1200
  feed.xid();                                  // 1300
  std::vector<uint64_t> ends;
  for (const RowsItem& item : feed.out.items) {
    ends.push_back(item.event_end);
  }
  EXPECT_EQ(ends, (std::vector<uint64_t>{400, 600, 1000}));
  EXPECT_EQ(feed.out.lines.back(), "end bin.000001:1400");
}

// Rows of a non-transactional table after the savepoint happened: the ROLLBACK TO keeps them.
TEST(TransactionTracker, LoggedRollbackToKeepsRowsOfNonTransactionalTables) {
  TrackerOptions options;
  options.non_transactional = [](const binlog::TableMap& table) { return table.table == "myisam"; };
  Feed feed({"bin.000001", 100, 0, ""}, options);
  feed.query("BEGIN");          // 100
  feed.rows("t");               // 200: stays
  feed.query("SAVEPOINT s");    // 300
  feed.rows("t");               // 400: undone
  feed.rows("myisam");          // 500: happened
  feed.rows("t");               // 600: undone
  feed.query("ROLLBACK TO s");  // 700
  feed.rows("t");               // 800: stays
  feed.xid();                   // 900
  std::vector<std::string> rows;
  for (const RowsItem& item : feed.out.items) {
    rows.push_back(fmt::format("{}@{}", item.event.table->table, item.event_end));
  }
  EXPECT_EQ(rows, (std::vector<std::string>{"t@300", "myisam@600", "t@900"}));
}

TEST(TransactionTracker, RollbackToAnEarlierSavepointDropsTheLaterOnesToo) {
  Feed feed;
  feed.query("BEGIN");
  feed.query("SAVEPOINT a");
  feed.rows("t");
  feed.query("SAVEPOINT b");
  feed.rows("t");
  feed.query("ROLLBACK TO a");
  feed.query("ROLLBACK TO b");  // b is gone with the rollback to a
  feed.xid();
  EXPECT_TRUE(feed.out.items.empty());
  ASSERT_GE(feed.out.lines.size(), 2u);
  EXPECT_NE(feed.out.lines[0].find("notice"), std::string::npos);
}

TEST(TransactionTracker, SavepointRowsPastTheBoundAreHandedOnAndARollbackToThemIsReported) {
  TrackerOptions options;
  options.max_savepoint_bytes = 300;  // one rows event of the fake's (256 bytes) fits
  Feed feed({"bin.000001", 100, 0, ""}, options);
  feed.query("BEGIN");
  feed.query("SAVEPOINT s");
  feed.rows("t");
  EXPECT_TRUE(feed.out.items.empty());
  feed.rows("t");
  EXPECT_EQ(feed.out.items.size(), 2u);
  feed.query("ROLLBACK TO s");
  feed.xid();
  ASSERT_EQ(feed.out.lines.size(), 4u);
  EXPECT_NE(feed.out.lines[2].find("notice"), std::string::npos);
  EXPECT_NE(feed.out.lines[2].find("max_savepoint_bytes"), std::string::npos);
}

TEST(TransactionTracker, RollbackEndsATransactionOfNonTransactionalRows) {
  Feed feed;
  feed.query("BEGIN");
  feed.rows("myisam_table");
  feed.query("ROLLBACK");
  EXPECT_EQ(feed.out.lines,
            (std::vector<std::string>{"rows myisam_table end 300 txn bin.000001:100 gtid ''",
                                      "end bin.000001:400"}));
}

TEST(TransactionTracker, StandaloneDdlEndsItsGroup) {
  Feed feed;
  feed.gtid(1);
  feed.query("CREATE TABLE t2 (id INT)");
  feed.gtid(2);
  feed.query("BEGIN");
  feed.rows("t2");
  feed.xid();
  EXPECT_EQ(feed.out.lines[0], "ddl CREATE TABLE t2 (id INT)");
  EXPECT_EQ(feed.out.lines[1], "end bin.000001:300");
  EXPECT_EQ(feed.out.lines[2], fmt::format("rows t2 end 600 txn bin.000001:300 gtid '{}:2'", kSid));
  EXPECT_EQ(feed.out.lines[3], "end bin.000001:700");
}

// MySQL 8.0.21+ (WL#13355): CREATE TABLE ... SELECT is "CREATE TABLE ... START TRANSACTION", the
// rows, then XID: one transaction, checkpointed only at its end.
TEST(TransactionTracker, MysqlCreateTableSelectIsOneTransaction) {
  Feed feed;
  feed.gtid(1);
  feed.query("CREATE TABLE `c` (`id` int NOT NULL) START TRANSACTION");
  feed.rows("c");
  feed.xid();
  EXPECT_EQ(feed.out.lines, (std::vector<std::string>{
                                "ddl CREATE TABLE `c` (`id` int NOT NULL) START TRANSACTION",
                                fmt::format("rows c end 400 txn bin.000001:100 gtid '{}:1'", kSid),
                                "end bin.000001:500",
                            }));
}

TEST(TransactionTracker, StatementFormatWritesAreReportedAndStayInTheTransaction) {
  Feed feed;
  feed.query("BEGIN");
  feed.query("INSERT INTO t VALUES (1)");
  feed.addOk(binlog::BEGIN_LOAD_QUERY_EVENT, binlog::LoadDataEvent{});
  feed.addOk(binlog::EXECUTE_LOAD_QUERY_EVENT,
             binlog::LoadDataEvent{
                 true, "shop", "LOAD DATA INFILE '/tmp/SQL_LOAD-1-1-1.data' INTO TABLE `items`"});
  feed.query("COMMIT");
  EXPECT_EQ(feed.out.lines,
            (std::vector<std::string>{"write shop.t statement at bin.000001:200",
                                      "write shop.items LOAD DATA at bin.000001:400",
                                      "end bin.000001:600"}));
}

// MySQL 5.7+ XA (§2.8): GTID, XA START, rows, XA END, XA_PREPARE; later GTID, XA COMMIT.
TEST(TransactionTracker, MysqlXaRowsWaitForXaCommitWithTheirPrepareCoordinates) {
  Feed feed;
  feed.gtid(1);                           // 100
  feed.query("XA START X'7831',X'',1");   // 200
  feed.rows("t");                         // 300 (end 400)
  feed.query("XA END X'7831',X'',1");     // 400
  feed.xaPrepare("x1");                   // 500 -> end 600
  feed.gtid(2);                           // 600
  feed.query("BEGIN");                    // 700
  feed.rows("u");                         // 800 (end 900)
  feed.xid();                             // 900 -> end 1000
  feed.gtid(3);                           // 1000
  feed.query("XA COMMIT X'7831',X'',1");  // 1100 -> end 1200
  EXPECT_EQ(
      feed.out.lines,
      (std::vector<std::string>{
          // Checkpoints stay at the prepared transaction's start...
          "end bin.000001:100",
          fmt::format("rows u end 900 txn bin.000001:600 gtid '{}:2' held bin.000001:100", kSid),
          "end bin.000001:100",
          // ... until its rows are out, with the PREPARE's coordinates.
          fmt::format("rows t end 400 txn bin.000001:100 gtid '{}:1'", kSid),
          "end bin.000001:1200",
      }));
  EXPECT_EQ(feed.tracker().preparedXaCount(), 0u);
}

TEST(TransactionTracker, XaRollbackDropsThePreparedRows) {
  Feed feed;
  feed.query("XA START 'x2','b2',7");
  feed.rows("t");
  feed.query("XA END 'x2','b2',7");
  feed.addOk(binlog::XA_PREPARE_LOG_EVENT, binlog::XaPrepareEvent{false, 7, "x2", "b2"});
  feed.query("XA ROLLBACK X'7832',X'6232',7");
  EXPECT_EQ(feed.out.lines, (std::vector<std::string>{"end bin.000001:100", "end bin.000001:600"}));
  EXPECT_EQ(feed.tracker().preparedXaBytes(), 0u);
}

TEST(TransactionTracker, XaCommitOnePhaseIsAnOrdinaryCommit) {
  // MySQL writes the one-phase commit as an XA_PREPARE_LOG_EVENT with one_phase set...
  Feed mysql;
  mysql.query("XA START X'7833',X'',1");
  mysql.rows("t");
  mysql.query("XA END X'7833',X'',1");
  mysql.xaPrepare("x3", /*one_phase=*/true);
  EXPECT_EQ(mysql.out.lines, (std::vector<std::string>{"rows t end 300 txn bin.000001:100 gtid ''",
                                                       "end bin.000001:500"}));
  // ... and as the query text where the server logs that.
  Feed query;
  query.query("XA START X'7833',X'',1");
  query.rows("t");
  query.query("XA END X'7833',X'',1");
  query.query("XA COMMIT X'7833',X'',1 ONE PHASE");
  EXPECT_EQ(query.out.lines, mysql.out.lines);
}

TEST(TransactionTracker, CheckpointsStayAtTheOldestUndecidedPrepare) {
  Feed feed;
  feed.query("XA START 'a'");  // 100
  feed.rows("t");              // 200
  feed.query("XA END 'a'");
  feed.xaPrepare("a");         // 400 -> 500
  feed.query("XA START 'b'");  // 500
  feed.rows("t");              // 600
  feed.query("XA END 'b'");
  feed.xaPrepare("b");          // 800 -> 900
  feed.query("XA COMMIT 'b'");  // 900 -> 1000
  feed.query("XA COMMIT 'a'");  // 1000 -> 1100
  EXPECT_EQ(feed.out.lines, (std::vector<std::string>{
                                "end bin.000001:100",
                                "end bin.000001:100",
                                // b's rows, while a waits: the mark stays at a.
                                "rows t end 700 txn bin.000001:500 gtid '' held bin.000001:100",
                                "end bin.000001:100",
                                "rows t end 300 txn bin.000001:100 gtid ''",
                                "end bin.000001:1100",
                            }));
}

TEST(TransactionTracker, ResumedPreparedTransactionKeepsItsRowsDone) {
  // A restart at (the prepared transaction's start, 1 row done): the row confirmed before is
  // skipped when the rows come out, and the held checkpoint keeps it done.
  Feed feed(checkpoint::Checkpoint{"bin.000001", 100, 1, ""});
  feed.query("XA START 'a'");  // 100
  feed.rows("t");              // 200
  feed.rows("t");              // 300
  feed.query("XA END 'a'");
  feed.xaPrepare("a");          // 500 -> 600
  feed.query("BEGIN");          // 600
  feed.rows("u");               // 700
  feed.xid();                   // 800 -> 900
  feed.query("XA COMMIT 'a'");  // 900 -> 1000
  EXPECT_EQ(feed.out.lines, (std::vector<std::string>{
                                "end bin.000001:100+1",
                                "rows u end 800 txn bin.000001:600 gtid '' held bin.000001:100+1",
                                "end bin.000001:100+1",
                                "rows t end 300 txn bin.000001:100 gtid '' skip 1",
                                "rows t end 400 txn bin.000001:100 gtid '' skip 1",
                                "end bin.000001:1000 resumed bin.000001:100+1",
                            }));
}

// Issue 16, item 8: the transformer checks rows_done against the rows it counted, which it can
// only do when told which transaction end closes the resumed one.
TEST(TransactionTracker, TheResumedTransactionsEndCarriesItsRowsDone) {
  Feed feed(checkpoint::Checkpoint{"bin.000001", 100, 2, ""});
  feed.query("BEGIN");  // 100
  feed.rows("t");       // 200
  feed.rows("t");       // 300
  feed.xid();           // 400 -> 500
  feed.query("BEGIN");  // 500
  feed.rows("t");       // 600
  feed.xid();           // 700 -> 800
  EXPECT_EQ(feed.out.lines, (std::vector<std::string>{
                                "rows t end 300 txn bin.000001:100 gtid '' skip 2",
                                "rows t end 400 txn bin.000001:100 gtid '' skip 2",
                                "end bin.000001:500 resumed bin.000001:100+2",
                                "rows t end 700 txn bin.000001:500 gtid ''",
                                "end bin.000001:800",
                            }));
}

TEST(TransactionTracker, AResumedTransactionWithoutRowsStillCarriesItsRowsDone) {
  Feed feed(checkpoint::Checkpoint{"bin.000001", 100, 3, ""});
  feed.gtid(1);                          // 100
  feed.query("CREATE TABLE t (a INT)");  // 200 -> 300
  EXPECT_EQ(feed.out.lines, (std::vector<std::string>{
                                "ddl CREATE TABLE t (a INT)",
                                "end bin.000001:300 resumed bin.000001:100+3",
                            }));
}

TEST(TransactionTracker, XaOutcomeWithoutItsPrepareIsANotice) {
  Feed feed;
  feed.query("XA COMMIT X'7a',X'',1");
  ASSERT_EQ(feed.out.lines.size(), 2u);
  EXPECT_NE(feed.out.lines[0].find("notice"), std::string::npos);
  EXPECT_NE(feed.out.lines[0].find("X'7a',X'',1"), std::string::npos);
  EXPECT_EQ(feed.out.lines[1], "end bin.000001:200");
}

TEST(TransactionTracker, PreparedRowsPastTheBoundStopWithTheTransactionNamed) {
  TrackerOptions options;
  options.max_prepared_xa_bytes = 600;  // two rows events of the fake's (each 256 + 0 bytes)
  Feed feed({"bin.000001", 100, 0, ""}, options);
  feed.query("XA START 'big'");
  feed.rows("t");
  feed.rows("t");
  auto map = std::make_shared<binlog::TableMap>();
  map->table = "t";
  binlog::RowsEvent rows;
  rows.table = map;
  Status status = feed.add(binlog::WRITE_ROWS_EVENT, std::move(rows));
  EXPECT_FALSE(status.isOk());
  EXPECT_NE(status.message().find("X'626967',X'',1"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("max_held_mb"), std::string::npos) << status.message();
}

TEST(TransactionTracker, LostStreamReadsAnXaTransactionAgainWhole) {
  Feed feed;
  feed.query("XA START 'a'");
  feed.rows("t");
  feed.tracker().streamLost();
  EXPECT_EQ(feed.tracker().position(), 100u);  // the transaction's start
  feed.tracker().streamStarted();
  Feed& again = feed;
  again.query("XA START 'a'");
  again.rows("t");
  EXPECT_TRUE(feed.out.items.empty());
  again.query("XA END 'a'");
  again.xaPrepare("a");
  again.query("XA COMMIT 'a'");
  // One row out, not two, and none skipped.
  ASSERT_EQ(feed.out.items.size(), 1u);
  EXPECT_EQ(feed.out.items[0].skip_rows, 0u);
}

TEST(TransactionTracker, LostStreamSkipsRowsAlreadyHandedOn) {
  Feed feed;
  feed.query("BEGIN");
  feed.rows("t");
  feed.rows("t");
  feed.query("SAVEPOINT s");
  feed.rows("t");  // held
  feed.tracker().streamLost();
  feed.tracker().streamStarted();
  feed.query("BEGIN");
  feed.rows("t");
  feed.rows("t");
  feed.query("SAVEPOINT s");
  feed.rows("t");
  feed.rows("t");
  feed.xid();
  // Two before the reconnect, the held one and the fourth after it: each once.
  std::vector<uint64_t> ends;
  for (const RowsItem& item : feed.out.items) {
    ends.push_back(item.event_end);
  }
  EXPECT_EQ(ends, (std::vector<uint64_t>{300, 400, 1100, 1200}));
}

TEST(TransactionTracker, GtidJoinsTheSetOnlyAtTheTransactionEnd) {
  Feed feed({"bin.000001", 100, 0, fmt::format("{}:1-5", kSid)});
  feed.gtid(6);
  feed.query("BEGIN");
  feed.rows("t");
  feed.query("SAVEPOINT s1");
  feed.rows("t");
  feed.xid();
  ASSERT_EQ(feed.out.items.size(), 2u);
  for (const RowsItem& item : feed.out.items) {
    EXPECT_EQ(item.txn_start->gtid_set, fmt::format("{}:1-5", kSid));
    EXPECT_EQ(item.gtid, fmt::format("{}:6", kSid));
  }
  EXPECT_EQ(feed.out.gtid_sets, (std::vector<std::string>{fmt::format("{}:1-6", kSid)}));
}

TEST(TransactionTracker, IncidentIsAnError) {
  Feed feed;
  Status status = feed.add(binlog::INCIDENT_EVENT, binlog::IncidentEvent{1, "LOST_EVENTS"});
  EXPECT_EQ(status.code(), StatusCode::Protocol);
  EXPECT_NE(status.message().find("bin.000001:100"), std::string::npos);
}

TEST(TransactionTracker, OutputSayingStopCancels) {
  Feed feed;
  feed.out.stop_after = 1;
  feed.query("BEGIN");
  Status status = feed.add(binlog::XID_EVENT, uint64_t{1});
  EXPECT_EQ(status.code(), StatusCode::Cancelled);
}

// ---- Recorded MariaDB 10.11 binlogs (tests/fixtures/binlog/mariadb-transactions/README.md) ----

namespace recorded {

// What a file's walk hands on: rows as "gtid table keys @txn_start [held mark]", ends as
// "end FILE:POS", DDL, statement writes and notices.
struct Walk {
  Status status;
  std::vector<std::string> lines;
  size_t prepared_left = 0;
};

class KeyRecorder final : public TransactionTracker::Output {
 public:
  bool rows(const RowsChange& rows, size_t bytes) override { return item(rows.toItem(), bytes); }
  bool item(SourceItem&& item, size_t /*bytes*/) override {
    if (auto* rows = std::get_if<RowsItem>(&item)) {
      const message::RowOrigin origin{rows->binlog_timestamp, 0, rows->txn_start->file,
                                      rows->event_end,        0, rows->gtid};
      Status status = formatter_.format(
          rows->event.header, rows->event.table, origin, [&](uint64_t, std::string_view body) {
            const size_t keys = body.find("\"keys\":");
            const size_t close = body.find('}', keys);
            std::string line =
                fmt::format("{} {} {} @{}", rows->gtid, rows->event.table->table,
                            body.substr(keys + 7, close - keys - 6), rows->txn_start->offset);
            if (rows->held_mark != nullptr) {
              line += " held " + checkpoint::toString(*rows->held_mark);
            }
            lines.push_back(std::move(line));
            return Status::ok();
          });
      EXPECT_TRUE(status.isOk()) << status.toString();
    } else if (auto* end = std::get_if<TransactionEnd>(&item)) {
      lines.push_back("end " + checkpoint::toString(*end->next));
    } else if (auto* change = std::get_if<SchemaChange>(&item)) {
      lines.push_back("ddl " + change->statement.substr(0, 20));
    }
    return true;
  }
  void statementWrite(const std::optional<sql::StatementTable>& table, std::string_view what,
                      const std::string& /*file*/, uint64_t position) override {
    lines.push_back(fmt::format(
        "write {} {} at {}", table ? table->database + "." + table->table : "?", what, position));
  }
  void notice(const std::string& text) override { lines.push_back("notice " + text.substr(0, 60)); }

  std::vector<std::string> lines;

 private:
  message::RowsFormatter formatter_;
};

Walk walkFile(const std::string& name) {
  Walk walk;
  const std::vector<uint8_t> bytes = test::readFileBytes(std::string(MM_PROJECT_FIXTURES_DIR) +
                                                         "/binlog/mariadb-transactions/" + name);
  EXPECT_FALSE(bytes.empty()) << name;
  auto file = binlog::BinlogFile::open(bytes);
  if (!file.isOk()) {
    walk.status = file.status();
    return walk;
  }
  auto tracker = TransactionTracker::create({name, file->offset(), 0, ""});
  tracker->streamStarted();
  binlog::EventDecoder decoder;
  KeyRecorder out;
  for (;;) {
    const uint64_t position = file->offset();
    auto raw = file->next();
    if (!raw.isOk() || !raw->has_value()) {
      walk.status = raw.status();
      break;
    }
    auto event = decoder.decode(**raw);
    if (!event.isOk()) {
      walk.status = event.status();
      break;
    }
    const EventPlace at = tracker->place(event->header);
    EXPECT_EQ(at.start, position) << name;
    walk.status = tracker->onEvent(*event, at, nullptr, out);
    if (!walk.status.isOk()) {
      break;
    }
  }
  walk.lines = std::move(out.lines);
  walk.prepared_left = tracker->preparedXaCount();
  return walk;
}

std::vector<std::string> rowsOf(const Walk& walk) {
  std::vector<std::string> rows;
  for (const std::string& line : walk.lines) {
    if (line.starts_with("0-")) {
      rows.push_back(line);
    }
  }
  return rows;
}

TEST(RecordedTransactions, SavepointKeepsEveryRowInOneTransaction) {
  const Walk walk = walkFile("savepoint.bin");
  ASSERT_TRUE(walk.status.isOk()) << walk.status.toString();
  EXPECT_EQ(walk.lines,
            (std::vector<std::string>{"0-1-6 t {\"id\":1} @389", "0-1-6 t {\"id\":2} @389",
                                      "0-1-6 t {\"id\":3} @389", "0-1-6 t {\"id\":4} @389",
                                      "end savepoint.bin:1154"}));
}

TEST(RecordedTransactions, RolledBackToSavepointRowsAreNotThere) {
  const Walk walk = walkFile("rollback_to_savepoint.bin");
  ASSERT_TRUE(walk.status.isOk()) << walk.status.toString();
  EXPECT_EQ(rowsOf(walk),
            (std::vector<std::string>{"0-1-7 t {\"id\":10} @434", "0-1-7 t {\"id\":12} @434"}));
}

TEST(RecordedTransactions, LoggedRollbackToDropsTheRowItUndid) {
  // 0-1-10 changed MyISAM first, so MariaDB logged row 18 and then ROLLBACK TO `sävepunkt`.
  const Walk walk = walkFile("rollback_to_savepoint_variants.bin");
  ASSERT_TRUE(walk.status.isOk()) << walk.status.toString();
  EXPECT_EQ(rowsOf(walk),
            (std::vector<std::string>{"0-1-8 t {\"id\":13} @434", "0-1-8 t {\"id\":16} @434",
                                      "0-1-9 m {\"id\":17} @990", "0-1-10 t {\"id\":17} @1268"}));
}

TEST(RecordedTransactions, XaCommitPublishesThePreparedRowsWithTheirPrepareCoordinates) {
  const Walk walk = walkFile("xa_commit.bin");
  ASSERT_TRUE(walk.status.isOk()) << walk.status.toString();
  EXPECT_EQ(rowsOf(walk), (std::vector<std::string>{"0-1-11 t {\"id\":20} @344"}));
  EXPECT_EQ(walk.prepared_left, 0u);
}

TEST(RecordedTransactions, XaRollbackPublishesNothing) {
  const Walk walk = walkFile("xa_rollback.bin");
  ASSERT_TRUE(walk.status.isOk()) << walk.status.toString();
  EXPECT_TRUE(rowsOf(walk).empty());
  EXPECT_EQ(walk.prepared_left, 0u);
}

TEST(RecordedTransactions, XaOnePhaseIsAnOrdinaryTransaction) {
  const Walk walk = walkFile("xa_one_phase.bin");
  ASSERT_TRUE(walk.status.isOk()) << walk.status.toString();
  ASSERT_EQ(rowsOf(walk).size(), 1u);
  EXPECT_NE(rowsOf(walk)[0].find("{\"id\":22}"), std::string::npos);
}

TEST(RecordedTransactions, InterleavedXaHoldsTheCheckpointAtTheOldestPrepare) {
  const Walk walk = walkFile("xa_interleaved.bin");
  ASSERT_TRUE(walk.status.isOk()) << walk.status.toString();
  EXPECT_EQ(
      walk.lines,
      (std::vector<std::string>{
          "end xa_interleaved.bin:344",  // x4 prepared at 344: the mark stays
          "0-1-17 t {\"id\":24} @762 held xa_interleaved.bin:344", "end xa_interleaved.bin:344",
          "end xa_interleaved.bin:344",                             // x5 prepared
          "0-1-18 t {\"id\":25} @999 held xa_interleaved.bin:344",  // x5 committed
          "end xa_interleaved.bin:344",
          "end xa_interleaved.bin:1589",  // x4 rolled back: nothing waits
      }));
}

TEST(RecordedTransactions, MixedEngineTransactionKeepsItsNonTransactionalRow) {
  const Walk walk = walkFile("mixed_engine_rollback.bin");
  ASSERT_TRUE(walk.status.isOk()) << walk.status.toString();
  EXPECT_EQ(rowsOf(walk), (std::vector<std::string>{"0-1-21 m {\"id\":30} @344"}));
}

TEST(RecordedTransactions, StatementFormatRollbackReportsItsWrites) {
  const Walk walk = walkFile("mixed_engine_rollback_statement.bin");
  ASSERT_TRUE(walk.status.isOk()) << walk.status.toString();
  EXPECT_TRUE(rowsOf(walk).empty());
  int writes = 0;
  for (const std::string& line : walk.lines) {
    writes += line.starts_with("write txn.") ? 1 : 0;
  }
  EXPECT_EQ(writes, 2);
}

TEST(RecordedTransactions, DdlInsideATransactionCommitsItImplicitly) {
  const Walk walk = walkFile("ddl_in_transaction.bin");
  ASSERT_TRUE(walk.status.isOk()) << walk.status.toString();
  std::vector<std::string> shape;
  for (const std::string& line : walk.lines) {
    shape.push_back(line.substr(0, line.find(' ')));
  }
  EXPECT_EQ(shape, (std::vector<std::string>{"0-1-22", "end", "ddl", "end", "0-1-24", "end"}));
}

TEST(RecordedTransactions, CreateTableSelectIsOneTransactionWithItsRows) {
  const Walk walk = walkFile("create_table_select.bin");
  ASSERT_TRUE(walk.status.isOk()) << walk.status.toString();
  // Each CREATE ... SELECT: the DDL, its rows, one end (no checkpoint between them).
  std::vector<std::string> shape;
  for (const std::string& line : walk.lines) {
    const std::string head = line.substr(0, line.find(' '));
    if (shape.empty() || shape.back() != head) {
      shape.push_back(head);
    }
  }
  ASSERT_GE(shape.size(), 6u);
  EXPECT_EQ(shape[0], "ddl");
  EXPECT_TRUE(shape[1].starts_with("0-1-"));
  EXPECT_EQ(shape[2], "end");
  EXPECT_EQ(shape[3], "ddl");
  EXPECT_TRUE(shape[4].starts_with("0-1-"));
  EXPECT_EQ(shape[5], "end");
}

TEST(RecordedTransactions, MultiTableStatementsPublishEveryTable) {
  const Walk walk = walkFile("multi_table.bin");
  ASSERT_TRUE(walk.status.isOk()) << walk.status.toString();
  bool t = false;
  bool u = false;
  for (const std::string& row : rowsOf(walk)) {
    t = t || row.find(" t ") != std::string::npos;
    u = u || row.find(" u ") != std::string::npos;
  }
  EXPECT_TRUE(t && u);
}

TEST(RecordedTransactions, EmptyTransactionsPublishNothing) {
  const Walk walk = walkFile("empty_transaction.bin");
  ASSERT_TRUE(walk.status.isOk()) << walk.status.toString();
  EXPECT_TRUE(rowsOf(walk).empty());
  const Walk xa = walkFile("xa_empty.bin");
  ASSERT_TRUE(xa.status.isOk()) << xa.status.toString();
  EXPECT_TRUE(rowsOf(xa).empty());
}

TEST(RecordedTransactions, StatementLoadDataIsReportedNotAnError) {
  const Walk walk = walkFile("statement_load_data.bin");
  ASSERT_TRUE(walk.status.isOk()) << walk.status.toString();
  EXPECT_TRUE(rowsOf(walk).empty());
  int loads = 0;
  for (const std::string& line : walk.lines) {
    loads += line.starts_with("write txn.t LOAD DATA") ? 1 : 0;
  }
  EXPECT_GE(loads, 1);
}

TEST(RecordedTransactions, HugeInsertAfterASavepointKeepsEveryRow) {
  const Walk walk = walkFile("big_savepoint.bin");
  ASSERT_TRUE(walk.status.isOk()) << walk.status.toString();
  const std::vector<std::string> rows = rowsOf(walk);
  ASSERT_EQ(rows.size(), 2001u);
  const std::string gtid = rows.front().substr(0, rows.front().find(' '));
  for (const std::string& row : rows) {
    EXPECT_TRUE(row.starts_with(gtid + " t ")) << row;
  }
}

TEST(RecordedTransactions, SavepointAfterACommentStaysInside) {
  const Walk walk = walkFile("executable_comment.bin");
  ASSERT_TRUE(walk.status.isOk()) << walk.status.toString();
  const std::vector<std::string> rows = rowsOf(walk);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].substr(0, rows[0].find(' ')), rows[1].substr(0, rows[1].find(' ')));
}

}  // namespace recorded
}  // namespace
}  // namespace mm::pipeline

namespace mm::pipeline {
namespace {

// Issue 18: waiting for the server between transactions, the tracker says where the stream is when
// events outside any transaction moved it (a new file's header events), so a snapshot chunk that
// waits for the stream to pass its high watermark is not held back by an idle server; never
// inside a transaction, and nothing when nothing moved.
TEST(TransactionTracker, PassIdleMarksWhereTheStreamIsBetweenTransactions) {
  Feed feed;
  ASSERT_TRUE(feed.tracker().passIdle(feed.out).isOk());
  EXPECT_TRUE(feed.out.lines.empty()) << "nothing moved since the start";
  feed.query("BEGIN");
  feed.rows("t");
  feed.xid();
  ASSERT_EQ(feed.out.lines.size(), 2u);
  EXPECT_EQ(feed.out.lines[1], "end bin.000001:400");
  ASSERT_TRUE(feed.tracker().passIdle(feed.out).isOk());
  EXPECT_EQ(feed.out.lines.size(), 2u) << "the last end is where the stream is";
  // An event of no transaction (a new file's header events) moves the stream on.
  (void)feed.tracker().place(
      EventHeader{1700000000, binlog::BINLOG_CHECKPOINT_EVENT, 1, 100, 500, 0});
  ASSERT_TRUE(feed.tracker().passIdle(feed.out).isOk());
  ASSERT_EQ(feed.out.lines.size(), 3u);
  EXPECT_EQ(feed.out.lines[2], "end bin.000001:500");
  ASSERT_TRUE(feed.tracker().passIdle(feed.out).isOk());
  EXPECT_EQ(feed.out.lines.size(), 3u) << "once";
}

}  // namespace
}  // namespace mm::pipeline
