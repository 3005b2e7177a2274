// Faults on the source side, against the real servers from scripts/services.sh: a restarted server,
// a killed replication connection, a cut network, purged binlogs (both on_position_lost policies),
// statement-format writes, a duplicate server_id, a state file from another server, and `check`
// against a server logging in STATEMENT format. After each fault the consumer must see every change
// exactly once, in order: the tests compare the whole list of messages received.
//
// Some tests restart MariaDB, purge its binlogs or change its global settings (and restore them):
// run them against a service instance of your own (see scripts/services.sh, MM_SERVICES_DIR).
#include <signal.h>
#include <stdio.h>

#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "mysql/binlog_stream.h"
#include "support/amqp_test_consumer.h"
#include "support/live_monitor_test.h"
#include "support/message_schema.h"
#include "support/monitor_process.h"
#include "support/sql_client.h"
#include "support/tcp_proxy.h"

namespace mm::test {
namespace {

using namespace std::chrono_literals;

// "row_insert 3" for a row message of table `employee`, the whole body for anything else: enough
// to see a gap, a duplicate or a reordering at a glance.
std::string summary(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("type")) {
    return "unparseable: " + body;
  }
  const std::string type = doc["type"].GetString();
  if (type.rfind("row_", 0) == 0 && doc.HasMember("keys") && doc["keys"].HasMember("id")) {
    return fmt::format("{} {}", type, doc["keys"]["id"].GetInt64());
  }
  return body;
}

std::vector<std::string> inserts(int first, int last) {
  std::vector<std::string> out;
  for (int id = first; id <= last; ++id) {
    out.push_back(fmt::format("row_insert {}", id));
  }
  return out;
}

// Runs `mysql-monitor ARGS`, returning its exit status and output.
std::pair<int, std::string> runMonitorCommand(const std::string& args) {
  FILE* pipe = popen(fmt::format("{} {} 2>&1", MM_MONITOR_BINARY, args).c_str(), "r");
  std::string output;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) {
    output.append(buffer, n);
  }
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

class SourceFaults : public LiveMonitorTest {
 protected:
  void SetUp() override {
    LiveMonitorTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    run(fmt::format("CREATE TABLE {}.employee (id INT PRIMARY KEY, name VARCHAR(50))", database_));
    Status consumer = consumer_.connect(env_.amqp_host, env_.amqp_port, env_.amqp_user,
                                        env_.amqp_password, exchange_);
    ASSERT_TRUE(consumer.isOk()) << consumer.toString();
    writeConfig("");
  }

  // The monitor's configuration; `extra_mysql` adds [mysql] lines; `port` overrides the server's.
  void writeConfig(const std::string& extra_mysql, int port = 0) {
    LiveMonitorTest::writeConfig(
        {.mysql = fmt::format("database = {}\nheartbeat_period = 1\n{}", database_, extra_mysql),
         .monitor = "heartbeat_interval = 0\n",
         .mysql_port = port});
  }

  std::string configPath() const { return dir_ + "/monitor.cfg"; }
  std::string statePath() const { return dir_ + "/state/position"; }

  void insertRows(int first, int last) {
    for (int id = first; id <= last; ++id) {
      run(fmt::format("INSERT INTO {}.employee VALUES ({}, 'n{}')", database_, id, id));
    }
  }

  // Every message arriving until `count` came or `timeout` passed, then any extra within 2 s.
  std::vector<std::string> receive(size_t count, std::chrono::milliseconds timeout = 30s) {
    std::vector<std::string> out;
    for (auto& message : consumer_.take(count, timeout)) {
      out.push_back(summary(message.body));
    }
    for (auto& message : consumer_.take(1, 2s)) {
      out.push_back(summary(message.body));
    }
    return out;
  }

  // The monitor's exit status once it ends by itself; nullopt if it still runs after 30 s.
  std::optional<int> exitCode() {
    std::optional<int> code;
    waitFor([&] { return (code = monitor_.exited()).has_value(); }, 30s);
    return code;
  }

