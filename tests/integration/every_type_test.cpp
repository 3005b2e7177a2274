// Every MariaDB column type through the running monitor, checked value by value against the
// message contract (README "Messages"), with binlog_row_metadata FULL (names, members from the
// binlog) and MINIMAL (names, members and MariaDB's JSON-ness from information_schema).
#include <signal.h>

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "support/amqp_test_consumer.h"
#include "support/every_type_cases.h"
#include "support/live_monitor_test.h"
#include "support/message_schema.h"
#include "support/monitor_process.h"
#include "support/sql_client.h"

namespace mm::test {
namespace {

using namespace std::chrono_literals;

std::string reserialize(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return buffer.GetString();
}

class EveryType : public LiveMonitorTest, public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    LiveMonitorTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    run(fmt::format("SET GLOBAL binlog_row_metadata = {}", GetParam()));
    // Zero dates need a non-strict sql_mode; TIMESTAMP literals are read in UTC.
    run("SET SESSION sql_mode = '', time_zone = '+00:00'");
    std::string columns = "id INT PRIMARY KEY";
    for (const TypeCase& c : typeCases()) {
      columns += fmt::format(", {} {}", c.name, c.type);
    }
    run(fmt::format("CREATE TABLE {}.every ({}) DEFAULT CHARSET utf8mb4", database_, columns));
    Status consumer = consumer_.connect(env_.amqp_host, env_.amqp_port, env_.amqp_user,
                                        env_.amqp_password, exchange_);
    ASSERT_TRUE(consumer.isOk()) << consumer.toString();
    writeConfig({.mysql = "database = " + database_});
    startMonitor();
  }

  void TearDown() override {
    if (sql_.connected()) {
      (void)sql_.execute("SET GLOBAL binlog_row_metadata = FULL");
    }
    LiveMonitorTest::TearDown();
  }

  // The next message, parsed; fails the test when none comes.
  rapidjson::Document next() {
    rapidjson::Document doc;
    auto messages = consumer_.take(1, 20s);
    if (messages.empty()) {
      ADD_FAILURE() << "no message";
      doc.SetObject();
      return doc;
    }
    doc.Parse(messages[0].body.c_str());
    EXPECT_FALSE(doc.HasParseError()) << messages[0].body.substr(0, 500);
    EXPECT_TRUE(isValidMessage(messages[0].body));
    return doc;
  }

  AmqpTestConsumer consumer_;
};

TEST_P(EveryType, EachValueMatchesTheContract) {
  const auto cases = typeCases();
  std::string names = "id";
  std::string literals = "1";
  for (const TypeCase& c : cases) {
    names += ", " + c.name;
    literals += ", " + c.literal;
  }
  run(fmt::format("INSERT INTO {}.every ({}) VALUES ({})", database_, names, literals));
  // Row 2: zero and partial-zero dates kept as text; every other column NULL.
  run(fmt::format(
      "INSERT INTO {}.every (id, da, dt0, dt6, ts0) VALUES "
      "(2, '0000-00-00', '2015-00-21 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00')",
      database_));
  run(fmt::format("UPDATE {}.every SET vc = 'after', j = JSON_SET(j, '$.k[0]', 7) WHERE id = 1",
                  database_));

  rapidjson::Document insert = next();
  ASSERT_TRUE(insert.IsObject() && insert.HasMember("values")) << reserialize(insert);
  EXPECT_EQ(std::string(insert["type"].GetString()), "row_insert");
  EXPECT_EQ(reserialize(insert["keys"]), R"({"id":1})");
  const rapidjson::Value& values = insert["values"];
  EXPECT_EQ(values.MemberCount(), cases.size() + 1);
  for (const TypeCase& c : cases) {
    ASSERT_TRUE(values.HasMember(c.name.c_str())) << c.name;
    const std::string got = reserialize(values[c.name.c_str()]);
    EXPECT_EQ(got.substr(0, 400), c.json.substr(0, 400)) << c.name << " " << c.type;
    EXPECT_EQ(got.size(), c.json.size()) << c.name;
  }

  rapidjson::Document zero = next();
  ASSERT_TRUE(zero.IsObject() && zero.HasMember("values")) << reserialize(zero);
  const rapidjson::Value& zv = zero["values"];
  EXPECT_EQ(reserialize(zv["da"]), R"("0000-00-00")");
  EXPECT_EQ(reserialize(zv["dt0"]), R"("2015-00-21T00:00:00")");
  EXPECT_EQ(reserialize(zv["dt6"]), R"("0000-00-00T00:00:00.000000")");
  EXPECT_EQ(reserialize(zv["ts0"]), R"("0000-00-00T00:00:00")");
  EXPECT_TRUE(zv["j"].IsNull());
  EXPECT_TRUE(zv["e"].IsNull());

  rapidjson::Document update = next();
  ASSERT_TRUE(update.IsObject() && update.HasMember("after_values")) << reserialize(update);
  EXPECT_EQ(std::string(update["type"].GetString()), "row_update");
  const auto vc =
      std::find_if(cases.begin(), cases.end(), [](const TypeCase& c) { return c.name == "vc"; });
  EXPECT_EQ(reserialize(update["before_values"]["vc"]), vc->json);
  EXPECT_EQ(reserialize(update["after_values"]["vc"]), R"("after")");
  const std::string after_j = reserialize(update["after_values"]["j"]);
  EXPECT_EQ(after_j.substr(0, 31), R"({"k":[7,2.5,"é",null,true],"bi)");
  EXPECT_EQ(update["after_values"].MemberCount(), 2u) << reserialize(update["after_values"]);
  EXPECT_EQ(monitor_.stop(SIGTERM), 0);
}

