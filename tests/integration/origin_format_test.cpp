// [message] format = origin against what the Python monitor really published: changes.sql of
// ../shared/fixtures/origin replayed on MariaDB (utf8mb4, UTC session), every message compared
// with messages.jsonl (bodies as JSON values, key order ignored, timestamps normalised; the AMQP
// properties), except where the origin published a wrong value: those fields are checked against
// the server's own values in the origin's format (issue 20). The monitor runs with the fixture's
// own config.cfg, its servers and state directory replaced through the environment.
#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "binlog/position.h"

#include "support/amqp_test_consumer.h"
#include "support/live_monitor_test.h"
#include "support/message_schema.h"
#include "support/monitor_process.h"
#include "support/sql_client.h"

namespace mm::test {
namespace {

using namespace std::chrono_literals;

const std::string kFixtures = MM_ORIGIN_FIXTURES_DIR;

std::vector<std::string> fileLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) {
      lines.push_back(line);
    }
  }
  return lines;
}

std::string serialized(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return buffer.GetString();
}

// Python's str(timedelta(seconds=s)): written here again, not taken from the monitor.
std::string timedeltaText(int64_t seconds) {
  int64_t days = seconds / 86400;
  int64_t rest = seconds % 86400;
  if (rest < 0) {
    rest += 86400;
    --days;
  }
  const std::string clock = fmt::format("{}:{:02d}:{:02d}", rest / 3600, rest / 60 % 60, rest % 60);
  if (days == 0) {
    return clock;
  }
  return fmt::format("{} day{}, {}", days, std::abs(days) == 1 ? "" : "s", clock);
}

// A field where the origin published a wrong value, and the query whose answer is the right one.
struct ServerValue {
  int sql_index;
  const char* section;
  const char* column;
  enum class Kind { TimeSeconds, Datetime6, ZeroIsNull, Number } kind;
  std::string query;  // "{db}" is the test's schema
};

std::vector<ServerValue> wrongValuesOfTheOrigin() {
  using K = ServerValue::Kind;
  const auto time = [](const char* literal) {
    return fmt::format("SELECT TIME_TO_SEC(CAST('{}' AS TIME))", literal);
  };
  const auto timestamp3 = [](const char* literal) {
    return fmt::format("SELECT DATE_FORMAT(CAST('{}' AS DATETIME(6)), '%Y-%m-%dT%H:%i:%s.%f')",
                       literal);
  };
  return {
      {13, "values", "c_time_neg", K::TimeSeconds, time("-12:34:56")},
      {13, "values", "c_timestamp3", K::Datetime6, timestamp3("2024-02-29 13:45:10.123")},
      {14, "values", "c_time_neg", K::TimeSeconds, time("-838:59:59")},
      {14, "values", "c_timestamp3", K::Datetime6, timestamp3("2038-01-19 03:14:07.999")},
      {15, "values", "c_time_neg", K::TimeSeconds, time("-00:00:01")},
      {15, "values", "c_time_big", K::TimeSeconds, time("-838:59:59")},
      {15, "values", "c_timestamp3", K::Datetime6, timestamp3("1970-01-01 00:00:01.001")},
      {17, "values", "c_time_big", K::TimeSeconds, time("-24:00:01")},
      {17, "values", "c_timestamp3", K::Datetime6, timestamp3("2024-01-01 00:00:00.5")},
      {17, "values", "c_timestamp", K::ZeroIsNull,
       "SELECT c_timestamp + 0 FROM {db}.alltypes WHERE id = 5"},
      {17, "values", "c_year", K::Number, "SELECT c_year + 0 FROM {db}.alltypes WHERE id = 5"},
      {18, "before_values", "c_time_neg", K::TimeSeconds, time("-12:34:56")},
  };
}

struct Golden {
  int sql_index = 0;
  std::string message_id;
  rapidjson::Document body;
};

class OriginFormat : public LiveMonitorTest {
 protected:
  void SetUp() override {
    LiveMonitorTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    if (fileLines(kFixtures + "/messages.jsonl").empty()) {
      GTEST_SKIP() << "origin fixtures not found under " << kFixtures;
    }
    Status consumer = consumer_.connect(env_.amqp_host, env_.amqp_port, env_.amqp_user,
                                        env_.amqp_password, exchange_);
    ASSERT_TRUE(consumer.isOk()) << consumer.toString();
    // changes.sql creates the schema itself.
    run(fmt::format("DROP DATABASE {}", database_));
    run("SET SESSION time_zone = '+00:00', sql_mode = 'STRICT_TRANS_TABLES,"
        "ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION'");
  }

