// The example consumers (examples/python/table_copy.py with pika, examples/cpp/table_copy.cpp with
// rabbitmq-c) against the real monitor and servers: after a workload of inserts, updates (one
// changing the key) and deletes, each one's copy table equals the source table, and its journal
// holds each change once. The Python one is first stopped right after applying a message and
// before acknowledging it: RabbitMQ delivers that message again, the copy stays right and the
// journal reports the duplicate by its message_id.
//
// The snapshot re-sync (README "Messages"): the copies hold rows the source no longer has, lack
// rows it has and hold others with old values; a hand-made snapshot sequence published to the
// exchange (a cancelled snapshot, then snapshot_start, row_snapshot rows interleaved with live
// changes, the snapshot_start again, snapshot_end) leaves each copy equal to the source, and so
// does the real monitor's initial snapshot ([snapshot] mode = initial) with live changes.
#include <signal.h>

#include <cstdlib>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/amqp_test_consumer.h"
#include "support/live_monitor_test.h"
#include "support/message_schema.h"

#ifndef MM_CPP_TABLE_COPY
#define MM_CPP_TABLE_COPY ""  // configured with MM_BUILD_EXAMPLES=OFF
#endif

namespace mm::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPython = "/usr/bin/python3";
// Row messages of the workload in ExampleConsumers.CopiesEqualTheSourceTable.
constexpr int kWorkloadChanges = 30 + 10 + 5 + 3 + 1 + 2;

class ExampleConsumers : public LiveMonitorTest {
 protected:
  void SetUp() override {
    LiveMonitorTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    run(fmt::format("CREATE TABLE {}.source (id INT PRIMARY KEY, name VARCHAR(40), qty INT, "
                    "price DECIMAL(8,2), day DATE, at DATETIME(3), ts TIMESTAMP(6) NULL, "
                    "tags SET('a','b','c'), raw VARBINARY(16), note TEXT) DEFAULT CHARSET utf8mb4",
                    database_));
  }

  // Starts the monitor on the source table with `more` config lines ("[snapshot]\n...").
  void startMonitorOnTheSource(const std::string& more = "") {
    // Only the source table: the consumers' own writes (copies, journals) are not published.
    writeConfig({.mysql = fmt::format("tables = {}.source", database_), .amqp = more});
    startMonitor();
  }

  void TearDown() override {
    // Stopped first: they write into the schema the base class drops.
    python_.stop(SIGKILL, 5s);
    cpp_.stop(SIGKILL, 5s);
    for (const char* which : {"py", "cpp"}) {
      AmqpTestConsumer cleanup;
      if (!env_.amqp_host.empty() &&
          cleanup
              .connect(env_.amqp_host, env_.amqp_port, env_.amqp_user, env_.amqp_password,
                       exchange_, "fanout", "#", queueName(which))
              .isOk()) {
        (void)cleanup.deleteQueue();
      }
    }
    LiveMonitorTest::TearDown();
  }

  std::string moreLogs() override {
    return "--- python consumer log ---\n" + python_.log() + "\n--- C++ consumer log ---\n" +
           cpp_.log() + "\n";
  }

  std::string queueName(const std::string& which) const { return exchange_ + "-" + which; }

  // `program` (interpreter and script, or the binary) followed by the options both consumers take.
  std::vector<std::string> consumerArgs(std::vector<std::string> program,
                                        const std::string& which) const {
    for (const std::string& arg :
         {"--amqp-host=" + env_.amqp_host, fmt::format("--amqp-port={}", env_.amqp_port),
          "--amqp-user=" + env_.amqp_user, "--amqp-password=" + env_.amqp_password,
          "--exchange=" + exchange_, "--queue=" + queueName(which),
          "--mysql-host=" + env_.mysql_host, fmt::format("--mysql-port={}", env_.mysql_port),
          "--mysql-user=" + env_.admin_user, "--mysql-password=" + env_.admin_password,
          "--source=" + database_ + ".source", "--copy=" + database_ + ".copy_" + which}) {
      program.push_back(arg);
    }
    return program;
  }

  void startConsumer(MonitorProcess& process, std::vector<std::string> argv,
                     const std::string& which) {
    const std::string log = dir_ + "/" + which + ".log";
    ASSERT_TRUE(process.startCommand(std::move(argv), log));
    ASSERT_TRUE(waitFor(
        [&] { return process.log().find("table_copy: consuming") != std::string::npos; }, 15s))
        << which << " consumer did not start:\n"
        << process.log();
  }

