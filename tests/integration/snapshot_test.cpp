// The snapshot against the real servers (docs/design.md §13, issue 18 "Done when"): a table of
// MM_SNAPSHOT_ROWS rows (200,000 by default; MM_SNAPSHOT_RESYNC_ROWS, 20,000, for the re-sync) is
// snapshotted while a workload inserts, updates (key changes included) and deletes in it, and the
// monitor is killed (-9) twice mid-snapshot; a consumer that applies every message in order
// (row_snapshot as an upsert, AppliedTable) must end with exactly the table. With
// binlog_row_image FULL and MINIMAL, for the initial snapshot of a first start and for a re-sync
// requested from a running monitor.
// SnapshotEdges, on small tables: a DDL that changes the table's shape mid-snapshot starts it over
// in the new shape (never mixing two); max_rows_per_second paces it; a table without a key comes
// in one pass; `snapshot --cancel` stops a running one; with [monitor] delay the consumer still
// ends with the table.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "support/amqp_test_consumer.h"
#include "support/applied_table.h"
#include "support/http_client.h"
#include "support/live_monitor_test.h"
#include "support/monitor_process.h"
#include "support/sql_client.h"

namespace mm::test {
namespace {

using namespace std::chrono_literals;

// A table t of `rows` rows, a workload on it, a consumer applying what arrives.
class SnapshotLive : public LiveMonitorTest {
 protected:
  void setUpTable(const std::string& row_image, uint64_t rows) {
    rows_ = rows;
    run(fmt::format("SET GLOBAL binlog_row_image = {}", row_image));
    run(fmt::format("CREATE TABLE {}.t (id INT PRIMARY KEY, k INT NOT NULL, c VARCHAR(40) NOT "
                    "NULL, pad VARCHAR(40) NULL)",
                    database_));
    run(fmt::format("INSERT INTO {}.t SELECT seq, seq % 1000, CONCAT('c', seq), IF(seq % 7 = 0, "
                    "NULL, 'p') FROM {}.seq_1_to_{}",
                    database_, database_, rows_));
    Status consumer = consumer_.connect(env_.amqp_host, env_.amqp_port, env_.amqp_user,
                                        env_.amqp_password, exchange_);
    ASSERT_TRUE(consumer.isOk()) << consumer.toString();
  }

  void TearDown() override {
    stopWorkload();
    if (sql_.connected()) {
      (void)sql_.execute("SET GLOBAL binlog_row_image = FULL");
    }
    LiveMonitorTest::TearDown();
  }

  // Inserts, updates (also of the key, up and down) and deletes at random, paced, until stopped.
  // With `hot_rows`, updates of k only, on ids 1 to hot_rows (rows changed again and again).
  void startWorkload(int hot_rows = 0) {
    workload_ran_ = true;
    workload_ = std::jthread([this, hot_rows](std::stop_token stop) {
      mysql::Connection sql;
      if (Status s = connectAdmin(env_, sql); !s.isOk()) {
        workload_error_ = s.toString();
        return;
      }
      std::mt19937 random(static_cast<uint32_t>(getpid()));
      std::uniform_int_distribution<int> any_id(1, static_cast<int>(rows_));
      std::uniform_int_distribution<int> op(0, 9);
      int next_id = static_cast<int>(rows_) + 1;
      const std::string t = database_ + ".t";
      while (!stop.stop_requested()) {
        std::string statement;
        const int id = any_id(random);
        switch (hot_rows > 0 ? -1 : op(random)) {
          case -1:
            statement = fmt::format("UPDATE {} SET k = k + 1 WHERE id = {}", t, 1 + id % hot_rows);
            break;
          case 0:
          case 1:
            statement = fmt::format("INSERT INTO {} VALUES ({}, 1, 'new', 'p')", t, next_id++);
            break;
          case 2: statement = fmt::format("DELETE FROM {} WHERE id = {}", t, id); break;
          case 3:  // a key change up past every key, or down below every key
            statement = id % 2 == 0
                            ? fmt::format("UPDATE {} SET id = id + 100000000 WHERE id = {}", t, id)
                            : fmt::format("UPDATE {} SET id = -id WHERE id = {}", t, id);
            break;
          case 4:  // several rows in one transaction
            statement =
                fmt::format("UPDATE {} SET k = k + 1 WHERE id BETWEEN {} AND {}", t, id, id + 5);
            break;
          default:
            statement =
                fmt::format("UPDATE {} SET c = CONCAT('u', k), pad = NULL WHERE id = {}", t, id);
            break;
        }
        if (Status s = sql.execute(statement); !s.isOk() && workload_error_.empty()) {
          workload_error_ = statement + ": " + s.toString();
        }
        ++workload_statements_;
        std::this_thread::sleep_for(1ms);
      }
    });
  }
  void stopWorkload() {
    if (workload_.joinable()) {
      workload_.request_stop();
      workload_.join();
    }
  }

