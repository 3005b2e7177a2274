// Metrics and health over HTTP from the real monitor against the real servers: the counters move
// with the changes made, /healthz answers, /readyz is 200 while streaming and 503 (saying why)
// while the broker cannot be reached; 1,000 idle connections and a slowloris neither delay a probe
// nor slow replication down.
#include <signal.h>
#include <sys/resource.h>

#include <regex>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/amqp_test_consumer.h"
#include "support/http_client.h"
#include "support/live_monitor_test.h"
#include "support/monitor_process.h"
#include "support/sql_client.h"

namespace mm::test {
namespace {

using namespace std::chrono_literals;

// The value of the sample `name` (labels included, e.g. "queue_items{queue=\"source\"}") in an
// exposition, or nullopt when absent.
std::optional<double> metric(const std::string& exposition, const std::string& name) {
  const std::string prefix = "\nmysql_monitor_" + name + " ";
  const size_t at = exposition.find(prefix);
  if (at == std::string::npos) {
    return std::nullopt;
  }
  const size_t start = at + prefix.size();
  const std::string value = exposition.substr(start, exposition.find('\n', start) - start);
  return value == "+Inf" ? std::numeric_limits<double>::infinity() : std::stod(value);
}

class Metrics : public LiveMonitorTest {
 protected:
  void SetUp() override {
    LiveMonitorTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    run(fmt::format("CREATE TABLE {}.item (id INT PRIMARY KEY, name VARCHAR(50))", database_));
    Status consumer = consumer_.connect(env_.amqp_host, env_.amqp_port, env_.amqp_user,
                                        env_.amqp_password, exchange_);
    ASSERT_TRUE(consumer.isOk()) << consumer.toString();
    metrics_port_ = freeLocalPort();
    ASSERT_GT(metrics_port_, 0);
    monitor_.environment()["MYSQL_MONITOR_METRICS_LISTEN"] =
        fmt::format("127.0.0.1:{}", metrics_port_);
  }

  void TearDown() override {
    LiveMonitorTest::TearDown();
    (void)consumer_.deleteQueue();
  }

  std::string moreLogs() override {
    return "--- last /metrics ---\n" + httpGet(metrics_port_, "/metrics").body + "\n";
  }

  // Heartbeat messages off, so every message counted is a row change of this test.
  void writeConfig(int amqp_port) {
    LiveMonitorTest::writeConfig({.mysql = "database = " + database_,
                                  .monitor = "heartbeat_interval = 0\n",
                                  .amqp_port = amqp_port});
  }

  std::string configPath() const { return dir_ + "/monitor.cfg"; }

  bool metricIs(const std::string& name, double expected) {
    return metric(httpGet(metrics_port_, "/metrics").body, name) == expected;
  }

