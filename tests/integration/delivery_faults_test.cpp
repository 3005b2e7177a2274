// Delivery under injected faults, against the real servers from scripts/services.sh (issue 6 item
// 10): the monitor is killed, stopped, cut off from the broker, or the broker restarts or raises a
// memory alarm, while a workload of mixed inserts, updates and deletes runs. Each test ends by
// comparing what a consumer applying every message in order holds with the real table.
//
// The figures (duplicates per crash, RSS while blocked) are printed on stdout; docs/delivery.md
// records them. MM_FAULT_CHANGES and MM_FAULT_KILLS size the SIGKILL test (scripts/soak.sh).
#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "support/amqp_test_consumer.h"
#include "support/applied_table.h"
#include "support/live_monitor_test.h"
#include "support/monitor_process.h"
#include "support/sql_client.h"
#include "support/tcp_proxy.h"

namespace mm::test {
namespace {

using namespace std::chrono_literals;

constexpr int kConfirmWindow = 1000;

// Resident memory of a process in KiB (VmRSS), 0 when unknown.
long rssKib(pid_t pid) {
  std::ifstream status(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::strtol(line.c_str() + 6, nullptr, 10);
    }
  }
  return 0;
}

// Mixed single-row and multi-row changes, some in multi-statement transactions, on
// t(id INT PRIMARY KEY, a INT, b VARCHAR(2048)). Deterministic for a seed.
class Workload {
 public:
  Workload(std::string table, uint32_t seed, size_t payload_bytes = 16)
      : table_(std::move(table)), random_(seed), payload_bytes_(payload_bytes) {}

  // At most this many changes a second (0 = as fast as the server goes), so a fault injected
  // after a while still lands inside the workload however fast the machine is.
  Workload& paced(size_t changes_per_second) {
    changes_per_second_ = changes_per_second;
    return *this;
  }

  // Makes `changes` row changes (rows touched); false with `error` set when a statement fails.
  bool run(mysql::Connection& sql, size_t changes, std::string& error) {
    const auto start = std::chrono::steady_clock::now();
    size_t done = 0;
    while (done < changes) {
      if (changes_per_second_ > 0) {
        std::this_thread::sleep_until(start +
                                      std::chrono::milliseconds(done * 1000 / changes_per_second_));
      }
      const bool transaction = pick(10) == 0;
      std::vector<std::string> statements;
      for (int i = 0, n = transaction ? 3 : 1; i < n; ++i) {
        statements.push_back(nextStatement(done));
      }
      if (transaction) {
        statements.insert(statements.begin(), "BEGIN");
        statements.push_back("COMMIT");
      }
      for (const std::string& statement : statements) {
        Status status = sql.execute(statement);
        if (!status.isOk()) {
          error = status.toString();
          return false;
        }
      }
    }
    return true;
  }

 private:
  size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(random_); }

  std::string payload() {
    std::string text(payload_bytes_, 'x');
    for (char& c : text) {
      c = static_cast<char>('a' + pick(26));
    }
    return text;
  }

  std::string nextStatement(size_t& done) {
    const size_t choice = pick(100);
    if (live_.size() < 20 || choice < 40) {
      const int id = next_id_++;
      live_.push_back(id);
      done += 1;
      return fmt::format("INSERT INTO {} VALUES ({}, {}, '{}')", table_, id, pick(1000), payload());
    }
    const size_t index = pick(live_.size());
    if (choice < 70) {
      done += 1;
      return fmt::format("UPDATE {} SET a = a + 1, b = '{}' WHERE id = {}", table_, payload(),
                         live_[index]);
    }
    if (choice < 85) {
      // A range: several rows in one rows event.
      const int from = live_[index];
      done += 5;
      return fmt::format("UPDATE {} SET a = a * 2 + 1 WHERE id BETWEEN {} AND {}", table_, from,
                         from + 4);
    }
    const int id = live_[index];
    live_.erase(live_.begin() + static_cast<ptrdiff_t>(index));
    done += 1;
    return fmt::format("DELETE FROM {} WHERE id = {}", table_, id);
  }

  std::string table_;
  std::mt19937 random_;
  size_t payload_bytes_;
  size_t changes_per_second_ = 0;
  std::vector<int> live_;
  int next_id_ = 1;
};