// The text of the JSON object that follows `"key":` in `body`, as the monitor wrote it.
std::string objectText(const std::string& body, const std::string& key) {
  const size_t begin = body.find("\"" + key + "\":{");
  if (begin == std::string::npos) {
    return "";
  }
  const size_t open = begin + key.size() + 3;
  int depth = 0;
  bool in_string = false;
  for (size_t i = open; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      return body.substr(open, i + 1 - open);
    }
  }
  return "";
}

// Issue 18: a row's row_snapshot values are its row_insert values, byte for byte (the snapshot
// reads the rows with SELECT and renders them with the code of a row_insert).
TEST_P(EveryType, SnapshotRowsCarryTheValuesOfTheirInserts) {
  const auto cases = typeCases();
  std::string names = "id";
  std::string literals = "1";
  for (const TypeCase& c : cases) {
    names += ", " + c.name;
    literals += ", " + c.literal;
  }
  run(fmt::format("INSERT INTO {}.every ({}) VALUES ({})", database_, names, literals));
  run(fmt::format(
      "INSERT INTO {}.every (id, da, dt0, dt6, ts0) VALUES "
      "(2, '0000-00-00', '2015-00-21 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00')",
      database_));
  const auto inserts = consumer_.take(2, 20s);
  ASSERT_EQ(inserts.size(), 2u);
  ASSERT_EQ(monitor_.stop(SIGTERM), 0);
  // A first start again (no state) with [snapshot] mode = initial: the table's rows come as
  // row_snapshot messages.
  std::filesystem::remove_all(dir_ + "/state");
  writeConfig({.mysql = "database = " + database_, .amqp = "[snapshot]\nmode = initial\n"});
  startMonitor();
  std::vector<std::string> rows;
  for (const auto& message : consumer_.take(4, 30s)) {
    EXPECT_TRUE(isValidMessage(message.body)) << message.body.substr(0, 300);
    if (message.body.find(R"("type":"row_snapshot")") != std::string::npos) {
      rows.push_back(message.body);
    }
  }
  ASSERT_EQ(rows.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const std::string expected = objectText(inserts[i].body, "values");
    ASSERT_FALSE(expected.empty()) << inserts[i].body.substr(0, 300);
    const std::string got = objectText(rows[i], "values");
    EXPECT_EQ(got.size(), expected.size()) << "row " << i + 1;
    for (size_t at = 0; at < std::min(got.size(), expected.size()); at += 300) {
      ASSERT_EQ(got.substr(at, 300), expected.substr(at, 300)) << "row " << i + 1 << " at " << at;
    }
    EXPECT_EQ(objectText(rows[i], "keys"), objectText(inserts[i].body, "keys"));
  }
  EXPECT_EQ(monitor_.stop(SIGTERM), 0);
}

INSTANTIATE_TEST_SUITE_P(RowMetadata, EveryType, ::testing::Values("FULL", "MINIMAL"));

}  // namespace
}  // namespace mm::test