  // The server's GTID position now (MariaDB's @@gtid_binlog_pos).
  std::string gtidPosition() {
    auto rows = sql_.query("SELECT @@global.gtid_binlog_pos");
    EXPECT_TRUE(rows.isOk() && !rows->empty() && (*rows)[0][0]);
    return rows.isOk() && !rows->empty() && (*rows)[0][0] ? *(*rows)[0][0] : std::string();
  }

  // The server's "FILE:POS" now.
  std::string currentPosition() {
    auto rows = sql_.query("SHOW MASTER STATUS");
    EXPECT_TRUE(rows.isOk() && !rows->empty());
    return fmt::format("{}:{}", *(*rows)[0][0], *(*rows)[0][1]);
  }

  // Stops the monitor cleanly once the checkpoint has caught up with everything it published.
  void stopAfterCheckpoint() {
    const std::string target = currentPosition();
    const auto colon = target.rfind(':');
    ASSERT_TRUE(waitFor(
        [&] {
          const std::string state = readTextFile(statePath());
          return state.find("file=" + target.substr(0, colon)) != std::string::npos &&
                 state.find("position=" + target.substr(colon + 1) + "\n") != std::string::npos;
        },
        10s))
        << "checkpoint never reached " << target << ": " << readTextFile(statePath());
    ASSERT_EQ(monitor_.stop(SIGTERM), 0);
  }

  // Leaves the monitor's saved position in a binlog file the server no longer has; returns it.
  // Requires: the monitor stopped.
  std::string purgeSavedPosition() {
    // The server keeps a file a replication thread reads; the stopped monitor's thread ends when
    // the server next writes to it (a heartbeat).
    EXPECT_TRUE(waitFor(
        [&] {
          auto dumps = sql_.query(
              "SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'");
          return dumps.isOk() && dumps->empty();
        },
        10s))
        << "the stopped monitor's replication connection lingers";
    const std::string state = readTextFile(statePath());
    run("FLUSH BINARY LOGS");
    const std::string newest = currentPosition();
    const std::string newest_file = newest.substr(0, newest.rfind(':'));
    // PURGE skips, with only a warning, a file the server still counts as being read.
    EXPECT_TRUE(waitFor(
        [&] {
          auto logs = sql_.query("SHOW BINARY LOGS");
          if (logs.isOk() && !logs->empty() && *(*logs)[0][0] == newest_file) {
            return true;
          }
          (void)sql_.execute(fmt::format("PURGE BINARY LOGS TO '{}'", newest_file));
          return false;
        },
        10s))
        << "the server kept binlogs older than " << newest_file;
    const auto file = state.find("file="), position = state.find("position=");
    return state.substr(file + 5, state.find('\n', file) - file - 5) + ":" +
           state.substr(position + 9, state.find('\n', position) - position - 9);
  }