// A workload on its own connection and thread.
class BackgroundWorkload {
 public:
  BackgroundWorkload(const ServerEnvironment& env, Workload workload, size_t changes)
      : thread_([this, env, workload = std::move(workload), changes]() mutable {
          mysql::Connection sql;
          Status connected = connectAdmin(env, sql);
          if (!connected.isOk()) {
            error_ = connected.toString();
          } else {
            (void)workload.run(sql, changes, error_);
          }
          done_ = true;
        }) {}

  bool done() const { return done_; }
  // Waits for the end; the error of the first failed statement, empty when all went well.
  std::string join() {
    thread_.join();
    return error_;
  }

 private:
  std::atomic<bool> done_{false};
  std::string error_;
  std::jthread thread_;
};

class DeliveryFaults : public LiveMonitorTest {
 protected:
  void SetUp() override {
    LiveMonitorTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    queue_ = uniqueName("mm-faults-q");
    run(fmt::format("CREATE TABLE {} (id INT PRIMARY KEY, a INT, b VARCHAR(2048))", table()));
  }

  void TearDown() override {
    if (memory_alarm_) {
      setMemoryWatermark("0.4");
    }
    LiveMonitorTest::TearDown();
    if (durable_queue_) {
      (void)consumer_.deleteQueue();
    }
  }

  std::string table() const { return database_ + ".t"; }
  std::string statePath() const { return dir_ + "/state/position"; }

  // A durable queue survives broker restarts, with the persistent messages in it.
  void connectDurableConsumer() {
    Status status = consumer_.connect(env_.amqp_host, env_.amqp_port, env_.amqp_user,
                                      env_.amqp_password, exchange_, "fanout", "#", queue_);
    ASSERT_TRUE(status.isOk()) << status.toString();
    durable_queue_ = true;
  }

  // The broker at `amqp_port` (the test broker's, or a proxy's in front of it).
  void writeConfig(int amqp_port, const std::string& amqp_extra = "") {
    LiveMonitorTest::writeConfig(
        {.mysql = "database = " + database_,
         .amqp = fmt::format("confirm_window = {}\n{}", kConfirmWindow, amqp_extra),
         .amqp_port = amqp_port});
  }

  // Applies whatever arrives until the consumer's copy equals the table and nothing more comes
  // for two seconds; returns the remaining difference (empty = equal).
  std::string drainAndCompare(std::chrono::seconds timeout = 60s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string difference = "nothing compared";
    int quiet_rounds = 0;
    while (std::chrono::steady_clock::now() < deadline && quiet_rounds < 2) {
      auto messages = consumer_.take(5000, 1s);
      for (const ReceivedMessage& message : messages) {
        Status applied = applied_.apply(message);
        if (!applied.isOk()) {
          return applied.toString();
        }
      }
      if (!messages.empty()) {
        quiet_rounds = 0;
        continue;
      }
      auto rows = sql_.query(fmt::format("SELECT id, a, b FROM {}", table()));
      if (!rows.isOk()) {
        return rows.status().toString();
      }
      difference = describeDifference(tableRows({"id", "a", "b"}, {0}, *rows), applied_.rows());
      quiet_rounds = difference.empty() ? quiet_rounds + 1 : 0;
    }
    return difference;
  }

  void setMemoryWatermark(const std::string& fraction) {
    const char* node = std::getenv("MM_RABBIT_NODE");
    const std::string command =
        fmt::format("/usr/sbin/rabbitmqctl -n {} set_vm_memory_high_watermark {} >/dev/null",
                    node != nullptr ? node : "mm-rabbit@localhost", fraction);
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    memory_alarm_ = fraction != "0.4";
  }

  void report(const std::string& what) { std::cout << "[ figures  ] " << what << std::endl; }

  std::string queue_;
  AmqpTestConsumer consumer_;
  AppliedTable applied_;
  bool durable_queue_ = false;
  bool memory_alarm_ = false;
};