  // The fixture's config.cfg with the test's servers, schema, exchange and state directory.
  void useFixtureConfig() {
    auto& e = monitor_.environment();
    e["MYSQL_MONITOR_MYSQL_HOST"] = env_.mysql_host;
    e["MYSQL_MONITOR_MYSQL_PORT"] = std::to_string(env_.mysql_port);
    e["MYSQL_MONITOR_MYSQL_USER"] = env_.mysql_user;
    e["MYSQL_MONITOR_MYSQL_PASSWORD"] = env_.mysql_password;
    e["MYSQL_MONITOR_MYSQL_DATABASE"] = database_;
    e["MYSQL_MONITOR_MYSQL_SERVER_ID"] = std::to_string(serverId());
    e["MYSQL_MONITOR_AMQP_HOST"] = env_.amqp_host;
    e["MYSQL_MONITOR_AMQP_PORT"] = std::to_string(env_.amqp_port);
    e["MYSQL_MONITOR_AMQP_USER"] = env_.amqp_user;
    e["MYSQL_MONITOR_AMQP_PASSWORD"] = env_.amqp_password;
    e["MYSQL_MONITOR_AMQP_EXCHANGE"] = exchange_;
    e["MYSQL_MONITOR_MONITOR_STATE_PATH"] = dir_ + "/data";
    e["MYSQL_MONITOR_MESSAGE_FORMAT"] = "origin";
  }

  // Runs lines [first, last] of changes.sql (1-based) on the test's schema.
  void replay(size_t first, size_t last) {
    const std::vector<std::string> lines = fileLines(kFixtures + "/changes.sql");
    ASSERT_GE(lines.size(), last);
    for (size_t i = first; i <= last; ++i) {
      std::string sql = lines[i - 1];
      if (!sql.empty() && sql.back() == ';') {
        sql.pop_back();
      }
      for (size_t at = 0; (at = sql.find("ogold_db", at)) != std::string::npos;) {
        sql.replace(at, 8, database_);
        at += database_.size();
      }
      run(sql);
    }
  }

  std::vector<Golden> golden() {
    std::vector<Golden> out;
    for (const std::string& line : fileLines(kFixtures + "/messages.jsonl")) {
      rapidjson::Document record;
      record.Parse(line.c_str());
      Golden g;
      g.sql_index = record["sql_index"].GetInt();
      g.message_id = record["properties"]["message_id"].GetString();
      g.body.Parse(record["body"].GetString());
      out.push_back(std::move(g));
    }
    return out;
  }

  // `expected` with each wrong value of the origin replaced by the server's own.
  void putServerValues(int sql_index, rapidjson::Document& expected) {
    auto& a = expected.GetAllocator();
    for (const ServerValue& v : wrongValuesOfTheOrigin()) {
      if (v.sql_index != sql_index) {
        continue;
      }
      std::string query = v.query;
      if (const size_t at = query.find("{db}"); at != std::string::npos) {
        query.replace(at, 4, database_);
      }
      auto rows = sql_.query(query);
      ASSERT_TRUE(rows.isOk() && rows->size() == 1 && (*rows)[0][0]) << query;
      const std::string answer = *(*rows)[0][0];
      rapidjson::Value value;
      switch (v.kind) {
        case ServerValue::Kind::TimeSeconds:
          value.SetString(timedeltaText(std::stoll(answer)).c_str(), a);
          break;
        case ServerValue::Kind::Datetime6: value.SetString(answer.c_str(), a); break;
        case ServerValue::Kind::ZeroIsNull: ASSERT_EQ(answer, "0") << query; break;
        case ServerValue::Kind::Number: value.SetInt64(std::stoll(answer)); break;
      }
      rapidjson::Value& field = expected[v.section][v.column];
      EXPECT_NE(serialized(field), serialized(value)) << "the origin was right about " << v.column;
      field = value;
    }
  }

