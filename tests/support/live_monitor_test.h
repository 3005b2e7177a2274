// LiveMonitorTest: the fixture of integration tests that run the real monitor against the servers
// of scripts/services.sh. Each test gets its own schema (database_), exchange (exchange_) and
// working directory (dir_, holding the config, the state and the logs), an admin SQL connection,
// and a cleanup that stops the monitor first (it may still write its state), drops the schema
// and removes the directory; the monitor's log is printed when the test failed.
//
// Derived fixtures call LiveMonitorTest::SetUp() first and return when IsSkipped() (no servers)
// or HasFatalFailure().
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "support/monitor_process.h"
#include "support/sql_client.h"

namespace mm::test {

class LiveMonitorTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Writes dir_/monitor.cfg for the test servers and exchange_, with the state in dir_/state.
  // `mysql_filter` is the [mysql] line choosing what is published ("database = ..." or
  // "tables = ..."); `monitor_extra` adds [monitor] lines ("heartbeat_interval = 1\n").
  void writeConfig(const std::string& mysql_filter, const std::string& monitor_extra = "");

  // Starts the monitor with dir_/monitor.cfg and waits until it streams the binlog.
  void startMonitor();

  // Runs one SQL statement as the admin user; a failure fails the test.
  void run(const std::string& sql);

  // What TearDown prints besides the monitor's log when the test failed.
  virtual std::string moreLogs() { return ""; }

  ServerEnvironment env_;
  std::string database_;
  std::string exchange_;
  std::string dir_;
  mysql::Connection sql_;
  MonitorProcess monitor_;
};

}  // namespace mm::test
