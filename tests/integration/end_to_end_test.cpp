// End to end against the real servers from scripts/services.sh: SQL changes on MariaDB arrive as
// the contract's JSON messages on a queue bound to the monitor's exchange, exactly once across
// clean stops and kills.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

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

// The message without the fields that differ from run to run, each checked here first: the two
// clock fields, "position" (the coordinate the message_id is made of) and "gtid" (MariaDB's
// domain-server-seq). The rest is re-serialised in the order the monitor wrote it.
std::string withoutRunFields(const std::string& body, const std::string& message_id) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  if (doc.HasParseError() || !doc.IsObject()) {
    return "unparseable: " + body;
  }
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  for (const char* field : {"timestamp", "binlog_timestamp"}) {
    if (!doc.HasMember(field) || !doc[field].IsInt64() ||
        std::llabs(doc[field].GetInt64() - now) > 120) {
      return fmt::format("bad {} in {}", field, body);
    }
    doc.RemoveMember(field);
  }
  if (!doc.HasMember("position") || !doc["position"].IsObject()) {
    return "no position in " + body;
  }
  const auto& position = doc["position"];
  if (!position.HasMember("file") || !position["file"].IsString() || !position.HasMember("pos") ||
      !position["pos"].IsUint64() || !position.HasMember("row") || !position["row"].IsUint64() ||
      fmt::format("{}:{}:{}", position["file"].GetString(), position["pos"].GetUint64(),
                  position["row"].GetUint64()) != message_id) {
    return fmt::format("position in {} does not make message_id {}", body, message_id);
  }
  doc.RemoveMember("position");
  if (!doc.HasMember("gtid") || !doc["gtid"].IsString() ||
      !std::regex_match(doc["gtid"].GetString(), std::regex(R"(\d+-\d+-\d+)"))) {
    return "no MariaDB gtid in " + body;
  }
  doc.RemoveMember("gtid");
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  doc.Accept(writer);
  return buffer.GetString();
}

class EndToEnd : public LiveMonitorTest {
 protected:
  void SetUp() override {
    LiveMonitorTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    run(fmt::format(
        "CREATE TABLE {}.employee (id INT PRIMARY KEY, fname VARCHAR(50), lname VARCHAR(50))",
        database_));
    Status consumer = consumer_.connect(env_.amqp_host, env_.amqp_port, env_.amqp_user,
                                        env_.amqp_password, exchange_);
    ASSERT_TRUE(consumer.isOk()) << consumer.toString();
    writeConfig("");
  }

  // The monitor's config for this test's schema and exchange; `monitor_extra` adds [monitor] keys.
  void writeConfig(const std::string& monitor_extra) {
    LiveMonitorTest::writeConfig({.mysql = "database = " + database_, .monitor = monitor_extra});
  }

  std::string statePath() const { return dir_ + "/state/position"; }