  AmqpTestConsumer consumer_;
};

TEST_F(SourceFaults, ServerRestartMidStreamLosesAndRepeatsNothing) {
  startMonitor();
  insertRows(1, 3);
  ASSERT_EQ(receive(3), inserts(1, 3));

  run("SHUTDOWN");
  sql_.close();
  ASSERT_EQ(std::system(fmt::format("{} start >/dev/null 2>&1", MM_SERVICES_SCRIPT).c_str()), 0)
      << "could not start MariaDB again";
  ASSERT_TRUE(connectAdmin(env_, sql_).isOk());
  insertRows(4, 6);

  EXPECT_EQ(receive(3), inserts(4, 6));
  EXPECT_NE(monitor_.log().find("reconnecting"), std::string::npos);
  EXPECT_EQ(monitor_.stop(SIGTERM), 0);
}

class SourceFaultsByResumeMode : public SourceFaults,
                                 public ::testing::WithParamInterface<std::string> {};

INSTANTIATE_TEST_SUITE_P(ResumeBy, SourceFaultsByResumeMode, ::testing::Values("position", "gtid"));

TEST_P(SourceFaultsByResumeMode, KilledReplicationConnectionResumesExactly) {
  writeConfig("resume_by = " + GetParam());
  startMonitor();
  insertRows(1, 3);
  ASSERT_EQ(receive(3), inserts(1, 3));

  auto dumps =
      sql_.query("SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'");
  ASSERT_TRUE(dumps.isOk());
  ASSERT_FALSE(dumps->empty()) << "no replication connection to kill";
  for (const auto& row : *dumps) {
    run(fmt::format("KILL CONNECTION {}", *row[0]));
  }
  // One transaction of three rows events, then single rows: all must come once.
  run("BEGIN");
  insertRows(4, 6);
  run("COMMIT");
  insertRows(7, 8);

  EXPECT_EQ(receive(5), inserts(4, 8));
  EXPECT_NE(monitor_.log().find("reconnecting"), std::string::npos);
  if (GetParam() == "gtid") {
    EXPECT_NE(monitor_.log().find("streaming binlog from GTID set"), std::string::npos)
        << monitor_.log();
  }
  EXPECT_EQ(monitor_.stop(SIGTERM), 0);
}

TEST_F(SourceFaults, NetworkCutThroughProxyResumesExactly) {
  TcpProxy proxy;
  ASSERT_TRUE(proxy.start(env_.mysql_host, env_.mysql_port).isOk());
  writeConfig("", proxy.port());
  startMonitor();
  insertRows(1, 3);
  ASSERT_EQ(receive(3), inserts(1, 3));
  const int connections_before_cut = proxy.accepted();

  proxy.dropConnections();
  insertRows(4, 6);

  EXPECT_EQ(receive(3), inserts(4, 6));
  EXPECT_GT(proxy.accepted(), connections_before_cut) << "the monitor never reconnected";
  EXPECT_EQ(monitor_.stop(SIGTERM), 0);
}

TEST_F(SourceFaults, PurgedPositionFailsNamingItAndTheOldestBinlog) {
  startMonitor();
  insertRows(1, 1);
  ASSERT_EQ(receive(1), inserts(1, 1));
  stopAfterCheckpoint();
  const std::string saved_state = readTextFile(statePath());
  const std::string lost = purgeSavedPosition();
  const std::string oldest = currentPosition();

  ASSERT_TRUE(monitor_.start(configPath(), dir_ + "/monitor.log"));
  EXPECT_EQ(exitCode(), 1);
  const std::string log = monitor_.log();
  EXPECT_NE(log.find("requested position " + lost), std::string::npos) << log;
  EXPECT_NE(log.find("its oldest binlog is " + oldest.substr(0, oldest.rfind(':'))),
            std::string::npos);
  EXPECT_EQ(readTextFile(statePath()), saved_state) << "a failed start must leave the state alone";
  EXPECT_TRUE(receive(0).empty());
}

TEST_F(SourceFaults, PurgedPositionWithCurrentPolicyPublishesOneGapThenResumes) {
  writeConfig("on_position_lost = current");
  startMonitor();
  insertRows(1, 1);
  ASSERT_EQ(receive(1), inserts(1, 1));
  stopAfterCheckpoint();
  insertRows(2, 2);  // lost with the purged binlog
  const std::string lost = purgeSavedPosition();
  const std::string resumed = currentPosition();

  startMonitor();
  // Changes made before the monitor reads the current position fall into the gap: write only once
  // the gap message is out.
  auto messages = consumer_.take(1, 30s);
  ASSERT_EQ(messages.size(), 1u) << "no gap message";
  insertRows(3, 3);
  for (auto& message : consumer_.take(1, 30s)) {
    messages.push_back(std::move(message));
  }
  ASSERT_EQ(messages.size(), 2u);
  rapidjson::Document gap;
  gap.Parse(messages[0].body.c_str());
  ASSERT_TRUE(gap.IsObject() && gap.HasMember("timestamp")) << messages[0].body;
  EXPECT_EQ(messages[0].body,
            fmt::format(R"({{"type":"gap","from":"{}","to":"{}","timestamp":{}}})", lost, resumed,
                        gap["timestamp"].GetInt64()));
  EXPECT_EQ(messages[0].message_id, fmt::format("gap:{}:{}", lost, resumed));
  EXPECT_TRUE(isValidMessage(messages[0].body));
  EXPECT_EQ(summary(messages[1].body), "row_insert 3");
  EXPECT_TRUE(consumer_.take(1, 2s).empty());
  stopAfterCheckpoint();

  // The checkpoint moved past the gap: a restart publishes no second gap and nothing again.
  startMonitor();
  insertRows(4, 4);
  EXPECT_EQ(receive(1), inserts(4, 4));
  EXPECT_EQ(monitor_.stop(SIGTERM), 0);
}

TEST_F(SourceFaults, StatementFormatWritesAreReportedOncePerTable) {
  startMonitor();
  run("SET SESSION binlog_format = 'STATEMENT'");
  insertRows(1, 2);
  run(fmt::format("UPDATE {}.employee SET name = 'x' WHERE id = 1", database_));
  run("SET SESSION binlog_format = 'ROW'");
  insertRows(3, 3);

  EXPECT_EQ(receive(1), inserts(3, 3));
  EXPECT_EQ(monitor_.stop(SIGTERM), 0);
  const std::string log = monitor_.log();
  const std::string warning =
      fmt::format("table {}.employee: a session wrote it in statement format", database_);
  const auto first = log.find(warning);
  EXPECT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find(warning, first + 1), std::string::npos) << "warned more than once";
  EXPECT_NE(log.find("3 statement-format writes not published"), std::string::npos) << log;
}

