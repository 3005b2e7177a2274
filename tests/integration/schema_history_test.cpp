// Replaying a backlog written across ALTER TABLEs names every column as it was when the row was
// written (issue 5 items 6, 7, 11): the monitor starts at a position before the tables existed,
// after every ALTER already happened, with binlog_row_metadata MINIMAL (names from the schema
// history), NO_LOG (signedness and charsets from it too) and FULL (names from the binlog).
// A restart then resumes with the history as of the checkpoint; a damaged history is repaired from
// information_schema with a warning; rows no schema can name stop the monitor instead.
#include <signal.h>

#include <optional>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "support/amqp_test_consumer.h"
#include "support/live_monitor_test.h"
#include "support/monitor_process.h"
#include "support/sql_client.h"

namespace mm::test {
namespace {

using namespace std::chrono_literals;

std::string compact(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return buffer.GetString();
}

// What a message must say: its type, table, keys, and the names of its columns in order.
struct Expected {
  std::string type;
  std::string table;
  std::string keys;                  // compact JSON
  std::vector<std::string> columns;  // of "values" (inserts) or "after_values" (updates)
};

// "type table keys [columns]" of a received message, for messages that compare whole.
std::string describe(const Expected& e) {
  std::string columns;
  for (const std::string& c : e.columns) {
    columns += (columns.empty() ? "" : ",") + c;
  }
  return fmt::format("{} {} {} [{}]", e.type, e.table, e.keys, columns);
}

Expected summarize(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  Expected e;
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("type")) {
    e.type = "unparsable: " + body.substr(0, 200);
    return e;
  }
  e.type = doc["type"].GetString();
  e.table = doc.HasMember("table_name") ? doc["table_name"].GetString() : "";
  e.keys = doc.HasMember("keys") ? compact(doc["keys"]) : "";
  const char* field = doc.HasMember("after_values") ? "after_values" : "values";
  if (doc.HasMember(field)) {
    for (const auto& member : doc[field].GetObject()) {
      e.columns.emplace_back(member.name.GetString());
    }
  }
  return e;
}

class SchemaHistoryReplay : public LiveMonitorTest,
                            public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    LiveMonitorTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    // The tests create the schema after their start position, so the history follows its CREATE.
    run(fmt::format("DROP DATABASE {}", database_));
    // binlog_row_metadata is global only (MariaDB and MySQL): remember the server's, restore it
    // after.
    auto setting = sql_.query("SELECT @@GLOBAL.binlog_row_metadata");
    ASSERT_TRUE(setting.isOk() && !setting->empty()) << setting.status().toString();
    original_row_metadata_ = (*setting)[0][0].value_or("FULL");
    run(fmt::format("SET GLOBAL binlog_row_metadata = {}", GetParam()));
    Status consumer = consumer_.connect(env_.amqp_host, env_.amqp_port, env_.amqp_user,
                                        env_.amqp_password, exchange_);
    ASSERT_TRUE(consumer.isOk()) << consumer.toString();
  }

  void TearDown() override {
    if (sql_.connected() && !original_row_metadata_.empty()) {
      (void)sql_.execute(
          fmt::format("SET GLOBAL binlog_row_metadata = {}", original_row_metadata_));
    }
    LiveMonitorTest::TearDown();
  }

  std::string moreLogs() override {
    return "--- schema history ---\n" + readTextFile(dir_ + "/state/schema_history") + "\n";
  }

  std::string currentPosition() {
    auto rows = sql_.query("SHOW MASTER STATUS");
    EXPECT_TRUE(rows.isOk() && !rows->empty());
    return fmt::format("{}:{}", (*rows)[0][0].value_or(""), (*rows)[0][1].value_or(""));
  }

  // Starts the monitor at `start_position` without waiting for it to stream (some tests expect
  // it to refuse).
  void startMonitorAt(const std::string& start_position) {
    writeConfig(
        {.mysql = fmt::format("database = {}\nstart_position = {}", database_, start_position)});
    ASSERT_TRUE(monitor_.start(dir_ + "/monitor.cfg", dir_ + "/monitor.log"));
  }

  // Takes as many messages as `expected` holds, compares them in order and returns their bodies.
  std::vector<std::string> expectMessages(const std::vector<Expected>& expected) {
    std::vector<std::string> bodies;
    for (const ReceivedMessage& message : consumer_.take(expected.size(), 20s)) {
      bodies.push_back(message.body);
    }
    EXPECT_EQ(bodies.size(), expected.size());
    for (size_t i = 0; i < expected.size() && i < bodies.size(); ++i) {
      EXPECT_EQ(describe(summarize(bodies[i])), describe(expected[i]))
          << "message " << i << ": " << bodies[i];
    }
    return bodies;
  }

  std::string original_row_metadata_;
  AmqpTestConsumer consumer_;
};