  AmqpTestConsumer consumer_;
  int metrics_port_ = 0;
};

TEST_F(Metrics, CountersMoveWithTheChangesAndReadinessFollowsTheBroker) {
  writeConfig(env_.amqp_port);
  ASSERT_TRUE(monitor_.start(configPath(), dir_ + "/monitor.log"));
  ASSERT_TRUE(waitFor([&] { return httpGet(metrics_port_, "/healthz").status == 200; }, 20s));
  EXPECT_EQ(httpGet(metrics_port_, "/healthz").body, "ok\n");
  HttpReply ready;
  ASSERT_TRUE(
      waitFor([&] { return (ready = httpGet(metrics_port_, "/readyz")).status == 200; }, 20s))
      << ready.status << " " << ready.body;
  EXPECT_EQ(ready.body.rfind("ready: streaming at ", 0), 0u) << ready.body;
  const std::string before = httpGet(metrics_port_, "/metrics").body;
  EXPECT_EQ(metric(before, "rows_read_total"), 0);
  EXPECT_EQ(metric(before, "messages_published_total"), 0);
  EXPECT_EQ(metric(before, "source_connected"), 1);
  EXPECT_EQ(metric(before, "broker_connected"), 1);

  // 5 inserts, 2 updates, 1 delete: 8 row changes in 3 transactions.
  run(fmt::format("INSERT INTO {}.item VALUES (1,'a'),(2,'b'),(3,'c'),(4,'d'),(5,'e')", database_));
  run(fmt::format("UPDATE {}.item SET name = 'z' WHERE id <= 2", database_));
  run(fmt::format("DELETE FROM {}.item WHERE id = 5", database_));
  EXPECT_EQ(consumer_.take(8, 15s).size(), 8u);
  EXPECT_TRUE(waitFor([&] { return metricIs("messages_confirmed_total", 8); }, 10s));
  const std::string after = httpGet(metrics_port_, "/metrics").body;
  EXPECT_EQ(metric(after, "rows_read_total"), 8);
  EXPECT_EQ(metric(after, "messages_published_total"), 8);
  EXPECT_EQ(metric(after, "messages_confirmed_total"), 8);
  EXPECT_EQ(metric(after, "messages_nacked_total"), 0);
  EXPECT_EQ(metric(after, "messages_unconfirmed"), 0);
  EXPECT_GT(metric(after, "bytes_read_total").value_or(0),
            metric(before, "bytes_read_total").value_or(0));
  EXPECT_EQ(metric(after, "queue_items{queue=\"source\"}"), 0);
  const auto lag = metric(after, "replication_lag_seconds");
  ASSERT_TRUE(lag.has_value()) << after;
  EXPECT_LT(*lag, 60);
  // The checkpoint, the server's position and the runway, with the file as a label.
  EXPECT_TRUE(std::regex_search(
      after, std::regex(R"(\nmysql_monitor_checkpoint_position\{file="[^"]+"\} [0-9]+\n)")))
      << after;
  EXPECT_TRUE(std::regex_search(
      after, std::regex(R"(\nmysql_monitor_server_binlog_position\{file="[^"]+"\} [0-9]+\n)")))
      << after;
  EXPECT_TRUE(metric(after, "binlog_expire_seconds").has_value()) << after;
  EXPECT_TRUE(metric(after, "retention_runway_seconds").has_value()) << after;
  const auto created = metric(after, "checkpoint_file_created_timestamp_seconds");
  ASSERT_TRUE(created.has_value()) << after;
  EXPECT_LE(*created, static_cast<double>(std::time(nullptr)));
  EXPECT_EQ(httpGet(metrics_port_, "/readyz").status, 200);
  EXPECT_EQ(httpGet(metrics_port_, "/nope").status, 404);

  // The same monitor state against a broker port nobody listens on.
  ASSERT_TRUE(monitor_.stop(SIGKILL, 5s).has_value());
  writeConfig(freeLocalPort());
  ASSERT_TRUE(monitor_.start(configPath(), dir_ + "/monitor.log"));
  ASSERT_TRUE(waitFor([&] { return httpGet(metrics_port_, "/healthz").status == 200; }, 20s));
  ASSERT_TRUE(waitFor([&] { return metricIs("source_connected", 1); }, 20s));
  HttpReply not_ready = httpGet(metrics_port_, "/readyz");
  EXPECT_EQ(not_ready.status, 503);
  EXPECT_EQ(not_ready.body, "not ready: the broker is not connected\n");
  EXPECT_TRUE(waitFor(
      [&] {
        return metric(httpGet(metrics_port_, "/metrics").body, "broker_reconnects_total") >= 1;
      },
      10s));
  EXPECT_TRUE(metricIs("broker_connected", 0));
  EXPECT_EQ(httpGet(metrics_port_, "/healthz").status, 200);
}

// Issue 16 item 9 against the real monitor: with 1,000 idle connections held open and a
// reconnecting slowloris on the metrics port, /healthz answers within 1 s every time, and row
// changes reach the queue as fast as without them (the endpoints have their own threads).
TEST_F(Metrics, IdleConnectionsAndASlowlorisDelayNeitherProbesNorReplication) {
  constexpr size_t kIdle = 1000;
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = std::max<rlim_t>(files.rlim_cur, std::min<rlim_t>(files.rlim_max, 4096));
  setrlimit(RLIMIT_NOFILE, &files);
  if (files.rlim_cur < kIdle + 512) {
    GTEST_SKIP() << "the open-file limit cannot be raised to " << kIdle + 512 << " (ulimit -Hn)";
  }
  writeConfig(env_.amqp_port);
  ASSERT_TRUE(monitor_.start(configPath(), dir_ + "/monitor.log"));
  ASSERT_TRUE(waitFor([&] { return httpGet(metrics_port_, "/readyz").status == 200; }, 20s));
  int next_id = 1;
  // 1,000 rows in 20 statements 100 ms apart; returns how long the last row took from its commit
  // to the queue.
  auto replicate = [&] {
    for (int statement = 0; statement < 20; ++statement) {
      std::this_thread::sleep_for(100ms);
      std::string values;
      for (int row = 0; row < 50; ++row, ++next_id) {
        values += fmt::format("{}({},'r')", values.empty() ? "" : ",", next_id);
      }
      run(fmt::format("INSERT INTO {}.item VALUES {}", database_, values));
    }
    const auto committed = std::chrono::steady_clock::now();
    size_t arrived = 0;
    while (arrived < 1000) {
      const size_t got = consumer_.take(1000 - arrived, 20s).size();
      if (got == 0) {
        break;
      }
      arrived += got;
    }
    EXPECT_EQ(arrived, 1000u);
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - committed)
        .count();
  };
  const double quiet_lag_ms = replicate();

  HostileHttpClients hostile(metrics_port_, kIdle);
  ASSERT_EQ(hostile.refusedAtStart(), 0u);
  std::vector<double> probe_ms;
  std::jthread prober([&](std::stop_token stop) {
    while (!stop.stop_requested()) {
      const auto started = std::chrono::steady_clock::now();
      const HttpReply reply = httpGet(metrics_port_, "/healthz");
      probe_ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
              .count());
      EXPECT_EQ(reply.status, 200) << "probe " << probe_ms.size();
      std::this_thread::sleep_for(150ms);
    }
  });
  std::this_thread::sleep_for(
      1s);  // the monitor drops idle clients after 2 s: waves come during the run
  const double hostile_lag_ms = replicate();
  prober.request_stop();
  prober.join();
  ASSERT_FALSE(probe_ms.empty());
  const double worst_probe_ms = *std::max_element(probe_ms.begin(), probe_ms.end());
  std::cout << fmt::format(
      "[ figures  ] 1,000 row changes over 2 s, last commit to queue: {:.0f} ms quiet, "
      "{:.0f} ms with {} idle connections ({} reconnected after drops) and a slowloris; "
      "/healthz max {:.1f} ms over {} probes\n",
      quiet_lag_ms, hostile_lag_ms, kIdle, hostile.reconnects(), worst_probe_ms, probe_ms.size());
  EXPECT_LT(worst_probe_ms, 1000);
  EXPECT_LT(hostile_lag_ms, quiet_lag_ms + 500) << "replication slowed down by the HTTP clients";
  EXPECT_GT(hostile.reconnects(), 0)
      << "the monitor never dropped an idle client: no drop wave was probed";
  EXPECT_EQ(httpGet(metrics_port_, "/readyz").status, 200);
}

}  // namespace
}  // namespace mm::test
