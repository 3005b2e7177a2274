// Prometheus text exposition: the format's rules (HELP/TYPE before samples, the prefix, escaping,
// special values) and what the Stats turn into.
#include "metrics/exposition.h"

#include <limits>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace mm::metrics {
namespace {

constexpr int64_t kNow = 1'700'000'000;

std::string render(const Stats& stats, bool ready = true) {
  return renderMetrics(stats, kNow, Readiness{ready, ""});
}

// The sample line of `name` (with labels), or "" when absent.
std::string sampleLine(const std::string& text, const std::string& name) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(name + " ", 0) == 0 || line.rfind(name + "{", 0) == 0) {
      return line;
    }
  }
  return "";
}

TEST(Exposition, EveryFamilyHasHelpAndTypeBeforeItsSamplesAndThePrefix) {
  Stats stats;
  stats.setReadFile("mysql-bin.000003");
  stats.setCheckpoint(SavedCheckpoint{{"mysql-bin.000003", 1234}, 0, kNow - 10});
  stats.noteFileCreated("mysql-bin.000003", kNow - 100);
  stats.setServerState(ServerBinlogState{{"mysql-bin.000003", 2000}, 86400, kNow});
  set<int64_t>(stats.last_event_timestamp, kNow - 3);
  const std::string text = render(stats);
  const std::regex help(R"(# HELP (mysql_monitor_[a-z_]+) \S.*)");
  const std::regex type(R"(# TYPE (mysql_monitor_[a-z_]+) (counter|gauge))");
  const std::regex sample(
      R"((mysql_monitor_[a-z_]+)(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? (-?[0-9.e+]+|\+Inf|-Inf|NaN))");
  std::set<std::string> helped, typed;
  std::istringstream lines(text);
  std::string line;
  int samples = 0;
  while (std::getline(lines, line)) {
    std::smatch m;
    if (std::regex_match(line, m, help)) {
      helped.insert(m[1]);
    } else if (std::regex_match(line, m, type)) {
      EXPECT_TRUE(helped.count(m[1])) << "TYPE before HELP: " << line;
      typed.insert(m[1]);
    } else {
      ASSERT_TRUE(std::regex_match(line, m, sample)) << "not a valid line: " << line;
      EXPECT_TRUE(typed.count(m[1])) << "sample without HELP/TYPE: " << line;
      ++samples;
    }
  }
  EXPECT_GT(samples, 30);
  EXPECT_EQ(text.back(), '\n');
}

TEST(Exposition, CountersShowTheirValues) {
  Stats stats;
  add(stats.rows_read, 7);
  add(stats.bytes_read, 4096);
  add(stats.messages_published, 5);
  add(stats.messages_confirmed, 4);
  add(stats.messages_nacked);
  add(stats.messages_coalesced, 2);
  add(stats.statement_dml, 3);
  const std::string text = render(stats);
  EXPECT_EQ(sampleLine(text, "mysql_monitor_rows_read_total"), "mysql_monitor_rows_read_total 7");
  EXPECT_EQ(sampleLine(text, "mysql_monitor_bytes_read_total"),
            "mysql_monitor_bytes_read_total 4096");
  EXPECT_EQ(sampleLine(text, "mysql_monitor_messages_published_total"),
            "mysql_monitor_messages_published_total 5");
  EXPECT_EQ(sampleLine(text, "mysql_monitor_messages_confirmed_total"),
            "mysql_monitor_messages_confirmed_total 4");
  EXPECT_EQ(sampleLine(text, "mysql_monitor_messages_nacked_total"),
            "mysql_monitor_messages_nacked_total 1");
  EXPECT_EQ(sampleLine(text, "mysql_monitor_messages_coalesced_total"),
            "mysql_monitor_messages_coalesced_total 2");
  EXPECT_EQ(sampleLine(text, "mysql_monitor_statement_dml_total"),
            "mysql_monitor_statement_dml_total 3");
  EXPECT_NE(text.find("# TYPE mysql_monitor_rows_read_total counter\n"), std::string::npos);
}