  AmqpTestConsumer consumer_;
};

// "FILE:POS:ROW" split at its last two colons.
struct MessageId {
  std::string file;
  uint64_t pos = 0;
  uint64_t row = 0;
};
MessageId splitId(const std::string& id) {
  const size_t row = id.rfind(':');
  const size_t pos = id.rfind(':', row - 1);
  return {id.substr(0, pos), std::stoull(id.substr(pos + 1, row - pos - 1)),
          std::stoull(id.substr(row + 1))};
}

void expectOriginProperties(const ReceivedMessage& m) {
  EXPECT_TRUE(isValidMessage(m.body)) << "docs/message.schema.json: " << m.body;
  EXPECT_EQ(m.content_type, "application/json");
  EXPECT_EQ(m.delivery_mode, 2);
  EXPECT_EQ(m.routing_key, "monitor");
  EXPECT_FALSE(m.timestamp.has_value()) << m.message_id;
  EXPECT_FALSE(m.app_id.has_value());
  EXPECT_FALSE(m.type.has_value());
  EXPECT_FALSE(m.has_headers);
}

// Checks the run-dependent timestamps of `body` and sets them to 0.
void normaliseTimestamps(rapidjson::Document& body, int64_t started) {
  ASSERT_TRUE(body.IsObject() && body["timestamp"].IsInt64() && body["binlog_timestamp"].IsInt64());
  const int64_t binlog = body["binlog_timestamp"].GetInt64();
  EXPECT_GE(binlog, started - 1);
  EXPECT_GE(body["timestamp"].GetInt64(), binlog);
  EXPECT_LE(body["timestamp"].GetInt64(), binlog + 30);
  body["timestamp"].SetInt64(0);
  body["binlog_timestamp"].SetInt64(0);
}

TEST_F(OriginFormat, ChangesGiveTheMessagesThePythonMonitorPublished) {
  useFixtureConfig();
  ASSERT_TRUE(monitor_.startStreaming(kFixtures + "/config.cfg", dir_ + "/monitor.log"))
      << monitor_.log();
  const auto started = static_cast<int64_t>(std::time(nullptr));
  replay(1, 36);
  std::vector<Golden> expected = golden();
  ASSERT_EQ(expected.size(), 27u);
  // Lines 34-36 stalled the origin for good: here they are published, natively rendered.
  const std::vector<ReceivedMessage> got = consumer_.take(expected.size() + 3, 30s);
  ASSERT_EQ(got.size(), expected.size() + 3);
  std::map<int, uint64_t> position_of;  // sql_index -> the position its messages share
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(fmt::format("changes.sql line {}: {}", expected[i].sql_index, got[i].body));
    expectOriginProperties(got[i]);
    const MessageId id = splitId(got[i].message_id);
    EXPECT_EQ(id.row, splitId(expected[i].message_id).row);
    auto [at, fresh] = position_of.emplace(expected[i].sql_index, id.pos);
    EXPECT_EQ(at->second, id.pos) << "rows of one statement share its rows event's position";
    EXPECT_TRUE(fresh || id.row > 1);
    rapidjson::Document body;
    body.Parse(got[i].body.c_str());
    ASSERT_FALSE(body.HasParseError());
    normaliseTimestamps(body, started);
    normaliseTimestamps(expected[i].body, expected[i].body["binlog_timestamp"].GetInt64());
    putServerValues(expected[i].sql_index, expected[i].body);
    // Object equality in rapidjson ignores member order, as the contract does.
    EXPECT_TRUE(body == expected[i].body) << "expected " << serialized(expected[i].body);
  }
  const char* native[] = {R"({"id":1,"amount":"1234.50"})", R"({"id":1,"tags":["a","c"]})",
                          R"({"id":1,"raw":"/wD+"})"};
  for (size_t i = 0; i < 3; ++i) {
    const ReceivedMessage& m = got[expected.size() + i];
    expectOriginProperties(m);
    rapidjson::Document body;
    body.Parse(m.body.c_str());
    ASSERT_TRUE(body.IsObject() && body.HasMember("values")) << m.body;
    EXPECT_EQ(serialized(body["values"]), native[i]) << m.body;
    EXPECT_EQ(serialized(body["keys"]), R"({"id":1})");
    EXPECT_EQ(splitId(m.message_id).row, 1u);
  }
}

