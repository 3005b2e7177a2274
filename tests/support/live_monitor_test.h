// LiveMonitorTest: the fixture of integration tests that run the real monitor against the servers
// of scripts/services.sh. Each test gets its own schema (database_), exchange (exchange_) and
// working directory (dir_, holding the config, the state and the logs), an admin SQL connection,
// and a cleanup that stops the monitor first (it may still write its state), drops the schema
// and removes the directory; the monitor's log is printed when the test failed.
//
// Derived fixtures call LiveMonitorTest::SetUp() first and return when IsSkipped() (no servers)
// or HasFatalFailure().
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "support/monitor_process.h"
#include "support/sql_client.h"

namespace mm::test {

// Runs `scripts/services.sh ARGS` (its output dropped; the test's MM_SERVICES_DIR and ports are in
// its environment): the exit code. For tests that kill and restart the services.
int runServices(const std::string& args);

class LiveMonitorTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // What a test's dir_/monitor.cfg says besides the test servers, exchange_ and dir_/state.
  struct ConfigLines {
    std::string mysql = "";      // the [mysql] line choosing what is published ("database = ...")
    std::string monitor = "";    // more [monitor] lines ("heartbeat_interval = 1\n")
    std::string amqp = "";       // more [amqp] lines ("confirm_window = 10\n")
    std::string amqp_host = "";  // "": the test broker's; "localhost" to match its certificate
    int amqp_port = 0;           // 0: the test broker's; else another's (a proxy in front of it)
    int mysql_port = 0;          // 0: the test server's; else another's (a proxy in front of it)
  };
  void writeConfig(const ConfigLines& lines);

  // Starts the monitor with dir_/monitor.cfg and waits until it streams the binlog (its log is
  // appended to across restarts, so this start's "streaming binlog" is waited for).
  void startMonitor();

  // Runs `mysql-monitor ARGS... --config dir_/monitor.cfg` to its end (at most `timeout`): the exit
  // code (nullopt when it did not end) and its output; `took` gets how long it ran.
  std::pair<std::optional<int>, std::string> runToEnd(const std::vector<std::string>& args,
                                                      std::chrono::milliseconds timeout,
                                                      std::chrono::milliseconds* took = nullptr);

  // Runs one SQL statement as the admin user; a failure fails the test.
  void run(const std::string& sql);

  // The monitor's [mysql] server_id (one per test process, so concurrent runs do not collide).
  static uint32_t serverId();

  // What TearDown prints besides the monitor's log when the test failed.
  virtual std::string moreLogs() { return ""; }

  ServerEnvironment env_;
  std::string database_;
  std::string exchange_;
  std::string dir_;
  mysql::Connection sql_;
  MonitorProcess monitor_;

 private:
  int runs_ = 0;  // numbers the logs of runToEnd()
};

}  // namespace mm::test