TEST_P(SchemaHistoryReplay, EveryMessageNamesItsColumnsAsTheyWereWhenWritten) {
  const std::string start = currentPosition();
  const std::string& db = database_;
  run(fmt::format("CREATE DATABASE {}", db));
  run(fmt::format(
      "CREATE TABLE {}.t (id INT PRIMARY KEY, a VARCHAR(20), b INT) DEFAULT CHARSET utf8mb4", db));
  run(fmt::format("INSERT INTO {}.t VALUES (1, 'a1', 10)", db));
  run(fmt::format("ALTER TABLE {}.t ADD COLUMN c VARCHAR(20) AFTER a", db));
  run(fmt::format("INSERT INTO {}.t VALUES (2, 'a2', 'c2', 20)", db));
  run(fmt::format("ALTER TABLE {}.t DROP COLUMN b", db));
  run(fmt::format("INSERT INTO {}.t VALUES (3, 'a3', 'c3')", db));
  // Renames, one of them written with quoting and comments the parser must see through.
  run(fmt::format("ALTER TABLE `{}`.`t` RENAME COLUMN `a` TO `a r`, /* why */ CHANGE COLUMN c "
                  "`c``q` VARCHAR(20)",
                  db));
  run(fmt::format("INSERT INTO {}.t VALUES (4, 'a4', 'c4')", db));
  // A swap of two columns of one type: a count and type check cannot see it, only the history.
  run(fmt::format("ALTER TABLE {}.t CHANGE `a r` tmp VARCHAR(20)", db));
  run(fmt::format("ALTER TABLE {}.t CHANGE `c``q` `a r` VARCHAR(20)", db));
  run(fmt::format("ALTER TABLE {}.t CHANGE tmp `c``q` VARCHAR(20)", db));
  run(fmt::format("INSERT INTO {}.t VALUES (5, 'now c', 'now a')", db));
  run(fmt::format("UPDATE {}.t SET `a r` = 'changed' WHERE id = 5", db));
  // The same swap in one statement, whose clauses name the columns as they were before it.
  run(fmt::format(
      "ALTER TABLE {}.t CHANGE `a r` `c``q` VARCHAR(20), CHANGE `c``q` `a r` VARCHAR(20)", db));
  run(fmt::format("INSERT INTO {}.t VALUES (7, 'a again', 'c again')", db));
  // No primary key: the first unique key over NOT NULL columns identifies rows (not `un`:
  // NULL-able).
  run(fmt::format(
      "CREATE TABLE {}.u (u INT NOT NULL, v VARCHAR(10), n INT NULL, UNIQUE KEY un (n), "
      "UNIQUE KEY uu (u))",
      db));
  // u has the database's default charset (the server's); the value must come out as written.
  run(fmt::format("INSERT INTO {}.u VALUES (7, 'v\xC3\xA9', NULL)", db));
  run(fmt::format("ALTER TABLE {}.u ADD COLUMN w INT FIRST", db));
  run(fmt::format("INSERT INTO {}.u VALUES (1, 8, 'v8', NULL)", db));
  run(fmt::format("DELETE FROM {}.u WHERE u = 7", db));
  // No key at all: empty keys and a warning.
  run(fmt::format("CREATE TABLE {}.nokey (x INT, y INT)", db));
  run(fmt::format("INSERT INTO {}.nokey VALUES (1, 2)", db));
  run(fmt::format("TRUNCATE TABLE {}.nokey", db));
  run(fmt::format("INSERT INTO {}.nokey VALUES (3, 4)", db));

  // Every ALTER happened before the monitor reads anything: today's information_schema would name
  // the early rows wrongly.
  startMonitorAt(start);
  const std::vector<std::string> bodies = expectMessages({
      {"row_insert", "t", R"({"id":1})", {"id", "a", "b"}},
      {"row_insert", "t", R"({"id":2})", {"id", "a", "c", "b"}},
      {"row_insert", "t", R"({"id":3})", {"id", "a", "c"}},
      {"row_insert", "t", R"({"id":4})", {"id", "a r", "c`q"}},
      {"row_insert", "t", R"({"id":5})", {"id", "c`q", "a r"}},
      {"row_update", "t", R"({"id":5})", {"a r"}},
      {"row_insert", "t", R"({"id":7})", {"id", "a r", "c`q"}},
      {"row_insert", "u", R"({"u":7})", {"u", "v", "n"}},
      {"row_insert", "u", R"({"u":8})", {"w", "u", "v", "n"}},
      {"row_delete", "u", R"({"u":7})", {}},
      {"row_insert", "nokey", "{}", {"x", "y"}},
      {"row_insert", "nokey", "{}", {"x", "y"}},
  });
  ASSERT_GT(bodies.size(), 7u);
  EXPECT_NE(bodies[7].find("\"v\":\"v\xC3\xA9\""), std::string::npos) << bodies[7];
  EXPECT_NE(monitor_.log().find("table " + db + ".nokey has no primary key"), std::string::npos)
      << monitor_.log();
  EXPECT_EQ(monitor_.log().find("re-reading"), std::string::npos) << "the history needed no repair";

  // A restart resumes with the history as of its checkpoint, and follows what came since.
  ASSERT_EQ(monitor_.stop(SIGTERM), 0);
  const std::string history = readTextFile(dir_ + "/state/schema_history");
  EXPECT_NE(history.find("column\tc`q\tvarchar"), std::string::npos) << history;
  run(fmt::format("ALTER TABLE {}.t DROP COLUMN `c``q`, ADD COLUMN d INT FIRST", db));
  run(fmt::format("INSERT INTO {}.t VALUES (6, 6, 'a6')", db));
  startMonitorAt(start);
  expectMessages({{"row_insert", "t", R"({"id":6})", {"d", "id", "a r"}}});
  ASSERT_EQ(monitor_.stop(SIGTERM), 0);

  // The fallback: a history that lost a column cannot apply the next DROP of it, and one whose
  // table disagrees with the binlog cannot name its rows; both re-read information_schema, warn,
  // and go on with its (here: exact) definition.
  std::string damaged = readTextFile(dir_ + "/state/schema_history");
  const auto line = damaged.find("column\ta r\t");
  ASSERT_NE(line, std::string::npos) << damaged;
  damaged.erase(line, damaged.find('\n', line) + 1 - line);
  const auto u_column = damaged.find("column\tv\t", damaged.find("\t" + db + "\tu\t"));
  ASSERT_NE(u_column, std::string::npos) << damaged;
  damaged.erase(u_column, damaged.find('\n', u_column) + 1 - u_column);
  ASSERT_TRUE(writeTextFile(dir_ + "/state/schema_history", damaged));
  run(fmt::format("ALTER TABLE {}.t DROP COLUMN `a r`", db));
  run(fmt::format("INSERT INTO {}.t VALUES (8, 8)", db));
  run(fmt::format("INSERT INTO {}.u VALUES (2, 9, 'v9', NULL)", db));
  startMonitorAt(start);
  expectMessages({{"row_insert", "t", R"({"id":8})", {"d", "id"}},
                  {"row_insert", "u", R"({"u":9})", {"w", "u", "v", "n"}}});
  const std::string log = monitor_.log();
  EXPECT_NE(log.find("cannot apply (DROP `a r`: no such column) " + db + ".t"), std::string::npos)
      << log;
  // With FULL metadata the binlog names u's columns, and its key too (the server promotes the
  // first unique NOT NULL key to primary): the history is not asked.
  if (GetParam() != "FULL") {
    EXPECT_NE(log.find("table " + db + ".u: the schema history does not match the binlog"),
              std::string::npos)
        << log;
  }
  EXPECT_EQ(monitor_.stop(SIGTERM), 0);
}