// The cut-over (issue 20, item 3): the origin stopped after publishing the first row of a
// transaction and saved that position in its state.json; the first start of mysql-monitor on the
// same data/ continues there, at the start of that transaction, and nothing after it is missing.
// Issue 20, "Done when": the fixture's config.cfg passes `check` (its differences from the origin's
// meaning as warnings, not failures) against the test's servers.
TEST_F(OriginFormat, TheFixturesConfigPassesCheck) {
  useFixtureConfig();
  MonitorProcess check;
  check.environment() = monitor_.environment();
  ASSERT_TRUE(check.startCommand(
      {MM_MONITOR_BINARY, "check", "--config", kFixtures + "/config.cfg"}, dir_ + "/check.log"));
  std::optional<int> code;
  ASSERT_TRUE(waitFor([&] { return (code = check.exited()).has_value(); }, 30s)) << check.log();
  EXPECT_EQ(code, 0) << check.log();
  EXPECT_NE(check.log().find("ok    broker: connected; exchange"), std::string::npos)
      << check.log();
  EXPECT_EQ(check.log().find("fail "), std::string::npos) << check.log();
}

// The origin's heartbeat, published by our publisher in origin mode: {"timestamp": N, "type":
// "heartbeat"} and nothing else, id "hb-<time>", the row messages' three properties.
TEST_F(OriginFormat, HeartbeatsAreThePythonMonitorsHeartbeats) {
  useFixtureConfig();
  monitor_.environment()["MYSQL_MONITOR_MONITOR_HEARTBEAT_INTERVAL"] = "1";
  const auto started = static_cast<int64_t>(std::time(nullptr));
  ASSERT_TRUE(monitor_.startStreaming(kFixtures + "/config.cfg", dir_ + "/monitor.log"))
      << monitor_.log();
  const std::vector<ReceivedMessage> got = consumer_.take(1, 10s);
  ASSERT_EQ(got.size(), 1u) << "no heartbeat within 10 s of an idle second";
  const ReceivedMessage& heartbeat = got[0];
  expectOriginProperties(heartbeat);
  EXPECT_EQ(heartbeat.message_id.rfind("hb-", 0), 0u) << heartbeat.message_id;
  rapidjson::Document body;
  body.Parse(heartbeat.body.c_str());
  ASSERT_TRUE(body.IsObject()) << heartbeat.body;
  EXPECT_EQ(body.MemberCount(), 2u) << heartbeat.body;
  ASSERT_TRUE(body.HasMember("type") && body["type"].IsString()) << heartbeat.body;
  EXPECT_EQ(std::string(body["type"].GetString()), "heartbeat");
  ASSERT_TRUE(body.HasMember("timestamp") && body["timestamp"].IsInt64()) << heartbeat.body;
  EXPECT_GE(body["timestamp"].GetInt64(), started);
  EXPECT_LE(body["timestamp"].GetInt64(), started + 15);
}

class OriginCutOver : public LiveMonitorTest {
 protected:
  void SetUp() override {
    LiveMonitorTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    run(fmt::format("CREATE TABLE {}.t (id INT PRIMARY KEY, n INT)", database_));
    Status consumer = consumer_.connect(env_.amqp_host, env_.amqp_port, env_.amqp_user,
                                        env_.amqp_password, exchange_);
    ASSERT_TRUE(consumer.isOk()) << consumer.toString();
    // The origin's layout: config.cfg beside data/state.json, state_path naming the file.
    ASSERT_TRUE(writeTextFile(
        dir_ + "/monitor.cfg",
        fmt::format("[monitor]\nlog_level = info\nstate_path = {}/data/state.json\n"
                    "[mysql]\nhost = {}\nport = {}\nuser = {}\npassword = {}\ndatabase = {}\n"
                    "server_id = {}\n[amqp]\nhost = {}\nport = {}\nuser = {}\npassword = {}\n"
                    "exchange = {}\n[message]\nformat = origin\n",
                    dir_, env_.mysql_host, env_.mysql_port, env_.mysql_user, env_.mysql_password,
                    database_, serverId(), env_.amqp_host, env_.amqp_port, env_.amqp_user,
                    env_.amqp_password, exchange_)));
  }

