// Every message the real monitor publishes for a workload against the real servers satisfies
// docs/message.schema.json: inserts, updates (key-changing too) and deletes of a table with a
// primary key and one without, column types of every family with NULLs, multi-row transactions,
// and the heartbeat of an idle stream. The gap message is validated in source_faults_test.cpp and
// every column type's value in every_type_test.cpp.
#include <signal.h>

#include <map>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "support/amqp_test_consumer.h"
#include "support/live_monitor_test.h"
#include "support/message_schema.h"

namespace mm::test {
namespace {

using namespace std::chrono_literals;

class MessageSchemaLive : public LiveMonitorTest {
 protected:
  void SetUp() override {
    LiveMonitorTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    run(fmt::format(
        "CREATE TABLE {}.typed (id INT PRIMARY KEY, ti TINYINT, biu BIGINT UNSIGNED, f FLOAT, d "
        "DOUBLE, "
        "dec1 DECIMAL(10,3), b BIT(9), y YEAR, da DATE, dt DATETIME(3), ts TIMESTAMP(6) NULL, t "
        "TIME(1), "
        "c CHAR(3), vc VARCHAR(20), txt TEXT, bin VARBINARY(8), bl BLOB, e ENUM('x','y'), "
        "s SET('p','q','r'), j JSON, g GEOMETRY) DEFAULT CHARSET utf8mb4",
        database_));
    run(fmt::format("CREATE TABLE {}.keyless (a INT, b VARCHAR(10))", database_));
    Status consumer = consumer_.connect(env_.amqp_host, env_.amqp_port, env_.amqp_user,
                                        env_.amqp_password, exchange_);
    ASSERT_TRUE(consumer.isOk()) << consumer.toString();
    writeConfig({.mysql = "database = " + database_, .monitor = "heartbeat_interval = 1\n"});
    startMonitor();
  }

  AmqpTestConsumer consumer_;
};

TEST_F(MessageSchemaLive, EveryPublishedMessageValidates) {
  const std::string typed = database_ + ".typed";
  const std::string keyless = database_ + ".keyless";
  run("SET SESSION time_zone = '+00:00'");
  run("BEGIN");
  run(fmt::format(
      "INSERT INTO {} VALUES (1, -5, 18446744073709551615, 1.5, -2.25e-300, '-12.345', "
      "b'101010101', 2024, "
      "'2024-02-29', '2024-02-29 23:59:59.123', '2038-01-19 03:14:07.999999', '-838:59:58.9', "
      "'abc', "
      "'h\xC3\xA9', REPEAT('t', 300), x'00FF', x'DEADBEEF', 'y', 'p,r', '{{\"k\": [1, null, "
      "true]}}', "
      "ST_GeomFromText('POINT(1 2)', 4326)), "
      "(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
      "NULL, NULL, "
      "NULL, NULL, NULL, NULL), (3, 1, 2, 3, 4, '5', b'1', 1999, '1999-12-31', '1999-12-31 "
      "23:59:59', NULL, "
      "'00:00:01', 'z', '', '', '', '', 'x', '', '[]', ST_GeomFromText('LINESTRING(0 0,1 1)'))",
      typed));
  run("COMMIT");
  run(fmt::format(
      "UPDATE {} SET vc = 'changed', j = JSON_SET(j, '$.k[0]', 7), e = 'x' WHERE id = 1", typed));
  run(fmt::format("UPDATE {} SET id = 20 WHERE id = 2", typed));  // the key itself changes
  run(fmt::format("DELETE FROM {} WHERE id IN (3, 20)", typed));
  run(fmt::format("INSERT INTO {} VALUES (1, 'one'), (2, NULL)", keyless));
  run(fmt::format("UPDATE {} SET b = 'uno' WHERE a = 1", keyless));
  run(fmt::format("DELETE FROM {} WHERE a = 2", keyless));
  constexpr size_t kRowMessages = 3 + 1 + 1 + 2 + 2 + 1 + 1;

  std::map<std::string, size_t> per_type;
  size_t rows = 0;
  bool keyless_delete_has_values = false;
  // The rows, then a heartbeat once the stream is idle for heartbeat_interval (one may also come
  // between statements on a slow machine).
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while ((rows < kRowMessages || per_type["heartbeat"] == 0) &&
         std::chrono::steady_clock::now() < deadline) {
    auto next = consumer_.next(1s);
    ASSERT_TRUE(next.isOk()) << next.status().toString();
    if (!next->has_value()) {
      continue;
    }
    const ReceivedMessage& message = **next;
    EXPECT_TRUE(isValidMessage(message.body));
    rapidjson::Document doc;
    doc.Parse(message.body.c_str());
    ASSERT_TRUE(doc.IsObject() && doc.HasMember("type") && doc["type"].IsString()) << message.body;
    const std::string type = doc["type"].GetString();
    ++per_type[type];
    if (type != "heartbeat") {
      ++rows;
      // MariaDB always logs GTIDs, so both optional fields are there.
      EXPECT_TRUE(doc.HasMember("position") && doc.HasMember("gtid")) << message.body;
    }
    if (type == "row_delete" && std::string(doc["table_name"].GetString()) == "keyless") {
      keyless_delete_has_values = doc.HasMember("values");
    }
  }
  EXPECT_EQ(per_type["row_insert"], 5u);
  EXPECT_EQ(per_type["row_update"], 3u);
  EXPECT_EQ(per_type["row_delete"], 3u);
  EXPECT_GE(per_type["heartbeat"], 1u) << "no heartbeat after a second of silence";
  EXPECT_EQ(rows, kRowMessages);
  EXPECT_TRUE(keyless_delete_has_values) << "a keyless table's delete carries the row";
  EXPECT_EQ(monitor_.stop(SIGTERM), 0);
}

}  // namespace
}  // namespace mm::test