  std::vector<mysql::Row> select(const std::string& table) {
    auto rows = sql_.query(fmt::format("SELECT * FROM {}.{} ORDER BY id", database_, table));
    EXPECT_TRUE(rows.isOk()) << rows.status().toString();
    return rows.isOk() ? *rows : std::vector<mysql::Row>{};
  }

  int64_t journalRows(const std::string& which) {
    auto rows =
        sql_.query(fmt::format("SELECT COUNT(*) FROM {}.copy_{}_journal", database_, which));
    EXPECT_TRUE(rows.isOk()) << rows.status().toString();
    return rows.isOk() ? std::atoll(rows->at(0)[0].value_or("-1").c_str()) : -1;
  }

  // Why the examples cannot run here, or "" when they can.
  static std::string whyExamplesCannotRun() {
    if (std::system(fmt::format("{} -c 'import pika, pymysql' 2>/dev/null", kPython).c_str()) !=
        0) {
      return fmt::format("{} lacks pika or pymysql: run scripts/install-deps.sh", kPython);
    }
    if (std::string(MM_CPP_TABLE_COPY).empty()) {
      return "the C++ example is not built: configure with -DMM_BUILD_EXAMPLES=ON";
    }
    return "";
  }

  // Both copies equal the source (of `rows` rows) and their stale lists are gone; then both
  // consumers stop cleanly.
  void expectCopiesEqualTheSource(size_t rows) {
    const std::vector<mysql::Row> expected = select("source");
    ASSERT_EQ(expected.size(), rows);
    for (const std::string which : {"py", "cpp"}) {
      EXPECT_TRUE(waitFor([&] { return select("copy_" + which) == expected; }, 10s))
          << which << " copy differs from the source table";
      auto stale =
          sql_.query(fmt::format("SELECT COUNT(*) FROM {}.copy_{}_stale", database_, which));
      ASSERT_TRUE(stale.isOk()) << stale.status().toString();
      EXPECT_EQ(stale->at(0)[0].value_or(""), "0") << which << ": snapshot_end drops the list";
    }
    EXPECT_EQ(python_.stop(SIGTERM, 10s), 0);
    EXPECT_EQ(cpp_.stop(SIGTERM, 10s), 0);
  }

  MonitorProcess python_;
  MonitorProcess cpp_;
};

TEST_F(ExampleConsumers, CopiesEqualTheSourceTable) {
  if (const std::string why = whyExamplesCannotRun(); !why.empty()) {
    GTEST_SKIP() << why;
  }
  startMonitorOnTheSource();
  const std::string script = std::string(MM_EXAMPLES_DIR) + "/python/table_copy.py";
  // Stops (exit 3) after handling its 7th message, before acknowledging it.
  startConsumer(python_, consumerArgs({kPython, script, "--stop-after=7"}, "py"), "py");
  startConsumer(cpp_, consumerArgs({MM_CPP_TABLE_COPY}, "cpp"), "cpp");

  const std::string source = database_ + ".source";
  std::string rows;
  for (int id = 1; id <= 30; ++id) {
    rows += fmt::format(
        "{}({}, 'n\xC3\xA9{}', {}, {}.25, '2024-02-{:02}', '2024-02-29 23:59:{:02}.123', "
        "'2038-01-19 03:14:07.{:06}', 'a,c', x'00{:02X}FF', {})",
        id == 1 ? "" : ", ", id, id, id, id, id % 28 + 1, id, id, id,
        id % 3 == 0 ? "NULL" : "'note'");
  }
  run("SET SESSION time_zone = '+00:00'");
  run(fmt::format("INSERT INTO {} VALUES {}", source, rows));
  run(fmt::format(
      "UPDATE {} SET qty = qty + 100, name = CONCAT(name, '!'), note = NULL WHERE id <= 10",
      source));
  run(fmt::format("DELETE FROM {} WHERE id > 25", source));
  run("BEGIN");
  run(fmt::format("INSERT INTO {} (id, name) VALUES (100, 'short-lived')", source));
  run(fmt::format("UPDATE {} SET name = 'shorter' WHERE id = 100", source));
  run(fmt::format("DELETE FROM {} WHERE id = 100", source));
  run("COMMIT");
  run(fmt::format("UPDATE {} SET id = 50 WHERE id = 11", source));
  run(fmt::format(
      "UPDATE {} SET tags = '', raw = NULL, ts = NULL, price = -1.5 WHERE id IN (12, 13)", source));

  ASSERT_TRUE(waitFor([&] { return python_.exited().has_value(); }, 15s))
      << "--stop-after did not stop it";
  ASSERT_NE(python_.log().find("without acknowledging"), std::string::npos) << python_.log();
  startConsumer(python_, consumerArgs({kPython, script}, "py"), "py");

  const std::vector<mysql::Row> expected = select("source");
  ASSERT_EQ(expected.size(), 25u);
  for (const std::string which : {"py", "cpp"}) {
    EXPECT_TRUE(waitFor([&] { return select("copy_" + which) == expected; }, 20s))
        << which << " copy differs from the source table";
    EXPECT_TRUE(waitFor([&] { return journalRows(which) == kWorkloadChanges; }, 5s))
        << which << " journal holds " << journalRows(which) << " changes, not " << kWorkloadChanges;
  }
  EXPECT_NE(python_.log().find("table_copy: duplicate "), std::string::npos)
      << "the message applied but not acknowledged must come back and be recognised";
  EXPECT_EQ(python_.stop(SIGTERM, 10s), 0);
  EXPECT_EQ(cpp_.stop(SIGTERM, 10s), 0);
  EXPECT_EQ(monitor_.stop(SIGTERM), 0);
}

