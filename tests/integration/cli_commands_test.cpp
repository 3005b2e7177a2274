// The operator commands against the real servers from scripts/services.sh: `tail` prints the
// messages of a change as they arrive and stops with exit 0 on SIGTERM; `status` reads the state
// file and the server (position, bytes behind, retention) and exits 1 when the saved binlog is
// gone.
#include <signal.h>

#include <regex>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "checkpoint/state_file.h"
#include "support/http_client.h"
#include "support/live_monitor_test.h"
#include "support/monitor_process.h"
#include "support/sql_client.h"

namespace mm::test {
namespace {

using namespace std::chrono_literals;

class CliCommands : public LiveMonitorTest {
 protected:
  void SetUp() override {
    LiveMonitorTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    run(fmt::format("CREATE TABLE {}.item (id INT PRIMARY KEY, name VARCHAR(40))", database_));
    // The password comes from a file, as an operator's secret would, so this configuration is the
    // test's own.
    ASSERT_TRUE(writeTextFile(dir_ + "/mysql-password", env_.mysql_password + "\n"));
    ASSERT_TRUE(writeTextFile(
        configPath(), fmt::format("[monitor]\nstate_path = {0}/state\n"
                                  "[mysql]\nhost = {1}\nport = {2}\nuser = {3}\npassword_file = "
                                  "{0}/mysql-password\ndatabase = {4}\n"
                                  "server_id = {5}\n"
                                  "[amqp]\nhost = {6}\nport = {7}\nuser = {8}\npassword = "
                                  "{9}\nexchange = {10}\nexchange_type = topic\n"
                                  "routing_key = {{database}}.{{table}}.{{type}}\n",
                                  dir_, env_.mysql_host, env_.mysql_port, env_.mysql_user,
                                  database_, 6000 + getpid() % 10000, env_.amqp_host,
                                  env_.amqp_port, env_.amqp_user, env_.amqp_password, exchange_)));
  }

  void TearDown() override {
    tail_.stop(SIGKILL, 5s);
    LiveMonitorTest::TearDown();
  }

  std::string moreLogs() override { return "--- tail output ---\n" + tail_.log() + "\n"; }

  std::string configPath() const { return dir_ + "/monitor.cfg"; }
  std::string statePath() const { return dir_ + "/state/position"; }

  // Runs `mysql-monitor status` to completion: its exit code and output.
  std::pair<std::optional<int>, std::string> status() { return command({"status"}); }

  // `mysql-monitor ARGS... --config` to its end; with `listen_` set, the monitor's and the
  // command's [metrics] listen (MonitorProcess turns it off by default).
  std::pair<std::optional<int>, std::string> command(std::vector<std::string> args) {
    MonitorProcess process;
    if (!listen_.empty()) {
      process.environment()["MYSQL_MONITOR_METRICS_LISTEN"] = listen_;
    }
    const std::string log = dir_ + "/command-" + std::to_string(++status_runs_) + ".log";
    args.insert(args.begin(), MM_MONITOR_BINARY);
    args.insert(args.end(), {"--config", configPath()});
    EXPECT_TRUE(process.startCommand(args, log));
    std::optional<int> exit_code;
    waitFor([&] { return (exit_code = process.exited()).has_value(); }, 20s);
    return {exit_code, process.log()};
  }