// (a) Crashes at random moments: at-least-once, never a gap, duplicates bounded by what was in
// flight or confirmed but not yet saved.
TEST_F(DeliveryFaults, SigkillAtRandomMomentsLosesNothing) {
  const size_t changes = envSize("MM_FAULT_CHANGES", 3000);
  const size_t kills = envSize("MM_FAULT_KILLS", 3);
  connectDurableConsumer();
  writeConfig(env_.amqp_port);
  startMonitor();
  std::mt19937 random(static_cast<uint32_t>(getpid()));
  // Paced, so the workload lasts ~changes/1000 s however fast the machine is, and the kills, spread
  // over its first two thirds, land inside it.
  BackgroundWorkload workload(env_, Workload(table(), static_cast<uint32_t>(getpid())).paced(1000),
                              changes);
  const int mean_gap_ms = static_cast<int>(changes / (kills + 1) * 2 / 3);
  std::uniform_int_distribution<int> gap_ms(std::max(100, mean_gap_ms * 3 / 10),
                                            std::max(200, mean_gap_ms * 12 / 10));
  size_t kills_during_workload = 0;
  for (size_t kill = 0; kill < kills; ++kill) {
    std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms(random)));
    kills_during_workload += workload.done() ? 0 : 1;
    ASSERT_EQ(monitor_.stop(SIGKILL), 128 + SIGKILL);
    startMonitor();
  }
  ASSERT_EQ(workload.join(), "");
  const std::string difference = drainAndCompare();
  EXPECT_EQ(difference, "") << "the consumer's copy differs from the table";
  report(fmt::format(
      "SIGKILL: {} changes, {} kills ({} during the workload), {} row messages, {} duplicates "
      "({:.1f} per crash)",
      changes, kills, kills_during_workload, applied_.rowMessages(), applied_.duplicates(),
      static_cast<double>(applied_.duplicates()) / static_cast<double>(kills)));
  // What a crash can re-send: the unconfirmed window plus what was confirmed since the last save
  // (50 ms of throughput and one save, well under this; the tight bound is asserted by
  // SigkillUnderSteadyLoadResendsAtMostTheWindowPlus100Milliseconds).
  EXPECT_LE(applied_.duplicates(), kills * (kConfirmWindow + 2000));
  EXPECT_GT(kills_during_workload, 0u)
      << "no kill hit the workload: the test proved less than it says";
}

// (issue 16 item 10) SIGKILL under a steady 1,000 changes/s: each crash re-sends at most what was
// unconfirmed (confirm_window, small here so the bound is tight) plus 100 ms of changes, plus a
// margin for the workload's bursts (5-row updates, 3-statement transactions). The old 200 ms save
// interval let up to 200 ms of confirmed changes come again. The consumer applies messages between
// kills, so each crash's duplicates are counted apart. MM_STEADY_KILLS / _RATE / _WINDOW /
// _CHECKPOINT_MS size it (scripts/soak.sh; _CHECKPOINT_MS=200 shows the old cadence).
TEST_F(DeliveryFaults, SigkillUnderSteadyLoadResendsAtMostTheWindowPlus100Milliseconds) {
  const size_t kills = envSize("MM_STEADY_KILLS", 3);
  const size_t rate = envSize("MM_STEADY_RATE", 1000);
  const size_t window = envSize("MM_STEADY_WINDOW", 20);
  const size_t checkpoint_ms = envSize("MM_STEADY_CHECKPOINT_MS", 50);
  constexpr size_t kBurstMargin = 50;
  connectDurableConsumer();
  LiveMonitorTest::writeConfig(
      {.mysql = "database = " + database_,
       .monitor = fmt::format("checkpoint_interval_ms = {}\n", checkpoint_ms),
       .amqp = fmt::format("confirm_window = {}\n", window)});
  startMonitor();
  std::mt19937 random(static_cast<uint32_t>(getpid()));
  std::uniform_int_distribution<int> gap_ms(600, 1000);
  // Long enough for every kill and restart (~1.3 s each) to land inside it.
  BackgroundWorkload workload(env_, Workload(table(), static_cast<uint32_t>(getpid())).paced(rate),
                              rate * (kills * 2));
  auto applyFor = [&](std::chrono::milliseconds how_long) {
    const auto until = std::chrono::steady_clock::now() + how_long;
    while (std::chrono::steady_clock::now() < until) {
      for (const auto& message : consumer_.take(100000, 20ms)) {
        ASSERT_TRUE(applied_.apply(message).isOk());
      }
    }
  };
  std::vector<uint64_t> per_kill;
  uint64_t duplicates_before = 0;
  for (size_t kill = 0; kill <= kills; ++kill) {
    applyFor(std::chrono::milliseconds(gap_ms(random)));
    if (kill > 0) {
      per_kill.push_back(applied_.duplicates() - duplicates_before);
    }
    if (kill == kills) {
      break;
    }
    ASSERT_FALSE(workload.done()) << "the workload ended before kill " << kill + 1
                                  << ": the test proves less";
    duplicates_before = applied_.duplicates();
    ASSERT_EQ(monitor_.stop(SIGKILL), 128 + SIGKILL);
    startMonitor();
  }
  ASSERT_EQ(workload.join(), "");
  EXPECT_EQ(drainAndCompare(), "");
  const uint64_t bound = window + rate / 10 + kBurstMargin;
  report(fmt::format(
      "SIGKILL under {} changes/s, confirm_window {}, checkpoint every {} ms: duplicates per kill "
      "{} (bound {})",
      rate, window, checkpoint_ms, fmt::join(per_kill, ", "), bound));
  for (size_t kill = 0; kill < per_kill.size(); ++kill) {
    EXPECT_LE(per_kill[kill], bound)
        << "kill " << kill + 1 << " re-sent more than the window and 100 ms";
  }
}