// Builds the monitor's snapshot messages for the source table and publishes them, as the monitor
// would (src/message/snapshot_message.h, RowMessageBuilder::renderSnapshot): every body must
// satisfy docs/message.schema.json, so the consumers see the real shapes.
class SnapshotPublisher {
 public:
  SnapshotPublisher(AmqpTestConsumer& amqp, std::string database)
      : amqp_(amqp), database_(std::move(database)) {}

  void start(const std::string& id) {
    send(fmt::format("snapshot:{}:start:{}.source", id, database_),
         fmt::format(R"({{"type":"snapshot_start",{},"snapshot_id":"{}","estimated_rows":8,)"
                     R"("timestamp":1764108000}})",
                     table(), id));
  }
  void end(const std::string& id, int rows) {
    send(fmt::format("snapshot:{}:end:{}.source", id, database_),
         fmt::format(R"({{"type":"snapshot_end",{},"snapshot_id":"{}","rows":{},)"
                     R"("timestamp":1764108000}})",
                     table(), id, rows));
  }
  void row(const std::string& id, int key, const std::string& name, int qty) {
    send(fmt::format(R"(snapshot:{}:row:{}.source:{{"id":{}}})", id, database_, key),
         fmt::format(R"({{"type":"row_snapshot",{},"keys":{{"id":{}}},"values":{},)"
                     R"("snapshot_id":"{}",{}}})",
                     table(), key, values(key, name, qty), id, origin(chunk_row_++)));
  }
  void insert(int key, const std::string& name, int qty) {
    send(nextPosition(),
         fmt::format(R"({{"type":"row_insert",{},"keys":{{"id":{}}},"values":{},{}}})", table(),
                     key, values(key, name, qty), origin(0)));
  }
  void update(int key, int new_key) {
    send(nextPosition(),
         fmt::format(R"({{"type":"row_update",{},"keys":{{"id":{}}},"before_values":{{"id":{}}},)"
                     R"("after_values":{{"id":{}}},{}}})",
                     table(), key, key, new_key, origin(0)));
  }
  void remove(int key) {
    send(nextPosition(), fmt::format(R"({{"type":"row_delete",{},"keys":{{"id":{}}},{}}})", table(),
                                     key, origin(0)));
  }