  std::string listen_;
  MonitorProcess tail_;
  int status_runs_ = 0;
};

TEST_F(CliCommands, TailShowsTheMessagesOfAChangeAndStopsOnSigterm) {
  ASSERT_TRUE(tail_.startCommand({MM_MONITOR_BINARY, "tail", "--config", configPath()},
                                 dir_ + "/tail.log"));
  ASSERT_TRUE(
      waitFor([&] { return tail_.log().find("watching exchange") != std::string::npos; }, 15s))
      << "tail never bound its queue";
  EXPECT_NE(tail_.log().find("with binding key '#'"), std::string::npos)
      << "topic exchange: bind with '#'";
  startMonitor();
  run(fmt::format("INSERT INTO {}.item VALUES (7, 'seven')", database_));
  run(fmt::format("UPDATE {}.item SET name = 'SEVEN' WHERE id = 7", database_));
  ASSERT_TRUE(waitFor([&] { return tail_.log().find("\"SEVEN\"") != std::string::npos; }, 15s))
      << "tail never printed the update";
  const std::string output = tail_.log();
  const std::regex insert_header(fmt::format(
      R"(--- routing_key={}\.item\.row_insert message_id=mysql-bin\.\d{{6}}:\d+:0 published=\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n\{{\n  "type": "row_insert",\n  "database": "{}",\n  "table_name": "item",)",
      database_, database_));
  EXPECT_TRUE(std::regex_search(output, insert_header)) << output;
  EXPECT_NE(output.find("  \"values\": {\n    \"id\": 7,\n    \"name\": \"seven\"\n  }"),
            std::string::npos)
      << output;
  EXPECT_NE(output.find(fmt::format("routing_key={}.item.row_update", database_)),
            std::string::npos)
      << output;
  EXPECT_EQ(tail_.stop(SIGTERM, 10s), std::optional<int>(0)) << "tail stops on SIGTERM with exit 0";
}

TEST_F(CliCommands, StatusShowsTheSavedPositionAndHowFarBehind) {
  startMonitor();
  const auto saved = [&] { return checkpoint::StateFile(statePath()).load(); };
  const auto start = saved();
  ASSERT_TRUE(start.isOk()) << start.status().toString();
  run(fmt::format("INSERT INTO {}.item VALUES (1, 'one')", database_));
  // The checkpoint passes the insert once the broker confirmed it; then stop cleanly.
  ASSERT_TRUE(waitFor(
      [&] {
        auto now = saved();
        return now.isOk() && !(*now == *start);
      },
      15s))
      << "the checkpoint never advanced";
  ASSERT_EQ(monitor_.stop(SIGTERM, 20s), std::optional<int>(0));

  auto [up_to_date_exit, up_to_date] = status();
  EXPECT_EQ(up_to_date_exit, std::optional<int>(0)) << up_to_date;
  EXPECT_TRUE(
      std::regex_search(up_to_date, std::regex(R"(saved position:\s+mysql-bin\.\d{6}:\d+)")))
      << up_to_date;
  EXPECT_TRUE(
      std::regex_search(up_to_date, std::regex(R"(server position:\s+mysql-bin\.\d{6}:\d+)")))
      << up_to_date;
  EXPECT_NE(up_to_date.find("0 bytes: up to date"), std::string::npos) << up_to_date;
  EXPECT_NE(up_to_date.find("retention:"), std::string::npos) << up_to_date;
  EXPECT_NE(up_to_date.find("is still on the server"), std::string::npos) << up_to_date;

  // Changes while the monitor is stopped: status counts the bytes it has yet to read.
  run(fmt::format("INSERT INTO {}.item VALUES (2, 'two'), (3, 'three')", database_));
  auto [behind_exit, behind] = status();
  EXPECT_EQ(behind_exit, std::optional<int>(0)) << behind;
  EXPECT_TRUE(
      std::regex_search(behind, std::regex(R"(behind:\s+[1-9]\d* bytes.* in 1 binlog file\n)")))
      << behind;

  // A saved binlog the server no longer has: the operator must act, so exit 1.
  checkpoint::StateFile state(statePath());
  ASSERT_TRUE(state.save(checkpoint::Checkpoint{"mysql-bin.000000", 4, 0}).isOk());
  auto [gone_exit, gone] = status();
  EXPECT_EQ(gone_exit, std::optional<int>(1)) << gone;
  EXPECT_NE(gone.find("the saved binlog mysql-bin.000000 is GONE from the server"),
            std::string::npos)
      << gone;

  // A position saved from another server means nothing here: exit 1 as well.
  state.setSource(checkpoint::SourceIdentity{"", 4242424});
  ASSERT_TRUE(state.save(checkpoint::Checkpoint{"mysql-bin.000001", 4, 0}).isOk());
  auto [other_exit, other] = status();
  EXPECT_EQ(other_exit, std::optional<int>(1)) << other;
  EXPECT_NE(other.find("server_id 4242424: ANOTHER SERVER"), std::string::npos) << other;

  // The same after a source failover, resuming by GTID set: the monitor continues on this server
  // (app/run.cpp), so status says so and succeeds, without counting a backlog in its binlogs.
  checkpoint::Checkpoint by_gtid{"mysql-bin.000001", 4, 0};
  by_gtid.gtid_set = "0-4242424-7";
  ASSERT_TRUE(state.save(by_gtid).isOk());
  auto [followed_exit, followed] = command({"status", "--set", "mysql.resume_by=gtid"});
  EXPECT_EQ(followed_exit, std::optional<int>(0)) << followed;
  EXPECT_NE(followed.find("server_id 4242424: another server (a source failover); the monitor "
                          "continues here by the saved GTID set"),
            std::string::npos)
      << followed;
  EXPECT_NE(followed.find("not counted: the saved position is the other server's binlog"),
            std::string::npos)
      << followed;
}

// Issue 18: `snapshot` asks the running monitor over its [metrics] listen address; `status` shows
// the running snapshot, or the progress a stopped monitor saved.
TEST_F(CliCommands, SnapshotAsksTheRunningMonitorAndStatusShowsProgress) {
  const int port = freeLocalPort();
  ASSERT_GT(port, 0);
  listen_ = fmt::format("127.0.0.1:{}", port);
  monitor_.environment()["MYSQL_MONITOR_METRICS_LISTEN"] = listen_;
  run(fmt::format("INSERT INTO {}.item VALUES (1, 'one'), (2, 'two')", database_));
  auto [unreachable_exit, unreachable] = command({"snapshot"});
  EXPECT_EQ(unreachable_exit, std::optional<int>(1)) << unreachable;
  EXPECT_NE(unreachable.find("is the monitor running?"), std::string::npos) << unreachable;

  startMonitor();
  // The worker takes requests once the pipeline runs: 503 (exit 1) until then.
  std::pair<std::optional<int>, std::string> accepted;
  ASSERT_TRUE(waitFor(
      [&] {
        accepted = command({"snapshot", database_ + ".item"});
        return accepted.first == std::optional<int>(0);
      },
      10s))
      << accepted.second;
  EXPECT_TRUE(std::regex_search(accepted.second,
                                std::regex(R"(snapshot \d{8}T\d{6}Z-[0-9a-f]{4} accepted)")))
      << accepted.second;
  // The two rows make a short snapshot: it ends, then nothing is left to cancel.
  ASSERT_TRUE(waitFor(
      [&] {
        const std::string body = httpGet(port, "/snapshot").body;
        return body.find("\"running\":false,\"id\":\"2") != std::string::npos;
      },
      10s))
      << httpGet(port, "/snapshot").body;
  const std::string json = httpGet(port, "/snapshot").body;
  EXPECT_NE(json.find("\"rows_total\":2"), std::string::npos) << json;
  auto [other_exit, other] = command({"snapshot", "mysql.user"});
  EXPECT_EQ(other_exit, std::optional<int>(1)) << other;
  EXPECT_NE(other.find("mysql.user is not published"), std::string::npos) << other;
  auto [cancel_exit, cancel] = command({"snapshot", "--cancel"});
  EXPECT_EQ(cancel_exit, std::optional<int>(1)) << cancel;
  EXPECT_NE(cancel.find("no snapshot is running"), std::string::npos) << cancel;
  auto [running_exit, running] = status();
  EXPECT_EQ(running_exit, std::optional<int>(0)) << running;
  EXPECT_TRUE(std::regex_search(running, std::regex(R"(snapshot:\s+\S+ finished, 2 rows)")))
      << running;
  ASSERT_EQ(monitor_.stop(SIGTERM, 20s), std::optional<int>(0));

  // A stopped monitor: status prints the progress its state file holds.
  checkpoint::StateFile state(statePath());
  auto saved = state.loadWithSource();
  ASSERT_TRUE(saved.isOk()) << saved.status().toString();
  state.setSource(saved->source);
  checkpoint::Checkpoint with_snapshot = saved->checkpoint;
  with_snapshot.snapshot = std::make_shared<checkpoint::SnapshotProgress>(
      checkpoint::SnapshotProgress{"20261205T011500Z-3f9a", {{database_, "item"}}, "", 1, true});
  ASSERT_TRUE(state.save(with_snapshot).isOk());
  auto [stopped_exit, stopped] = status();
  EXPECT_EQ(stopped_exit, std::optional<int>(0)) << stopped;
  EXPECT_NE(stopped.find(fmt::format("snapshot:        20261205T011500Z-3f9a saved, continues at "
                                     "the next start: table {}.item (1 table left), 1 rows "
                                     "confirmed",
                                     database_)),
            std::string::npos)
      << stopped;
}

}  // namespace
}  // namespace mm::test