TEST_F(SourceFaults, CheckRejectsStatementFormatWithItsFix) {
  auto format = sql_.query("SELECT @@global.binlog_format");
  ASSERT_TRUE(format.isOk());
  const std::string original = *(*format)[0][0];
  run("SET GLOBAL binlog_format = 'STATEMENT'");
  auto [status, output] = runMonitorCommand("check --config " + configPath());
  run(fmt::format("SET GLOBAL binlog_format = '{}'", original));

  EXPECT_EQ(status, 1) << output;
  EXPECT_NE(output.find("fail  binlog_format: STATEMENT; fix: SET GLOBAL binlog_format = 'ROW'"),
            std::string::npos)
      << output;
  EXPECT_NE(output.find("ok    log_bin: ON"), std::string::npos) << output;
  EXPECT_NE(output.find("ok    broker: connected"), std::string::npos) << output;

  auto [status_after, output_after] = runMonitorCommand("check --config " + configPath());
  EXPECT_EQ(status_after, 0) << output_after;
}

TEST_F(SourceFaults, DuplicateServerIdIsReportedAndNotRetried) {
  startMonitor();
  MonitorProcess twin;
  const std::string twin_dir = dir_ + "/twin";
  std::string twin_config = readTextFile(configPath());
  twin_config.replace(twin_config.find(dir_ + "/state"), dir_.size() + 6, twin_dir + "/state");
  ASSERT_TRUE(writeTextFile(twin_dir + "/monitor.cfg", twin_config));
  ASSERT_TRUE(twin.start(twin_dir + "/monitor.cfg", twin_dir + "/monitor.log"));

  // The server drops the older connection for the newer one with the same id: the first monitor
  // must stop with a clear error instead of reconnecting and dropping the twin in turn, for ever.
  EXPECT_EQ(exitCode(), 1) << twin.log();
  const std::string log = monitor_.log();
  EXPECT_NE(log.find(fmt::format("another replica registered with server_id {}", serverId())),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("reconnecting"), std::string::npos) << log;
  EXPECT_EQ(twin.stop(SIGTERM), 0) << twin.log();
}

TEST_F(SourceFaults, StateFileFromAnotherServerIsRefused) {
  const std::string position = currentPosition();
  const auto colon = position.rfind(':');
  const std::string state = fmt::format("version=1\nfile={}\nposition={}\nrows_done=0\n",
                                        position.substr(0, colon), position.substr(colon + 1));
  ASSERT_TRUE(writeTextFile(statePath(), state + "server_id=999999\n"));

  ASSERT_TRUE(monitor_.start(configPath(), dir_ + "/monitor.log"));
  EXPECT_EQ(exitCode(), 1);
  EXPECT_NE(monitor_.log().find("holds a position on the server with server_id 999999"),
            std::string::npos);
  EXPECT_EQ(readTextFile(statePath()), state + "server_id=999999\n");

  // A state file without the identity (written before it was recorded) is accepted and filled in.
  ASSERT_TRUE(writeTextFile(statePath(), state));
  startMonitor();
  insertRows(1, 1);
  EXPECT_EQ(receive(1), inserts(1, 1));
  EXPECT_EQ(monitor_.stop(SIGTERM), 0);
  auto server_id = sql_.query("SELECT @@global.server_id");
  ASSERT_TRUE(server_id.isOk());
  EXPECT_NE(readTextFile(statePath()).find("server_id=" + *(*server_id)[0][0] + "\n"),
            std::string::npos);
}