 private:
  std::string table() const {
    return fmt::format(R"("database":"{}","table_name":"source")", database_);
  }
  static std::string values(int key, const std::string& name, int qty) {
    return fmt::format(R"({{"id":{},"name":"{}","qty":{},"price":"{}.25","day":null,"at":null,)"
                       R"("ts":null,"tags":["a","c"],"raw":"AP8=","note":null}})",
                       key, name, qty, qty);
  }
  std::string origin(uint64_t row) const {
    return fmt::format(R"("timestamp":1764108000,"binlog_timestamp":1764108000,)"
                       R"("position":{{"file":"mysql-bin.000001","pos":{},"row":{}}})",
                       pos_, row);
  }
  std::string nextPosition() {
    pos_ += 100;
    return fmt::format("mysql-bin.000001:{}:0", pos_);
  }
  void send(const std::string& message_id, const std::string& body) {
    EXPECT_TRUE(isValidMessage(body));
    Status sent = amqp_.publish(message_id, body);
    EXPECT_TRUE(sent.isOk()) << sent.toString();
  }

  AmqpTestConsumer& amqp_;
  std::string database_;
  uint64_t pos_ = 1000;
  uint64_t chunk_row_ = 0;  // a row_snapshot's "position" "row": its index in its chunk
};

TEST_F(ExampleConsumers, SnapshotResyncsTheCopies) {
  if (const std::string why = whyExamplesCannotRun(); !why.empty()) {
    GTEST_SKIP() << why;
  }
  const std::string script = std::string(MM_EXAMPLES_DIR) + "/python/table_copy.py";
  startConsumer(python_, consumerArgs({kPython, script}, "py"), "py");
  startConsumer(cpp_, consumerArgs({MM_CPP_TABLE_COPY}, "cpp"), "cpp");
  // The copies before the re-sync: 1-3 with old values, 100-102 gone from the source, 4-8
  // missing. The monitor publishes none of this (the source is written outside the binlog).
  run("SET SESSION sql_log_bin = 0");
  for (const std::string which : {"py", "cpp"}) {
    run(fmt::format("INSERT INTO {}.copy_{} (id, name, qty) VALUES (1, 'old', 0), (2, 'old', 0), "
                    "(3, 'old', 0), (100, 'stale', 0), (101, 'stale', 0), (102, 'stale', 0)",
                    database_, which));
  }
  AmqpTestConsumer amqp;
  Status connected =
      amqp.connect(env_.amqp_host, env_.amqp_port, env_.amqp_user, env_.amqp_password, exchange_);
  ASSERT_TRUE(connected.isOk()) << connected.toString();
  SnapshotPublisher publish(amqp, database_);
  // A cancelled snapshot: a start and one row, never an end. Its list must delete nothing.
  publish.start("20261205T010000Z-0001");
  publish.row("20261205T010000Z-0001", 1, "n1", 1);
  const std::string id = "20261205T011500Z-3f9a";
  publish.start(id);
  for (int key = 1; key <= 3; ++key) {
    publish.row(id, key, fmt::format("n{}", key), key);
  }
  publish.insert(9, "live", 9);  // live changes between chunks
  publish.update(101, 10);       // a stale key moved to a key the source has: kept
  publish.start(id);             // the same start again (a redelivery): the list stays
  for (int key = 4; key <= 8; ++key) {
    publish.row(id, key, fmt::format("n{}", key), key);
  }
  publish.remove(8);
  publish.end(id, 8);
  // The source as the stream left it: 1-7 as snapshotted, 9 inserted, 10 (was 101, 'stale').
  std::string rows;
  for (int key = 1; key <= 7; ++key) {
    rows += fmt::format("({}, 'n{}', {}, {}.25, 'a,c', x'00FF'), ", key, key, key, key);
  }
  run(fmt::format("INSERT INTO {}.source (id, name, qty, price, tags, raw) VALUES {}"
                  "(9, 'live', 9, 9.25, 'a,c', x'00FF'), (10, 'stale', 0, NULL, NULL, NULL)",
                  database_, rows));
  expectCopiesEqualTheSource(9);
}