  // Points the CLI and the monitor at a loopback listener for snapshot requests.
  std::string listenForRequests() {
    const int port = freeLocalPort();
    EXPECT_GT(port, 0);
    const std::string listen = fmt::format("127.0.0.1:{}", port);
    monitor_.environment()["MYSQL_MONITOR_METRICS_LISTEN"] = listen;
    return listen;
  }

  // Takes what arrived and applies the messages of table t; counts its snapshot's messages. The
  // messages of other tables, and with `keep_` every message, are kept in `arrivals_`.
  void consume(std::chrono::milliseconds wait) {
    for (ReceivedMessage& message : consumer_.take(5000, wait)) {
      if (message.body.find(R"("table_name":"t")") == std::string::npos &&
          message.body.find(R"("type":"heartbeat")") == std::string::npos) {
        arrivals_.push_back({std::move(message.body), std::chrono::steady_clock::now()});
        continue;
      }
      if (message.body.find("\"type\":\"row_snapshot\"") != std::string::npos) {
        ++snapshot_rows_;
      } else if (message.body.find("\"type\":\"snapshot_end\"") != std::string::npos) {
        ++snapshot_ends_;
      }
      Status applied = applied_.apply(message);
      ASSERT_TRUE(applied.isOk()) << applied.toString();
      history_.push_back(message.message_id + " " + message.body.substr(0, 400));
      if (keep_) {
        arrivals_.push_back({std::move(message.body), std::chrono::steady_clock::now()});
      }
    }
  }
  // Consumes until `done` or `timeout`; false on timeout.
  bool consumeUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    return waitFor(
        [&] {
          consume(50ms);
          return done() || HasFatalFailure();
        },
        timeout);
  }

  // Kills the monitor (-9) once a third and once two thirds of the table came as snapshot rows
  // (the snapshot still running), restarting it each time; then waits for the snapshot's end.
  void killTwiceMidSnapshotThenFinish() {
    for (uint64_t third : {rows_ / 3, 2 * rows_ / 3}) {
      const bool reached = consumeUntil([&] { return snapshot_rows_ >= third; }, 240s);
      ASSERT_TRUE(reached) << snapshot_rows_ << " snapshot rows of " << rows_;
      ASSERT_EQ(snapshot_ends_, 0u) << "the snapshot ended before the kill";
      ASSERT_FALSE(monitor_.exited().has_value()) << "the monitor stopped by itself";
      ASSERT_EQ(monitor_.stop(SIGKILL), 128 + SIGKILL);
      startMonitor();
    }
    const bool ended = consumeUntil([&] { return snapshot_ends_ > 0; }, 240s);
    ASSERT_TRUE(ended) << "no snapshot_end after " << snapshot_rows_ << " snapshot rows";
  }