  std::string stateText() const {
    std::ifstream in(statePath());
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  // Starts the monitor and waits until it streams and has fixed its start position.
  void startMonitor() {
    LiveMonitorTest::startMonitor();
    ASSERT_TRUE(waitFor([&] { return std::filesystem::exists(statePath()); }, 20s))
        << "the monitor never saved its start position";
  }

  // Waits until the saved checkpoint moves past everything published so far and settles.
  void waitForCheckpointToSettle(const std::string& before) {
    ASSERT_TRUE(waitFor([&] { return stateText() != before; }, 10s)) << "checkpoint never advanced";
    std::this_thread::sleep_for(500ms);
  }

  std::vector<std::string> receive(size_t count, std::chrono::milliseconds timeout = 15s) {
    std::vector<std::string> bodies;
    for (auto& message : consumer_.take(count, timeout)) {
      EXPECT_EQ(message.content_type, "application/json");
      EXPECT_EQ(message.delivery_mode, 2) << "messages must be persistent";
      EXPECT_TRUE(std::regex_match(message.message_id, std::regex(R"(mysql-bin\.\d{6}:\d+:\d+)")))
          << message.message_id;
      EXPECT_TRUE(message.headers.empty())
          << "headers are sent only to a headers exchange unless asked for";
      bodies.push_back(withoutRunFields(message.body, message.message_id));
    }
    return bodies;
  }

  void expectNothingMore() {
    auto extra = consumer_.take(1, 2s);
    EXPECT_TRUE(extra.empty()) << "unexpected message: " << extra[0].body;
  }

  std::string expected(const std::string& type_and_table, const std::string& rest) const {
    return fmt::format(R"({{"type":"{}","database":"{}","table_name":"employee",{}}})",
                       type_and_table, database_, rest);
  }

  AmqpTestConsumer consumer_;
};

TEST_F(EndToEnd, InsertUpdateDeleteArriveAsTheContractMessages) {
  startMonitor();
  run(fmt::format("INSERT INTO {}.employee VALUES (2760, 'abc', 'def')", database_));
  run(fmt::format("UPDATE {}.employee SET fname = 'Ldurlqgfqvsdf' WHERE id = 2760", database_));
  run(fmt::format("DELETE FROM {}.employee WHERE id = 2760", database_));

  auto bodies = receive(3);
  ASSERT_EQ(bodies.size(), 3u);
  EXPECT_EQ(bodies[0],
            expected("row_insert",
                     R"("keys":{"id":2760},"values":{"id":2760,"fname":"abc","lname":"def"})"));
  EXPECT_EQ(
      bodies[1],
      expected(
          "row_update",
          R"("keys":{"id":2760},"before_values":{"fname":"abc"},"after_values":{"fname":"Ldurlqgfqvsdf"})"));
  EXPECT_EQ(bodies[2], expected("row_delete", R"("keys":{"id":2760})"));
  expectNothingMore();
  EXPECT_EQ(monitor_.stop(SIGTERM), 0) << "a SIGTERM stop must exit 0";
}

// MariaDB's log_bin_compress: QUERY and rows events longer than log_bin_compress_min_len are
// written zlib-compressed (binlog event types 165-171).
TEST_F(EndToEnd, MariadbCompressedEventsArriveAsTheSameMessages) {
  run("SET GLOBAL log_bin_compress = ON, GLOBAL log_bin_compress_min_len = 10");
  struct RestoreCompression {
    mysql::Connection& sql;
    ~RestoreCompression() {
      (void)sql.execute("SET GLOBAL log_bin_compress = OFF, GLOBAL log_bin_compress_min_len = 256");
    }
  } restore{sql_};
  startMonitor();
  const std::string long_name(40, 'x');
  // A new session picks up the global setting.
  mysql::Connection writer;
  ASSERT_TRUE(connectAdmin(env_, writer).isOk());
  ASSERT_TRUE(writer
                  .execute(fmt::format("INSERT INTO {}.employee VALUES (7, '{}', 'def')", database_,
                                       long_name))
                  .isOk());
  ASSERT_TRUE(
      writer.execute(fmt::format("UPDATE {}.employee SET fname = 'short' WHERE id = 7", database_))
          .isOk());
  ASSERT_TRUE(
      writer.execute(fmt::format("DELETE FROM {}.employee WHERE id = 7", database_)).isOk());
  auto bodies = receive(3);
  ASSERT_EQ(bodies.size(), 3u);
  EXPECT_EQ(
      bodies[0],
      expected("row_insert",
               fmt::format(R"("keys":{{"id":7}},"values":{{"id":7,"fname":"{}","lname":"def"}})",
                           long_name)));
  EXPECT_EQ(
      bodies[1],
      expected(
          "row_update",
          fmt::format(
              R"("keys":{{"id":7}},"before_values":{{"fname":"{}"}},"after_values":{{"fname":"short"}})",
              long_name)));
  EXPECT_EQ(bodies[2], expected("row_delete", R"("keys":{"id":7})"));
  expectNothingMore();
  // The binlog really holds compressed rows events (not a test of a setting that did nothing).
  auto status = sql_.query("SHOW MASTER STATUS");
  ASSERT_TRUE(status.isOk() && !status->empty());
  auto current = sql_.query(fmt::format("SHOW BINLOG EVENTS IN '{}'", *(*status)[0][0]));
  ASSERT_TRUE(current.isOk());
  bool compressed = false;
  for (const auto& row : *current) {
    compressed = compressed || (row[2] && row[2]->find("_compressed") != std::string::npos);
  }
  EXPECT_TRUE(compressed) << "no *_compressed event in the binlog";
  EXPECT_EQ(monitor_.stop(SIGTERM), 0);
}

TEST_F(EndToEnd, DelayBufferHoldsAndFoldsRepeatedChangesOfARow) {
  writeConfig("delay = 2\n");
  startMonitor();
  const auto first_change = std::chrono::steady_clock::now();
  run(fmt::format("INSERT INTO {}.employee VALUES (1, 'a', 'x')", database_));
  run(fmt::format("UPDATE {}.employee SET fname = 'b' WHERE id = 1", database_));
  run(fmt::format("UPDATE {}.employee SET fname = 'c' WHERE id = 1", database_));
  run(fmt::format("INSERT INTO {}.employee VALUES (2, 'gone', 'soon')", database_));
  run(fmt::format("DELETE FROM {}.employee WHERE id = 2", database_));
  auto bodies = receive(1);
  const auto held = std::chrono::steady_clock::now() - first_change;
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_EQ(bodies[0],
            expected("row_insert", R"("keys":{"id":1},"values":{"id":1,"fname":"c","lname":"x"})"));
  EXPECT_GE(held, 1500ms) << "messages must be held for the delay";
  expectNothingMore();
  EXPECT_EQ(monitor_.stop(SIGTERM), 0);
  EXPECT_NE(monitor_.log().find("3 changes coalesced"), std::string::npos) << monitor_.log();
}

TEST_F(EndToEnd, OtherSchemasAreNotPublished) {
  const std::string other = uniqueName("mmt_other");
  run(fmt::format("CREATE DATABASE {}", other));
  run(fmt::format("CREATE TABLE {}.t (id INT PRIMARY KEY)", other));
  startMonitor();
  run(fmt::format("INSERT INTO {}.t VALUES (1)", other));
  run(fmt::format("INSERT INTO {}.employee VALUES (1, 'only', 'this')", database_));
  auto bodies = receive(1);
  run(fmt::format("DROP DATABASE {}", other));
  ASSERT_EQ(bodies.size(), 1u);
  EXPECT_EQ(
      bodies[0],
      expected("row_insert", R"("keys":{"id":1},"values":{"id":1,"fname":"only","lname":"this"})"));
  expectNothingMore();
}

TEST_F(EndToEnd, ConfirmedChangesAreNeitherLostNorRepeatedAcrossStopsAndKills) {
  startMonitor();
  std::string state = stateText();
  run(fmt::format("INSERT INTO {}.employee VALUES (1, 'first', 'x')", database_));
  ASSERT_EQ(receive(1).size(), 1u);
  waitForCheckpointToSettle(state);

  // Clean stop: exit 0; a change made while it is down arrives once after the restart.
  ASSERT_EQ(monitor_.stop(SIGTERM), 0);
  run(fmt::format("INSERT INTO {}.employee VALUES (2, 'while', 'stopped')", database_));
  startMonitor();
  auto after_restart = receive(1);
  ASSERT_EQ(after_restart.size(), 1u);
  EXPECT_EQ(after_restart[0],
            expected("row_insert",
                     R"("keys":{"id":2},"values":{"id":2,"fname":"while","lname":"stopped"})"));
  expectNothingMore();

  // Kill -9 once the checkpoint has settled: nothing confirmed comes again, the next change once.
  state = stateText();
  run(fmt::format("UPDATE {}.employee SET lname = 'y' WHERE id = 1", database_));
  ASSERT_EQ(receive(1).size(), 1u);
  waitForCheckpointToSettle(state);
  ASSERT_EQ(monitor_.stop(SIGKILL), 128 + SIGKILL);
  run(fmt::format("DELETE FROM {}.employee WHERE id = 2", database_));
  startMonitor();
  auto after_kill = receive(1);
  ASSERT_EQ(after_kill.size(), 1u);
  EXPECT_EQ(after_kill[0], expected("row_delete", R"("keys":{"id":2})"));
  expectNothingMore();
  EXPECT_EQ(monitor_.stop(SIGTERM), 0);
}

}  // namespace
}  // namespace mm::test