// (f) A clean stop mid-stream drains and saves everything confirmed: nothing is sent twice.
TEST_F(DeliveryFaults, SigtermMidStreamExitsZeroAndResendsNothing) {
  connectDurableConsumer();
  writeConfig(env_.amqp_port);
  startMonitor();
  BackgroundWorkload workload(env_, Workload(table(), 7), 6000);
  // Stop once messages flow, so the stop finds work queued and in flight.
  while (applied_.rowMessages() < 300 && !workload.done()) {
    for (const auto& message : consumer_.take(100, 1s)) {
      ASSERT_TRUE(applied_.apply(message).isOk());
    }
  }
  const bool stopped_mid_workload = !workload.done();
  EXPECT_EQ(monitor_.stop(SIGTERM), 0) << "a SIGTERM stop must exit 0";
  startMonitor();
  ASSERT_EQ(workload.join(), "");
  EXPECT_EQ(drainAndCompare(), "");
  report(fmt::format("SIGTERM ({} the workload): {} row messages, {} duplicates",
                     stopped_mid_workload ? "during" : "after", applied_.rowMessages(),
                     applied_.duplicates()));
  EXPECT_TRUE(stopped_mid_workload)
      << "the workload ended before the stop: the test proved less than it says";
  EXPECT_EQ(applied_.duplicates(), 0u);
}

// (b) The broker restarts while changes stream: the monitor reconnects and republishes.
TEST_F(DeliveryFaults, BrokerRestartMidStreamLosesNothing) {
  connectDurableConsumer();
  writeConfig(env_.amqp_port);
  startMonitor();
  BackgroundWorkload workload(env_, Workload(table(), 11).paced(1000), 6000);
  std::this_thread::sleep_for(1000ms);
  const bool restarted_mid_workload = !workload.done();
  const std::string restart = fmt::format("{} restart-rabbit >/dev/null", MM_SERVICES_SCRIPT);
  ASSERT_EQ(std::system(restart.c_str()), 0) << restart;
  ASSERT_TRUE(waitFor([&] { return consumer_.reconnect().isOk(); }, 30s))
      << "the test consumer cannot reconnect";
  ASSERT_EQ(workload.join(), "");
  EXPECT_EQ(drainAndCompare(), "");
  EXPECT_GE(countOf(monitor_.log(), "publishing to the AMQP broker"), 2u)
      << "the monitor never reconnected";
  EXPECT_TRUE(restarted_mid_workload)
      << "the workload ended before the restart: the test proved less than it says";
  report(fmt::format("RabbitMQ restart ({} the workload): {} row messages, {} duplicates",
                     restarted_mid_workload ? "during" : "after", applied_.rowMessages(),
                     applied_.duplicates()));
}

