// The example consumers (examples/python/table_copy.py with pika, examples/cpp/table_copy.cpp with
// rabbitmq-c) against the real monitor and servers: after a workload of inserts, updates (one
// changing the key) and deletes, each one's copy table equals the source table, and its journal
// holds each change once. The Python one is first stopped right after applying a message and
// before acknowledging it: RabbitMQ delivers that message again, the copy stays right and the
// journal reports the duplicate by its message_id.
#include <signal.h>

#include <cstdlib>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/amqp_test_consumer.h"
#include "support/live_monitor_test.h"

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
    // Only the source table: the consumers' own writes (copies, journals) are not published.
    writeConfig({.mysql = fmt::format("tables = {}.source", database_)});
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

  MonitorProcess python_;
  MonitorProcess cpp_;
};

TEST_F(ExampleConsumers, CopiesEqualTheSourceTable) {
  if (std::system(fmt::format("{} -c 'import pika, pymysql' 2>/dev/null", kPython).c_str()) != 0) {
    GTEST_SKIP() << kPython << " lacks pika or pymysql: run scripts/install-deps.sh";
  }
  if (std::string(MM_CPP_TABLE_COPY).empty()) {
    GTEST_SKIP() << "the C++ example is not built: configure with -DMM_BUILD_EXAMPLES=ON";
  }
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

}  // namespace
}  // namespace mm::test