  // Stops the workload, drains, and compares the consumer's copy with the table (several
  // rounds, so messages still on their way arrive).
  void expectTheConsumerHasTheTable(const std::vector<std::string>& columns = {"id", "k", "c",
                                                                               "pad"}) {
    stopWorkload();
    ASSERT_EQ(workload_error_, "");
    std::string difference;
    for (int quiet_rounds = 0; quiet_rounds < 2;) {
      const uint64_t before = applied_.rowMessages();
      consume(1000ms);
      if (applied_.rowMessages() != before) {
        quiet_rounds = 0;
        continue;
      }
      auto rows =
          sql_.query(fmt::format("SELECT {} FROM {}.t", fmt::join(columns, ", "), database_));
      ASSERT_TRUE(rows.isOk()) << rows.status().toString();
      difference = describeDifference(tableRows(columns, {0}, *rows), applied_.rows());
      quiet_rounds = difference.empty() ? quiet_rounds + 1 : 0;
      if (!difference.empty() && ++compare_rounds_ > 20) {
        break;
      }
    }
    EXPECT_EQ(difference, "") << "the consumer's copy differs from the table\n"
                              << historyOf(difference);
    EXPECT_TRUE(!workload_ran_ || workload_statements_ > 100u) << "the workload hardly ran";
    std::cout << "[ figures  ] " << snapshot_rows_ << " snapshot rows for " << rows_ << " rows, "
              << applied_.rowMessages() << " row messages, " << workload_statements_
              << " workload statements" << std::endl;
  }

  // The messages that name the first differing keys (`difference` lines "key K: ..."), to see
  // how a row went missing.
  std::string historyOf(const std::string& difference) const {
    std::string out;
    size_t at = 0;
    for (int shown = 0; shown < 3 && (at = difference.find("key ", at)) != std::string::npos;
         ++shown) {
      const size_t colon = difference.find(':', at);
      std::string key = difference.substr(at + 4, colon - at - 4);
      at = colon;
      if (!key.empty() && key[0] == '-') {
        key.erase(0, 1);  // also the messages of the row before a key change to -id
      }
      out += "messages naming " + key + ":\n";
      for (const std::string& line : history_) {
        if (line.find(key) != std::string::npos) {
          out += "  " + line + "\n";
        }
      }
    }
    return out;
  }

  uint64_t rows_ = 0;
  AmqpTestConsumer consumer_;
  AppliedTable applied_;
  uint64_t snapshot_rows_ = 0;
  uint64_t snapshot_ends_ = 0;
  int compare_rounds_ = 0;
  struct Arrival {
    std::string body;
    std::chrono::steady_clock::time_point at;
  };
  std::vector<Arrival> arrivals_;
  std::vector<std::string> history_;  // every message of t: message_id and body
  bool keep_ = false;
  std::jthread workload_;
  std::string workload_error_;
  std::atomic<uint64_t> workload_statements_{0};
  bool workload_ran_ = false;
};

class Snapshot : public SnapshotLive, public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    SnapshotLive::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    // CI: the issue's 200,000 rows for the initial snapshot, 20,000 for the re-sync (the same
    // code after the request; scripts/soak.sh runs both with 500,000).
    const bool resync = std::string(::testing::UnitTest::GetInstance()->current_test_info()->name())
                            .find("Resync") != std::string::npos;
    setUpTable(GetParam(), resync ? envSize("MM_SNAPSHOT_RESYNC_ROWS", 20000)
                                  : envSize("MM_SNAPSHOT_ROWS", 200000));
  }
};

TEST_P(Snapshot, InitialSnapshotUnderWritesAndKillsEndsWithTheTable) {
  writeConfig({.mysql = "database = " + database_,
               .monitor = "checkpoint_interval_ms = 20\n",
               .amqp = "[snapshot]\nmode = initial\nchunk_rows = 2000\n"});
  startWorkload();
  startMonitor();
  killTwiceMidSnapshotThenFinish();
  expectTheConsumerHasTheTable();
}