  // The server's current binlog position.
  binlog::Position serverPosition() {
    auto rows = sql_.query("SHOW MASTER STATUS");
    EXPECT_TRUE(rows.isOk() && !rows->empty());
    return rows.isOk() && !rows->empty()
               ? binlog::Position{*(*rows)[0][0], std::stoull(*(*rows)[0][1])}
               : binlog::Position{};
  }

  // The end of the first rows event after `from`: where the origin saved its position.
  uint64_t firstRowsEventEnd(const binlog::Position& from) {
    auto rows = sql_.query(
        fmt::format("SHOW BINLOG EVENTS IN '{}' FROM {} LIMIT 50", from.file, from.offset));
    EXPECT_TRUE(rows.isOk()) << rows.status().toString();
    for (const mysql::Row& row : rows.isOk() ? *rows : std::vector<mysql::Row>{}) {
      if (row[2] && row[2]->rfind("Write_rows", 0) == 0) {
        return std::stoull(*row[4]);
      }
    }
    ADD_FAILURE() << "no rows event after " << from.file << ":" << from.offset;
    return 0;
  }

  AmqpTestConsumer consumer_;
};

TEST_F(OriginCutOver, ContinuesInsideTheOriginsTransactionWithNothingMissing) {
  const binlog::Position before = serverPosition();
  run("START TRANSACTION");
  run(fmt::format("INSERT INTO {}.t VALUES (1, 10)", database_));
  run(fmt::format("INSERT INTO {}.t VALUES (2, 20)", database_));
  run(fmt::format("UPDATE {}.t SET n = 11 WHERE id = 1", database_));
  run("COMMIT");
  run(fmt::format("INSERT INTO {}.t VALUES (3, 30)", database_));
  // The origin published the first insert and saved the end of its rows event, as it does.
  const uint64_t saved = firstRowsEventEnd(before);
  ASSERT_TRUE(writeTextFile(
      dir_ + "/data/state.json",
      fmt::format(R"({{"binlog_file": "{}", "binlog_position": {}}})", before.file, saved)));

  auto [code, status] = runToEnd({"status"}, 20s);
  EXPECT_EQ(code, 0) << status;
  EXPECT_NE(status.find(fmt::format("{}/data/state.json: {}:{}", dir_, before.file, saved)),
            std::string::npos)
      << status;
  EXPECT_NE(status.find("resumes at"), std::string::npos) << status;

  startMonitor();
  EXPECT_NE(monitor_.log().find("continuing after the Python monitor's position"),
            std::string::npos);
  run(fmt::format("DELETE FROM {}.t WHERE id = 2", database_));
  // The transaction from its start (its first insert again: a duplicate the origin had sent),
  // then everything after it, the change made after the start included.
  struct Expected {
    const char* type;
    const char* keys;
  };
  const std::vector<Expected> expected = {{"row_insert", R"({"id":1})"},
                                          {"row_insert", R"({"id":2})"},
                                          {"row_update", R"({"id":1})"},
                                          {"row_insert", R"({"id":3})"},
                                          {"row_delete", R"({"id":2})"}};
  const std::vector<ReceivedMessage> got = consumer_.take(expected.size(), 20s);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    expectOriginProperties(got[i]);
    rapidjson::Document body;
    body.Parse(got[i].body.c_str());
    ASSERT_TRUE(body.IsObject() && body.HasMember("keys")) << got[i].body;
    EXPECT_EQ(std::string(body["type"].GetString()), expected[i].type) << got[i].body;
    EXPECT_EQ(serialized(body["keys"]), expected[i].keys) << got[i].body;
  }
  rapidjson::Document update;
  update.Parse(got[2].body.c_str());
  ASSERT_TRUE(update.IsObject() && update.HasMember("after_values")) << got[2].body;
  EXPECT_EQ(serialized(update["after_values"]), R"({"n":11})");
  EXPECT_EQ(splitId(got[0].message_id).pos, saved);  // the origin's own message id, again
  auto state = readTextFile(dir_ + "/data/state.json");
  EXPECT_NE(state.find(std::to_string(saved)), std::string::npos) << "the origin's file is kept";
}

}  // namespace
}  // namespace mm::test
