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
#include "support/live_monitor_test.h"
#include "support/message_schema.h"
#include "support/monitor_process.h"
#include "support/sql_client.h"

namespace mm::test {
namespace {

using namespace std::chrono_literals;

// Each column: name, type, the SQL literal of row 1, and the value the message must carry (as
// RapidJSON writes it back: compact, doubles shortest).
struct TypeCase {
  std::string name;
  std::string type;
  std::string literal;
  std::string json;
};

std::string members(const char* prefix, int count) {
  std::string out;
  for (int i = 1; i <= count; ++i) {
    out += fmt::format("{}'{}{}'", i == 1 ? "" : ",", prefix, i);
  }
  return out;
}

std::vector<TypeCase> typeCases() {
  const std::string big_text(5000, 'x');
  const std::string fractions = "123456";
  std::vector<TypeCase> cases = {
      {"ti", "TINYINT", "-128", "-128"},
      {"tiu", "TINYINT UNSIGNED", "255", "255"},
      {"si", "SMALLINT", "-32768", "-32768"},
      {"siu", "SMALLINT UNSIGNED", "65535", "65535"},
      {"mi", "MEDIUMINT", "-8388608", "-8388608"},
      {"miu", "MEDIUMINT UNSIGNED", "16777215", "16777215"},
      {"i", "INT", "-2147483648", "-2147483648"},
      {"iu", "INT UNSIGNED", "4294967295", "4294967295"},
      {"bi", "BIGINT", "-9223372036854775808", "-9223372036854775808"},
      {"biu", "BIGINT UNSIGNED", "18446744073709551615", "18446744073709551615"},
      {"f", "FLOAT", "1.1", "1.1"},
      {"d", "DOUBLE", "-1.7976931348623157e308", "-1.7976931348623157e308"},
      {"dmax", "DECIMAL(65,30)", "-" + std::string(35, '9') + "." + std::string(30, '9'),
       "\"-" + std::string(35, '9') + "." + std::string(30, '9') + "\""},
      {"dsmall", "DECIMAL(5,2)", "0.5", "\"0.50\""},
      {"b1", "BIT(1)", "b'1'", "1"},
      {"b64", "BIT(64)", "b'" + std::string(64, '1') + "'", "18446744073709551615"},
      {"y", "YEAR", "2155", "2155"},
      {"da", "DATE", "'2024-02-29'", "\"2024-02-29\""},
      {"c", "CHAR(10)", "'h\xC3\xA9llo'", "\"h\xC3\xA9llo\""},
      {"vc", "VARCHAR(100)", "'emoji \xF0\x9F\x98\x80 \xE2\x9C\x93 \"q\" \\\\'",
       R"("emoji 😀 ✓ \"q\" \\")"},
      {"txt", "TEXT", "'" + big_text + "'", "\"" + big_text + "\""},
      {"vl1", "VARCHAR(20) CHARACTER SET latin1", "'caf\xC3\xA9 \xE2\x82\xAC'",
       "\"caf\xC3\xA9 \xE2\x82\xAC\""},
      {"vu16", "VARCHAR(20) CHARACTER SET utf16", "'A\xF0\x9F\x98\x80'", "\"A\xF0\x9F\x98\x80\""},
      {"bin", "BINARY(4)", "'a'", R"("YQAAAA==")"},
      {"vbin", "VARBINARY(10)", "x'00FF'", R"("AP8=")"},
      {"bl", "BLOB", "x'DEADBEEF'", R"("3q2+7w==")"},
      {"e", fmt::format("ENUM({})", members("m", 300)), "'m300'", R"("m300")"},
      {"s", fmt::format("SET({})", members("s", 64)), "'s1,s64'", R"(["s1","s64"])"},
      {"j", "JSON", "'{\"k\": [1, 2.5, \"\xC3\xA9\", null, true], \"big\": \"" + big_text + "\"}'",
       R"({"k":[1,2.5,"é",null,true],"big":")" + big_text + "\"}"},
      {"g", "GEOMETRY", "ST_GeomFromText('POINT(1 2)')", "\"POINT(1 2)\""},
      {"gs", "GEOMETRY", "ST_GeomFromText('LINESTRING(0 0,1.5 -2)', 4326)",
       "\"SRID=4326;LINESTRING(0 0,1.5 -2)\""},
      {"n", "INT", "NULL", "null"},
  };
  // Every fractional precision: DATETIME(p), TIMESTAMP(p) (UTC, the session zone is +00:00) and
  // negative TIME(p).
  for (int p = 0; p <= 6; ++p) {
    const std::string frac = p == 0 ? "" : "." + fractions.substr(0, p);
    cases.push_back({fmt::format("dt{}", p), fmt::format("DATETIME({})", p),
                     "'2024-02-29 23:59:59" + frac + "'", "\"2024-02-29T23:59:59" + frac + "\""});
    cases.push_back({fmt::format("ts{}", p), fmt::format("TIMESTAMP({}) NULL", p),
                     "'2038-01-19 03:14:07" + frac + "'", "\"2038-01-19T03:14:07" + frac + "Z\""});
    cases.push_back({fmt::format("t{}", p), fmt::format("TIME({})", p), "'-838:59:58" + frac + "'",
                     "\"-838:59:58" + frac + "\""});
  }
  cases.push_back({"tneg", "TIME(2)", "'-00:00:00.01'", R"("-00:00:00.01")"});  // go-mysql #677
  return cases;
}

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