// (c) Through a proxy: connections reset, then a black-holed link that only AMQP heartbeats
// (2 s here) can notice.
TEST_F(DeliveryFaults, DroppedAndStalledConnectionsLoseNothing) {
  TcpProxy proxy;
  ASSERT_TRUE(proxy.start(env_.amqp_host, env_.amqp_port).isOk());
  connectDurableConsumer();
  writeConfig(proxy.port(), "heartbeat = 2\n");
  startMonitor();
  BackgroundWorkload workload(env_, Workload(table(), 13).paced(400), 2000);
  std::this_thread::sleep_for(1000ms);
  proxy.dropConnections();
  std::this_thread::sleep_for(1500ms);
  const int accepted_before_stall = proxy.accepted();
  proxy.setStalled(true);
  std::this_thread::sleep_for(8s);
  proxy.setStalled(false);
  ASSERT_EQ(workload.join(), "");
  EXPECT_EQ(drainAndCompare(), "");
  EXPECT_GE(accepted_before_stall, 2) << "no reconnect after the reset";
  EXPECT_GT(proxy.accepted(), accepted_before_stall) << "the stalled link was never given up";
  report(fmt::format("proxy reset + stall: {} connections, {} row messages, {} duplicates",
                     proxy.accepted(), applied_.rowMessages(), applied_.duplicates()));
}

// (d) A broker memory alarm: connection.blocked pauses publishing, the pipeline backs up to the
// reader instead of growing, and everything flows once the alarm clears.
TEST_F(DeliveryFaults, BrokerMemoryAlarmBlocksPublishingWithBoundedMemory) {
  connectDurableConsumer();
  writeConfig(env_.amqp_port);
  startMonitor();
  const long rss_start = rssKib(monitor_.pid());
  setMemoryWatermark("0.0000001");
  // Rows of ~2 KB so the backlog weighs something.
  BackgroundWorkload workload(env_, Workload(table(), 17, 2000), 3000);
  ASSERT_TRUE(
      waitFor([&] { return monitor_.log().find("blocked publishing") != std::string::npos; }, 20s))
      << "the monitor never saw connection.blocked";
  // What the broker took before the alarm may still arrive; after that, nothing.
  std::this_thread::sleep_for(1s);
  for (const auto& message : consumer_.take(100000, 1s)) {
    ASSERT_TRUE(applied_.apply(message).isOk());
  }
  const size_t while_blocked = consumer_.take(1, 3s).size();
  long rss_peak = 0;
  while (!workload.done()) {
    rss_peak = std::max(rss_peak, rssKib(monitor_.pid()));
    std::this_thread::sleep_for(200ms);
  }
  for (int i = 0; i < 10; ++i) {  // the reader catches up with the backlog while still blocked
    rss_peak = std::max(rss_peak, rssKib(monitor_.pid()));
    std::this_thread::sleep_for(200ms);
  }
  const size_t queued_before_clear = applied_.rowMessages();
  setMemoryWatermark("0.4");
  ASSERT_EQ(workload.join(), "");
  EXPECT_EQ(while_blocked, 0u) << "a message arrived while the broker was blocked";
  EXPECT_EQ(drainAndCompare(), "");
  EXPECT_NE(monitor_.log().find("unblocked publishing"), std::string::npos);
  report(fmt::format(
      "memory alarm: RSS {} MiB at start, peak {} MiB while blocked (3000 changes of ~2 KB held "
      "back); {} row messages before the clear, {} after",
      rss_start / 1024, rss_peak / 1024, queued_before_clear, applied_.rowMessages()));
  // The queues between stages are bounded (64 MiB each); the backlog here is ~6 MiB of rows.
  EXPECT_LT(rss_peak - rss_start, 64 * 1024) << "RSS grew by more than the bounded queues allow";
}