// A consumer that started with the monitor (and so lacks the rows written before) asks the running
// monitor for a re-sync (`mysql-monitor snapshot DB.TABLE`); a second request while it runs is
// refused; kills mid-snapshot; it ends with the table.
TEST_P(Snapshot, ResyncOfARunningMonitorUnderWritesAndKillsEndsWithTheTable) {
  const std::string listen = listenForRequests();
  ASSERT_FALSE(HasFailure()) << "no free local port";
  writeConfig({.mysql = "database = " + database_,
               .monitor = "checkpoint_interval_ms = 20\n",
               .amqp = "[snapshot]\nchunk_rows = 2000\n"});
  startMonitor();
  startWorkload();
  std::this_thread::sleep_for(300ms);
  auto [code, output] =
      runToEnd({"snapshot", "--set", "metrics.listen=" + listen, database_ + ".t"}, 20s);
  ASSERT_EQ(code, 0) << output;
  EXPECT_NE(output.find("accepted"), std::string::npos) << output;
  auto [busy, busy_output] = runToEnd({"snapshot", "--set", "metrics.listen=" + listen}, 20s);
  EXPECT_EQ(busy, 1) << busy_output;
  EXPECT_NE(busy_output.find("is running"), std::string::npos) << busy_output;
  killTwiceMidSnapshotThenFinish();
  expectTheConsumerHasTheTable();
}

INSTANTIATE_TEST_SUITE_P(RowImage, Snapshot, ::testing::Values("FULL", "MINIMAL"));

class SnapshotEdges : public SnapshotLive {
 protected:
  void SetUp() override {
    SnapshotLive::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    setUpTable("FULL", 6000);
  }

  size_t arrivedOf(std::string_view type, std::string_view table) const {
    const std::string type_field = fmt::format(R"("type":"{}")", type);
    const std::string table_field = fmt::format(R"("table_name":"{}")", table);
    return static_cast<size_t>(
        std::count_if(arrivals_.begin(), arrivals_.end(), [&](const auto& a) {
          return a.body.find(type_field) != std::string::npos &&
                 a.body.find(table_field) != std::string::npos;
        }));
  }
};

// An ALTER that adds a column while t is snapshotted: t starts over (a second snapshot_start) and
// every row_snapshot after it has the new column, none before it. At max_rows_per_second = 2,000
// the second pass's 6,000 rows take about 3 s. The keyless table n comes in one pass.
TEST_F(SnapshotEdges, ADdlMidTableStartsItOverInTheNewShapeAtTheThrottledPace) {
  run(fmt::format("CREATE TABLE {}.n (a INT, b VARCHAR(10))", database_));
  run(fmt::format("INSERT INTO {0}.n SELECT seq, 'x' FROM {0}.seq_1_to_50", database_));
  writeConfig(
      {.mysql = "database = " + database_,
       .monitor = "checkpoint_interval_ms = 20\n",
       .amqp = "[snapshot]\nmode = initial\nchunk_rows = 500\nmax_rows_per_second = 2000\n"});
  keep_ = true;
  startMonitor();
  ASSERT_TRUE(consumeUntil([&] { return snapshot_rows_ >= 1500; }, 60s)) << snapshot_rows_;
  ASSERT_EQ(snapshot_ends_, 0u) << "the snapshot ended before the DDL";
  run(fmt::format("ALTER TABLE {}.t ADD COLUMN extra INT NOT NULL DEFAULT 7", database_));
  run(fmt::format("UPDATE {}.t SET extra = 8 WHERE id <= 10 OR id > 5990", database_));
  ASSERT_TRUE(consumeUntil([&] { return snapshot_ends_ > 0; }, 60s)) << snapshot_rows_;

  int starts = 0;
  size_t new_shape_before = 0, old_shape_after = 0, second_pass = 0;
  std::chrono::steady_clock::time_point second_start, end;
  for (const Arrival& a : arrivals_) {
    if (a.body.find(R"("table_name":"t")") == std::string::npos) {
      continue;
    }
    const bool extra = a.body.find(R"("extra":)") != std::string::npos;
    if (a.body.find(R"("type":"snapshot_start")") != std::string::npos && ++starts == 2) {
      second_start = a.at;
    } else if (a.body.find(R"("type":"row_snapshot")") != std::string::npos) {
      new_shape_before += starts < 2 && extra ? 1 : 0;
      old_shape_after += starts >= 2 && !extra ? 1 : 0;
      second_pass += starts >= 2 ? 1 : 0;
    } else if (a.body.find(R"("type":"snapshot_end")") != std::string::npos) {
      end = a.at;
      EXPECT_NE(a.body.find(R"("rows":6000)"), std::string::npos) << a.body;
    }
  }
  EXPECT_EQ(starts, 2) << "the DDL did not start t over";
  EXPECT_EQ(new_shape_before, 0u);
  EXPECT_EQ(old_shape_after, 0u) << "rows of the old shape after the new snapshot_start";
  EXPECT_EQ(second_pass, 6000u);
  EXPECT_GE(end - second_start, 2200ms) << "6,000 rows at max_rows_per_second = 2,000";
  EXPECT_EQ(arrivedOf("row_snapshot", "n"), 50u);
  EXPECT_EQ(arrivedOf("snapshot_end", "n"), 1u);
  expectTheConsumerHasTheTable({"id", "k", "c", "pad", "extra"});
}