// A table altered after the start position but created before it: the captured (current) schema
// cannot name the older rows. Without names in the binlog the monitor re-reads, warns, and stops
// with an error naming the table instead of publishing wrong names; with FULL metadata the binlog
// names them itself.
TEST_P(SchemaHistoryReplay, RowsTheSchemaCannotNameAreRefusedNotGuessed) {
  const std::string& db = database_;
  run(fmt::format("CREATE DATABASE {}", db));
  run(fmt::format("CREATE TABLE {}.t (id INT PRIMARY KEY, a INT)", db));
  const std::string start = currentPosition();
  run(fmt::format("INSERT INTO {}.t VALUES (1, 1)", db));
  run(fmt::format("ALTER TABLE {}.t ADD COLUMN b INT", db));
  run(fmt::format("INSERT INTO {}.t VALUES (2, 2, 2)", db));
  startMonitorAt(start);
  if (GetParam() == "FULL") {
    expectMessages({{"row_insert", "t", R"({"id":1})", {"id", "a"}},
                    {"row_insert", "t", R"({"id":2})", {"id", "a", "b"}}});
    EXPECT_EQ(monitor_.stop(SIGTERM), 0);
    return;
  }
  std::optional<int> code;
  ASSERT_TRUE(waitFor([&] { return (code = monitor_.exited()).has_value(); }, 20s))
      << monitor_.log();
  EXPECT_EQ(*code, 1);
  const std::string log = monitor_.log();
  EXPECT_NE(log.find("table " + db + ".t: the schema history does not match the binlog"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("refusing to publish values under guessed names"), std::string::npos) << log;
  EXPECT_TRUE(consumer_.take(1, 1s).empty()) << "nothing was published";
}

INSTANTIATE_TEST_SUITE_P(RowMetadata, SchemaHistoryReplay,
                         ::testing::Values("MINIMAL", "FULL", "NO_LOG"));

}  // namespace
}  // namespace mm::test