// (issue 6 item 5) The broker unreachable while the workload goes on: the reader stops reading once
// the bounded queues fill, memory stays flat, and the backlog drains when the broker is back.
// MM_BROKER_DOWN_SECONDS sets how long (CI: 10; scripts/soak.sh: minutes).
TEST_F(DeliveryFaults, BrokerDownForAWhileKeepsMemoryFlatThenDrains) {
  const char* seconds_env = std::getenv("MM_BROKER_DOWN_SECONDS");
  const int down_seconds = seconds_env != nullptr ? std::max(1, std::atoi(seconds_env)) : 10;
  constexpr int kRate = 300;  // changes/s, rows of ~2 KB: ~0.6 MB/s of backlog while down
  TcpProxy proxy;
  ASSERT_TRUE(proxy.start(env_.amqp_host, env_.amqp_port).isOk());
  connectDurableConsumer();
  writeConfig(proxy.port());
  startMonitor();
  const long rss_start = rssKib(monitor_.pid());
  BackgroundWorkload workload(env_, Workload(table(), 23, 2000).paced(kRate),
                              kRate * (down_seconds + 4));
  std::this_thread::sleep_for(1s);
  proxy.setRefusing(true);
  long rss_peak = 0;
  const auto down_until = std::chrono::steady_clock::now() + std::chrono::seconds(down_seconds);
  while (std::chrono::steady_clock::now() < down_until) {
    rss_peak = std::max(rss_peak, rssKib(monitor_.pid()));
    std::this_thread::sleep_for(200ms);
  }
  proxy.setRefusing(false);
  ASSERT_EQ(workload.join(), "");
  // The reconnect backoff (up to 30 s) passes first, then the whole backlog.
  EXPECT_EQ(drainAndCompare(std::chrono::seconds(60 + down_seconds)), "");
  report(fmt::format(
      "broker down {} s during {} changes of ~2 KB at {}/s: RSS {} MiB at start, peak {} MiB "
      "while down; {} row messages, {} duplicates",
      down_seconds, kRate * (down_seconds + 4), kRate, rss_start / 1024, rss_peak / 1024,
      applied_.rowMessages(), applied_.duplicates()));
  EXPECT_LT(rss_peak - rss_start, 64 * 1024) << "RSS grew by more than the bounded queues allow";
#if !defined(__SANITIZE_ADDRESS__)
  EXPECT_LT(rss_peak, 100 * 1024) << "RSS over 100 MB with the broker down";
#endif
}

// x-consistent-hash (the plugin services.sh enables) with routing_key = {keys_hash}: every change
// of one row lands on the same queue, in order, while the rows spread over the queues.
TEST_F(DeliveryFaults, ConsistentHashExchangeKeepsEachRowOnOneQueue) {
  AmqpTestConsumer second;
  for (AmqpTestConsumer* queue : {&consumer_, &second}) {  // the binding key is the queue's weight
    Status status = queue->connect(env_.amqp_host, env_.amqp_port, env_.amqp_user,
                                   env_.amqp_password, exchange_, "x-consistent-hash", "1");
    ASSERT_TRUE(status.isOk()) << status.toString();
  }
  writeConfig(env_.amqp_port, "exchange_type = x-consistent-hash\nrouting_key = {keys_hash}\n");
  startMonitor();
  constexpr int kRows = 40;
  for (int id = 1; id <= kRows; ++id) {
    ASSERT_TRUE(
        sql_.execute(fmt::format("INSERT INTO {} VALUES ({}, 0, 'x')", table(), id)).isOk());
  }
  for (int round = 1; round <= 2; ++round) {
    ASSERT_TRUE(sql_.execute(fmt::format("UPDATE {} SET a = {}", table(), round)).isOk());
  }
  std::map<std::string, int> queue_of_row;  // keys JSON -> 0 or 1
  std::map<std::string, std::vector<std::string>> types_of_row;
  size_t received[2] = {0, 0};
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (received[0] + received[1] < 3 * kRows && std::chrono::steady_clock::now() < deadline) {
    for (int q = 0; q < 2; ++q) {
      for (const auto& message : (q == 0 ? consumer_ : second).take(200, 200ms)) {
        ++received[q];
        rapidjson::Document doc;
        doc.Parse(message.body.c_str());
        ASSERT_TRUE(doc.IsObject() && doc.HasMember("keys")) << message.body;
        const std::string row = std::to_string(doc["keys"]["id"].GetInt64());
        auto [it, first] = queue_of_row.emplace(row, q);
        EXPECT_EQ(it->second, q) << "row " << row << " reached both queues";
        types_of_row[row].push_back(doc["type"].GetString());
      }
    }
  }
  ASSERT_EQ(received[0] + received[1], 3u * kRows);
  EXPECT_GT(received[0], 0u) << "every row hashed to one queue: nothing was spread";
  EXPECT_GT(received[1], 0u) << "every row hashed to one queue: nothing was spread";
  for (const auto& [row, types] : types_of_row) {
    EXPECT_EQ(types, (std::vector<std::string>{"row_insert", "row_update", "row_update"}))
        << "row " << row;
  }
  report(fmt::format("x-consistent-hash over 2 queues: {} and {} messages of {} rows", received[0],
                     received[1], kRows));
}