// `snapshot --cancel` stops a running re-sync: after its chunk in flight no row_snapshot comes (at
// 1,000 rows/s, 2,000 would in the 2 s watched), no snapshot_end; a new request is then accepted.
TEST_F(SnapshotEdges, CancelStopsARunningResync) {
  const std::string listen = listenForRequests();
  ASSERT_FALSE(HasFailure()) << "no free local port";
  writeConfig({.mysql = "database = " + database_,
               .monitor = "checkpoint_interval_ms = 20\n",
               .amqp = "[snapshot]\nchunk_rows = 200\nmax_rows_per_second = 1000\n"});
  startMonitor();
  const std::vector<std::string> cli = {"snapshot", "--set", "metrics.listen=" + listen};
  auto [code, output] = runToEnd({cli[0], cli[1], cli[2], database_ + ".t"}, 20s);
  ASSERT_EQ(code, 0) << output;
  ASSERT_TRUE(consumeUntil([&] { return snapshot_rows_ >= 400; }, 60s)) << snapshot_rows_;
  auto [cancel, cancel_output] = runToEnd({cli[0], cli[1], cli[2], "--cancel"}, 20s);
  ASSERT_EQ(cancel, 0) << cancel_output;
  EXPECT_NE(cancel_output.find("cancelling"), std::string::npos) << cancel_output;
  consumeUntil([] { return false; }, 1000ms);  // the chunk in flight arrives
  const uint64_t at_cancel = snapshot_rows_;
  consumeUntil([] { return false; }, 2000ms);
  EXPECT_EQ(snapshot_rows_, at_cancel) << "row_snapshot messages after the cancel";
  EXPECT_LT(at_cancel, 6000u);
  EXPECT_EQ(snapshot_ends_, 0u);
  auto [again, again_output] = runToEnd({cli[0], cli[1], cli[2], database_ + ".t"}, 20s);
  EXPECT_EQ(again, 0) << again_output;
  EXPECT_NE(again_output.find("accepted"), std::string::npos) << again_output;
}

// With [monitor] delay, live changes are held and folded while snapshot rows come between them.
// Rows 1 to 20 (the first chunk) are updated again and again until 0.7 s after the snapshot began
// (past the first chunk's point, within the delay): an update after a row's snapshot row must not
// fold into one held before it, or the consumer ends with the snapshot's older k
// (docs/design.md §13.5).
TEST_F(SnapshotEdges, WithADelayTheConsumerEndsWithTheTable) {
  writeConfig({.mysql = "database = " + database_,
               .monitor = "checkpoint_interval_ms = 20\ndelay = 1\n",
               .amqp = "[snapshot]\nmode = initial\nchunk_rows = 100\n"});
  startWorkload(20);
  startMonitor();
  ASSERT_TRUE(waitFor([&] { return countOf(monitor_.log(), "rows)") > 0; }, 30s)) << monitor_.log();
  std::this_thread::sleep_for(700ms);
  stopWorkload();
  ASSERT_TRUE(consumeUntil([&] { return snapshot_ends_ > 0; }, 60s)) << snapshot_rows_;
  expectTheConsumerHasTheTable();
}

}  // namespace
}  // namespace mm::test