TEST(Exposition, QueueDepthsCarryTheQueueLabel) {
  Stats stats;
  set<uint64_t>(stats.source_queue.items, 12);
  set<uint64_t>(stats.publish_queue.bytes, 900);
  const std::string text = render(stats);
  EXPECT_NE(text.find("mysql_monitor_queue_items{queue=\"source\"} 12\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("mysql_monitor_queue_bytes{queue=\"publish\"} 900\n"), std::string::npos)
      << text;
  // One HELP/TYPE per family, even with two samples.
  EXPECT_EQ(text.find("# TYPE mysql_monitor_queue_items gauge"),
            text.rfind("# TYPE mysql_monitor_queue_items gauge"));
}

TEST(Exposition, LagIsNowMinusTheLastEventAndZeroWhenCaughtUp) {
  Stats stats;
  EXPECT_EQ(sampleLine(render(stats), "mysql_monitor_replication_lag_seconds"), "")
      << "no event yet: unknown";
  set<int64_t>(stats.last_event_timestamp, kNow - 42);
  EXPECT_EQ(sampleLine(render(stats), "mysql_monitor_replication_lag_seconds"),
            "mysql_monitor_replication_lag_seconds 42");
  set(stats.source_caught_up, true);
  EXPECT_EQ(sampleLine(render(stats), "mysql_monitor_replication_lag_seconds"),
            "mysql_monitor_replication_lag_seconds 0");
}

// [mysql] host lists two servers: the metric names the one connections use, and follows the
// preference a source failover moves (mysql::ConnectionOptions::preferred).
TEST(Exposition, TheSourceServerInUseIsOneAndFollowsAFailover) {
  Stats stats;
  EXPECT_EQ(render(stats).find("mysql_monitor_source_server"), std::string::npos)
      << "no servers named: no family";
  stats.source_servers = {"db1:3306", "db2:3306"};
  auto preferred = std::make_shared<std::atomic<size_t>>(0);
  stats.source_server_in_use = preferred;
  std::string text = render(stats);
  EXPECT_NE(text.find("mysql_monitor_source_server{server=\"db1:3306\"} 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("mysql_monitor_source_server{server=\"db2:3306\"} 0\n"), std::string::npos)
      << text;
  preferred->store(1);
  text = render(stats);
  EXPECT_NE(text.find("mysql_monitor_source_server{server=\"db1:3306\"} 0\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("mysql_monitor_source_server{server=\"db2:3306\"} 1\n"), std::string::npos)
      << text;
}

TEST(Exposition, ConnectionStatesAreZeroOrOne) {
  Stats stats;
  set(stats.broker_connected, true);
  const std::string text = render(stats, false);
  EXPECT_EQ(sampleLine(text, "mysql_monitor_source_connected"), "mysql_monitor_source_connected 0");
  EXPECT_EQ(sampleLine(text, "mysql_monitor_broker_connected"), "mysql_monitor_broker_connected 1");
  EXPECT_EQ(sampleLine(text, "mysql_monitor_ready"), "mysql_monitor_ready 0");
}

TEST(Exposition, CheckpointNamesItsFileAndTime) {
  Stats stats;
  stats.setCheckpoint(SavedCheckpoint{{"mysql-bin.000042", 1234}, 3, kNow - 5});
  const std::string text = render(stats);
  EXPECT_EQ(sampleLine(text, "mysql_monitor_checkpoint_position"),
            "mysql_monitor_checkpoint_position{file=\"mysql-bin.000042\"} 1234");
  EXPECT_EQ(sampleLine(text, "mysql_monitor_checkpoint_file_sequence"),
            "mysql_monitor_checkpoint_file_sequence 42");
  EXPECT_EQ(sampleLine(text, "mysql_monitor_checkpoint_timestamp_seconds"),
            "mysql_monitor_checkpoint_timestamp_seconds 1699999995");
}

// The runway line when the checkpoint sits in mysql-bin.000042, the reader saw `created_file`
// begin an hour ago, and the server (when `expire_seconds` is set) purges after that long.
std::string runwayLine(const std::string& created_file, std::optional<int64_t> expire_seconds) {
  Stats stats;
  stats.setCheckpoint(SavedCheckpoint{{"mysql-bin.000042", 1234}, 0, kNow});
  stats.noteFileCreated(created_file, kNow - 3600);
  if (expire_seconds) {
    stats.setServerState(ServerBinlogState{{"mysql-bin.000043", 500}, *expire_seconds, kNow});
  }
  return sampleLine(render(stats), "mysql_monitor_retention_runway_seconds");
}

TEST(Exposition, RunwayIsExpiryMinusTheCheckpointFilesAge) {
  EXPECT_EQ(runwayLine("mysql-bin.000042", 86400), "mysql_monitor_retention_runway_seconds 82800");
}

TEST(Exposition, RunwayIsInfiniteWithoutExpiry) {
  EXPECT_EQ(runwayLine("mysql-bin.000042", 0), "mysql_monitor_retention_runway_seconds +Inf");
}

TEST(Exposition, RunwayIsUnknownWithoutAServerAnswerOrTheFilesCreationTime) {
  EXPECT_EQ(runwayLine("mysql-bin.000042", std::nullopt), "");
  EXPECT_EQ(runwayLine("mysql-bin.000043", 86400), "");
}

TEST(Exposition, ServerStateShowsItsPositionAndExpiry) {
  Stats stats;
  stats.setServerState(ServerBinlogState{{"mysql-bin.000043", 500}, 86400, kNow});
  const std::string text = render(stats);
  EXPECT_EQ(sampleLine(text, "mysql_monitor_binlog_expire_seconds"),
            "mysql_monitor_binlog_expire_seconds 86400");
  EXPECT_EQ(sampleLine(text, "mysql_monitor_server_binlog_position"),
            "mysql_monitor_server_binlog_position{file=\"mysql-bin.000043\"} 500");
}

TEST(RetentionRunway, GoesNegativeOnceTheFileMayBePurged) {
  EXPECT_EQ(retentionRunway(3600, kNow - 3000, kNow), 600);
  EXPECT_EQ(retentionRunway(3600, kNow - 4000, kNow), -400);
  EXPECT_EQ(retentionRunway(0, kNow - 4000, kNow), std::numeric_limits<double>::infinity());
}

TEST(Stats, ForgetsTheOldestFileCreationTimesBeyondTheLimit) {
  Stats stats;
  for (size_t i = 1; i <= Stats::kMaxKnownFiles + 1; ++i) {
    stats.noteFileCreated(fmt::format("mysql-bin.{:06}", i), static_cast<int64_t>(i));
  }
  EXPECT_FALSE(stats.fileCreated("mysql-bin.000001").has_value());
  EXPECT_EQ(stats.fileCreated("mysql-bin.000002"), 2);
  EXPECT_EQ(stats.fileCreated(fmt::format("mysql-bin.{:06}", Stats::kMaxKnownFiles + 1)),
            static_cast<int64_t>(Stats::kMaxKnownFiles + 1));
}

TEST(ExpositionWriter, EscapesLabelValuesAndHelp) {
  ExpositionWriter w;
  w.gauge("odd", "line one\nback\\slash \"quoted\"", 1.5, {{"file", "a\"b\\c\nd"}});
  EXPECT_EQ(w.text(), "# HELP mysql_monitor_odd line one\\nback\\\\slash \"quoted\"\n"
                      "# TYPE mysql_monitor_odd gauge\n"
                      "mysql_monitor_odd{file=\"a\\\"b\\\\c\\nd\"} 1.5\n");
}

TEST(ExpositionWriter, WritesSpecialValues) {
  ExpositionWriter w;
  w.gauge("inf", "h", std::numeric_limits<double>::infinity());
  w.gauge("ninf", "h", -std::numeric_limits<double>::infinity());
  w.gauge("nan", "h", std::numeric_limits<double>::quiet_NaN());
  w.counter("big_total", "h", UINT64_MAX);
  EXPECT_NE(w.text().find("mysql_monitor_inf +Inf\n"), std::string::npos);
  EXPECT_NE(w.text().find("mysql_monitor_ninf -Inf\n"), std::string::npos);
  EXPECT_NE(w.text().find("mysql_monitor_nan NaN\n"), std::string::npos);
  EXPECT_NE(w.text().find("mysql_monitor_big_total 18446744073709551615\n"), std::string::npos);
}

}  // namespace
}  // namespace mm::metrics

namespace mm::metrics {
namespace {

// Issue 18: the snapshot's progress is scraped like the rest.
TEST(Exposition, SnapshotCountersAndTablesRemaining) {
  Stats stats;
  const std::string idle = render(stats);
  EXPECT_EQ(sampleLine(idle, "mysql_monitor_snapshot_tables_remaining"),
            "mysql_monitor_snapshot_tables_remaining 0");
  add(stats.snapshot_rows, 8192);
  add(stats.snapshot_chunks, 2);
  stats.snapshot_tables_remaining = 3;
  const std::string text = render(stats);
  EXPECT_EQ(sampleLine(text, "mysql_monitor_snapshot_rows_total"),
            "mysql_monitor_snapshot_rows_total 8192");
  EXPECT_EQ(sampleLine(text, "mysql_monitor_snapshot_chunks_total"),
            "mysql_monitor_snapshot_chunks_total 2");
  EXPECT_EQ(sampleLine(text, "mysql_monitor_snapshot_tables_remaining"),
            "mysql_monitor_snapshot_tables_remaining 3");
  EXPECT_NE(text.find("# TYPE mysql_monitor_snapshot_rows_total counter"), std::string::npos);
  EXPECT_NE(text.find("# TYPE mysql_monitor_snapshot_tables_remaining gauge"), std::string::npos);
}

}  // namespace
}  // namespace mm::metrics