// Routing: the template expands per row; the headers, when asked for, name database, table and
// type.
TEST_F(DeliveryFaults, RoutingKeyTemplateAndHeadersDescribeTheRow) {
  Status status = consumer_.connect(env_.amqp_host, env_.amqp_port, env_.amqp_user,
                                    env_.amqp_password, exchange_, "topic", "#");
  ASSERT_TRUE(status.isOk()) << status.toString();
  writeConfig(
      env_.amqp_port,
      "exchange_type = topic\nrouting_key = {database}.{table}.{type}.{keys_hash}\nheaders = on\n");
  startMonitor();
  ASSERT_TRUE(
      sql_.execute(fmt::format("INSERT INTO {} VALUES (7, 1, 'x'), (8, 1, 'y')", table())).isOk());
  ASSERT_TRUE(sql_.execute(fmt::format("UPDATE {} SET a = 2 WHERE id = 7", table())).isOk());
  auto messages = consumer_.take(3, 15s);
  ASSERT_EQ(messages.size(), 3u);
  const std::regex shape(database_ + R"(\.t\.(row_insert|row_update)\.([0-9a-f]{16}))");
  std::smatch insert7, insert8, update7;
  ASSERT_TRUE(std::regex_match(messages[0].routing_key, insert7, shape)) << messages[0].routing_key;
  ASSERT_TRUE(std::regex_match(messages[1].routing_key, insert8, shape)) << messages[1].routing_key;
  ASSERT_TRUE(std::regex_match(messages[2].routing_key, update7, shape)) << messages[2].routing_key;
  EXPECT_EQ(update7[1], "row_update");
  EXPECT_EQ(insert7[2], update7[2]) << "one row, one keys_hash";
  EXPECT_NE(insert7[2], insert8[2]) << "two rows, two keys_hashes";
  // The documented hash, computed here independently: FNV-1a 64 of the message's "keys" text.
  auto fnv1a = [](std::string_view text) {
    uint64_t hash = 14695981039346656037ull;
    for (const char c : text) {
      hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    }
    return fmt::format("{:016x}", hash);
  };
  EXPECT_EQ(insert7[2], fnv1a(R"({"id":7})"));
  EXPECT_EQ(insert8[2], fnv1a(R"({"id":8})"));
  using Headers = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(messages[2].headers,
            (Headers{{"database", database_}, {"table", "t"}, {"type", "row_update"}}));
}

// mandatory: a message no queue takes comes back and is retried (never dropped) until a queue is
// bound.
TEST_F(DeliveryFaults, UnroutableMandatoryMessageIsRetriedUntilAQueueIsBound) {
  writeConfig(env_.amqp_port, "mandatory = true\n");
  startMonitor();
  ASSERT_TRUE(sql_.execute(fmt::format("INSERT INTO {} VALUES (1, 1, 'kept')", table())).isOk());
  ASSERT_TRUE(waitFor(
      [&] { return monitor_.log().find("returned: 312 NO_ROUTE") != std::string::npos; }, 15s))
      << "the broker never returned the unroutable message";
  Status status = consumer_.connect(env_.amqp_host, env_.amqp_port, env_.amqp_user,
                                    env_.amqp_password, exchange_);
  ASSERT_TRUE(status.isOk()) << status.toString();
  auto messages = consumer_.take(1, 20s);
  ASSERT_EQ(messages.size(), 1u) << "the returned message was not published again";
  EXPECT_NE(messages[0].body.find(R"("b":"kept")"), std::string::npos) << messages[0].body;
}

}  // namespace
}  // namespace mm::test