TEST_F(ExampleConsumers, InitialSnapshotOfTheMonitorResyncsTheCopies) {
  if (const std::string why = whyExamplesCannotRun(); !why.empty()) {
    GTEST_SKIP() << why;
  }
  const std::string script = std::string(MM_EXAMPLES_DIR) + "/python/table_copy.py";
  startConsumer(python_, consumerArgs({kPython, script}, "py"), "py");
  startConsumer(cpp_, consumerArgs({MM_CPP_TABLE_COPY}, "cpp"), "cpp");
  run("SET SESSION time_zone = '+00:00'");
  std::string rows;
  for (int id = 1; id <= 40; ++id) {
    rows += fmt::format("{}({}, 'n{}', {}, {}.25, '2024-02-{:02}', '2024-02-29 23:59:{:02}.123', "
                        "'2038-01-19 03:14:07.{:06}', 'a,c', x'00{:02X}FF', {})",
                        id == 1 ? "" : ", ", id, id, id, id, id % 28 + 1, id, id, id,
                        id % 3 == 0 ? "NULL" : "'note'");
  }
  run(fmt::format("INSERT INTO {}.source VALUES {}", database_, rows));
  // Outdated (1-5), stale (100-102) and missing (6-40) rows in the copies.
  for (const std::string which : {"py", "cpp"}) {
    run(fmt::format("INSERT INTO {}.copy_{} (id, name) VALUES (1, 'old'), (2, 'old'), (3, 'old'), "
                    "(4, 'old'), (5, 'old'), (100, 'stale'), (101, 'stale'), (102, 'stale')",
                    database_, which));
  }
  // A fresh state directory: the first start snapshots the source, small chunks to interleave.
  startMonitorOnTheSource("[snapshot]\nmode = initial\nchunk_rows = 7\n");
  run(fmt::format("UPDATE {}.source SET qty = qty + 100 WHERE id IN (2, 39)", database_));
  run(fmt::format("DELETE FROM {}.source WHERE id = 40", database_));
  run(fmt::format("INSERT INTO {}.source (id, name) VALUES (41, 'live')", database_));
  expectCopiesEqualTheSource(40);
  EXPECT_EQ(monitor_.stop(SIGTERM), 0);
}

// [message] format = origin (docs/migrating-from-the-python-monitor.md): both consumers read the
// Python monitor's messages, with its renderings of binary, BIT and TIME values, its update keys
// (after the update) and the native renderings of what it could not publish (DECIMAL, SET).
TEST_F(ExampleConsumers, OriginMessagesKeepTheCopiesEqual) {
  if (const std::string why = whyExamplesCannotRun(); !why.empty()) {
    GTEST_SKIP() << why;
  }
  run(fmt::format("ALTER TABLE {}.source ADD COLUMN t TIME NULL, ADD COLUMN b BIT(4) NULL",
                  database_));
  startMonitorOnTheSource("[message]\nformat = origin\n");
  const std::string script = std::string(MM_EXAMPLES_DIR) + "/python/table_copy.py";
  startConsumer(python_, consumerArgs({kPython, script}, "py"), "py");
  startConsumer(cpp_, consumerArgs({MM_CPP_TABLE_COPY}, "cpp"), "cpp");
  const std::string source = database_ + ".source";
  run("SET SESSION time_zone = '+00:00'");
  std::string rows;
  for (int id = 1; id <= 5; ++id) {
    rows += fmt::format(
        "{}({}, 'n\xC3\xA9{}', {}, {}.25, '2024-02-{:02}', '2024-02-29 23:59:{:02}.123', "
        "'2038-01-19 03:14:07.{:06}', 'a,c', x'00{:02X}41', 'note', '{}', b'{:04b}')",
        id == 1 ? "" : ", ", id, id, id, id, id, id, id, id,
        id % 2 == 0 ? "-12:34:56" : "100:00:00.5", id);
  }
  run(fmt::format("INSERT INTO {} VALUES {}", source, rows));
  run(fmt::format("UPDATE {} SET qty = qty + 100, t = '-00:00:01', b = b'1111' WHERE id <= 2",
                  source));
  run(fmt::format("UPDATE {} SET id = 50, at = '2025-01-01 00:00:00' WHERE id = 3", source));
  run(fmt::format("DELETE FROM {} WHERE id = 4", source));
  const std::vector<mysql::Row> expected = select("source");
  ASSERT_EQ(expected.size(), 4u);
  for (const std::string which : {"py", "cpp"}) {
    EXPECT_TRUE(waitFor([&] { return select("copy_" + which) == expected; }, 20s))
        << which << " copy differs from the source table";
  }
  EXPECT_EQ(python_.stop(SIGTERM, 10s), 0);
  EXPECT_EQ(cpp_.stop(SIGTERM, 10s), 0);
}

}  // namespace
}  // namespace mm::test