TEST_F(SourceFaults, GtidStartPositionStartsAfterThoseTransactions) {
  insertRows(1, 2);
  const std::string after_two = gtidPosition();
  insertRows(3, 4);
  writeConfig("start_position = " + after_two);
  startMonitor();
  insertRows(5, 5);
  EXPECT_EQ(receive(3), inserts(3, 5));
  stopAfterCheckpoint();
  const std::string state = readTextFile(statePath());
  EXPECT_NE(state.find("gtid_set=" + gtidPosition() + "\n"), std::string::npos)
      << "the checkpoint carries the server's GTID position: " << state;
}

// The fallback of a start at "current" when BINLOG_GTID_POS() answers nothing (once in CI): the
// server's @@gtid_binlog_pos, only while its end of binlog is still where the start is.
TEST_F(SourceFaults, TheGtidSetAtTheEndIsTheServersWhileItStaysThere) {
  insertRows(1, 1);
  auto status = sql_.query("SHOW MASTER STATUS");
  ASSERT_TRUE(status.isOk() && !status->empty());
  const binlog::Position end{*(*status)[0][0], std::stoull(*(*status)[0][1])};
  auto at_end = mysql::mariadbGtidPosAtEnd(sql_, end);
  ASSERT_TRUE(at_end.isOk()) << at_end.status().toString();
  EXPECT_EQ(*at_end, gtidPosition());
  auto by_function =
      sql_.query(fmt::format("SELECT BINLOG_GTID_POS('{}', {})", end.file, end.offset));
  ASSERT_TRUE(by_function.isOk() && !by_function->empty() && (*by_function)[0][0]);
  EXPECT_EQ(*at_end, *(*by_function)[0][0]) << "not what BINLOG_GTID_POS() says there";
  insertRows(2, 2);
  auto moved_on = mysql::mariadbGtidPosAtEnd(sql_, end);
  ASSERT_TRUE(moved_on.isOk()) << moved_on.status().toString();
  EXPECT_EQ(*moved_on, "") << "the server's set after a later commit is not the set at the start";
}

TEST_F(SourceFaults, ResumeByGtidContinuesOnAnotherServerWithoutGapOrRepeat) {
  writeConfig("resume_by = gtid");
  startMonitor();
  insertRows(1, 2);
  ASSERT_EQ(receive(2), inserts(1, 2));
  stopAfterCheckpoint();
  // The state as a failover leaves it: written on another server, whose file names and offsets
  // mean nothing here. Only its GTID set can place the stream.
  std::string state = readTextFile(statePath());
  ASSERT_NE(state.find("gtid_set="), std::string::npos) << state;
  std::string moved;
  std::istringstream lines(state);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("file=", 0) == 0) {
      line = "file=old-primary-bin.000007";
    } else if (line.rfind("position=", 0) == 0) {
      line = "position=4";
    } else if (line.rfind("server_id=", 0) == 0) {
      line = "server_id=999999";
    }
    moved += line + "\n";
  }
  ASSERT_TRUE(writeTextFile(statePath(), moved));
  insertRows(3, 4);  // while the monitor is down

  startMonitor();
  insertRows(5, 5);
  EXPECT_EQ(receive(3), inserts(3, 5));
  EXPECT_NE(monitor_.log().find("continuing after GTID set"), std::string::npos) << monitor_.log();
  EXPECT_EQ(monitor_.stop(SIGTERM), 0);
}

}  // namespace
}  // namespace mm::test
