// Rows too large for the broker, and large rows in general, against the real servers (issue 16
// item 2). RabbitMQ refuses a body over its max_message_size (128 MiB by default) by closing the
// channel; before, the monitor reconnected and published the row again about three times a
// second, forever, with every later change stuck behind it. Now:
//   - on_oversize = fail: exit 1 with an error naming the row, the sizes and the fixes; the rows
//     before it delivered, nothing after it, the saved position before it, one refusal only;
//   - on_oversize = stub: a row_oversize message in the row's place, the later rows in order;
//   - a large row (16 MB LONGBLOB; MM_LARGE_ROW_MB for the 60 MB run of scripts/soak.sh) arrives
//     exact, with peak memory within twice its message plus 50 MB and given back afterwards.
// The broker's limit is lowered to a few KB for the fail test (rabbitmqctl eval, restored in
// TearDown even when the test fails; integration tests run one at a time).
#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <regex>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "checkpoint/state_file.h"
#include "common/base64.h"
#include "support/amqp_test_consumer.h"
#include "support/live_monitor_test.h"
#include "support/message_schema.h"

namespace mm::test {
namespace {

using namespace std::chrono_literals;

constexpr size_t kLimit = 4096;  // the broker's max_message_size in these tests
constexpr uint64_t kRabbitDefaultLimit = 134217728;

// The rows of the test: 1 and 3 small, 2 with a note that makes its message larger than kLimit.
constexpr size_t kLargeNote = 6000;

class Oversize : public LiveMonitorTest {
 protected:
  void SetUp() override {
    LiveMonitorTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    run(fmt::format("CREATE TABLE {}.t (id INT PRIMARY KEY, note LONGTEXT, b LONGBLOB)",
                    database_));
    Status consumer = consumer_.connect(env_.amqp_host, env_.amqp_port, env_.amqp_user,
                                        env_.amqp_password, exchange_);
    ASSERT_TRUE(consumer.isOk()) << consumer.toString();
  }

  void TearDown() override {
    if (broker_limit_lowered_) {
      setBrokerLimit(kRabbitDefaultLimit);
    }
    LiveMonitorTest::TearDown();
  }

  // RabbitMQ reads max_message_size when a channel opens, so the monitor's next channel has it.
  void setBrokerLimit(uint64_t bytes) {
    const char* node = std::getenv("MM_RABBIT_NODE");
    const std::string command =
        fmt::format("/usr/sbin/rabbitmqctl -n {} eval 'application:set_env(rabbit, "
                    "max_message_size, {}).' >/dev/null",
                    node != nullptr ? node : "mm-rabbit@localhost", bytes);
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    broker_limit_lowered_ = bytes != kRabbitDefaultLimit;
  }

  void insertThreeRows() {
    run(fmt::format("INSERT INTO {}.t (id, note) VALUES (1, 'first')", database_));
    run(fmt::format("INSERT INTO {}.t (id, note) VALUES (2, REPEAT('x', {}))", database_,
                    kLargeNote));
    run(fmt::format("INSERT INTO {}.t (id, note) VALUES (3, 'third')", database_));
  }

  AmqpTestConsumer consumer_;
  bool broker_limit_lowered_ = false;
};

rapidjson::Document parse(const std::string& body) {
  rapidjson::Document document;
  document.Parse(body.data(), body.size());
  EXPECT_FALSE(document.HasParseError()) << body.substr(0, 300);
  return document;
}

TEST_F(Oversize, FailStopsAtTheRowNamingItWithoutARepublishLoop) {
  setBrokerLimit(kLimit);
  writeConfig({.mysql = "database = " + database_});
  startMonitor();
  insertThreeRows();
  std::optional<int> exit_code;
  ASSERT_TRUE(waitFor([&] { return (exit_code = monitor_.exited()).has_value(); }, 15s))
      << "the monitor did not stop at the row the broker refuses";
  EXPECT_EQ(*exit_code, 1);

  const std::string log = monitor_.log();
  EXPECT_EQ(countOf(log, "406 PRECONDITION_FAILED"), 1u) << "the refused row was published again";
  const std::regex error(
      R"(error .*the row message of (\S+)\.t keys \{"id":2\} \(row_insert at ([^:\s]+):(\d+) row 0)"
      R"(.*is (\d+) bytes, more than the 4096 bytes .* max_message_size .* on_oversize = stub)");
  std::smatch found;
  ASSERT_TRUE(std::regex_search(log, found, error))
      << "no error naming the row, its size and the fixes";
  EXPECT_EQ(found[1].str(), database_);
  EXPECT_GT(std::stoul(found[4].str()), kLargeNote);

  // Row 1 arrived (twice when its confirm was lost with the channel: at least once), nothing after.
  const std::vector<ReceivedMessage> received = consumer_.take(3, 2s);
  ASSERT_GE(received.size(), 1u);
  for (const ReceivedMessage& message : received) {
    EXPECT_EQ(parse(message.body)["keys"]["id"].GetInt(), 1);
  }
  // The saved position is before row 2's rows event (which ends at the position the error names).
  checkpoint::StateFile state(dir_ + "/state/position");
  auto saved = state.load();
  ASSERT_TRUE(saved.isOk()) << saved.status().toString();
  EXPECT_EQ(saved->file, found[2].str());
  EXPECT_LT(saved->offset, std::stoull(found[3].str()));
}

TEST_F(Oversize, StubTakesTheRowsPlaceAndTheLaterRowsFollow) {
  // The limit configured: checked before publishing, the broker never refuses anything.
  writeConfig({.mysql = "database = " + database_,
               .amqp = fmt::format("on_oversize = stub\nmax_message_size = {}\n", kLimit)});
  startMonitor();
  insertThreeRows();
  const std::vector<ReceivedMessage> received = consumer_.take(3, 10s);
  ASSERT_EQ(received.size(), 3u);
  const std::vector<std::string> types = {"row_insert", "row_oversize", "row_insert"};
  for (size_t i = 0; i < received.size(); ++i) {
    EXPECT_TRUE(isValidMessage(received[i].body));
    rapidjson::Document message = parse(received[i].body);
    EXPECT_EQ(message["type"].GetString(), types[i]);
    EXPECT_EQ(message["keys"]["id"].GetInt(), static_cast<int>(i + 1));
    // The stub carries the row's own message id.
    EXPECT_EQ(received[i].message_id,
              fmt::format("{}:{}:{}", message["position"]["file"].GetString(),
                          message["position"]["pos"].GetUint64(),
                          message["position"]["row"].GetUint64()));
  }
  rapidjson::Document stub = parse(received[1].body);
  EXPECT_EQ(std::string(stub["row_type"].GetString()), "row_insert");
  EXPECT_EQ(std::string(stub["table_name"].GetString()), "t");
  EXPECT_GT(stub["message_size"].GetUint64(), kLargeNote);
  EXPECT_EQ(stub["max_message_size"].GetUint64(), kLimit);
  EXPECT_FALSE(monitor_.exited().has_value());
  EXPECT_EQ(countOf(monitor_.log(), "PRECONDITION_FAILED"), 0u);
  EXPECT_EQ(countOf(monitor_.log(), "publishing a row_oversize message in its place"), 1u);
}

// VmHWM (peak) or VmRSS (now) of a process in KiB, 0 when unknown.
long memoryKib(pid_t pid, const std::string& field) {
  std::ifstream status(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
    }
  }
  return 0;
}

void report(const std::string& what) { std::cout << "[ figures  ] " << what << std::endl; }

// Issue 16: a 16 MB LONGBLOB and a 60 MB LONGTEXT arrived exact, but the monitor peaked at 5x the
// row and kept 260 MB afterwards. Now: exact, peak within twice the message plus 50 MB, and the
// memory given back. MM_LARGE_BLOB_MB (16) and MM_LARGE_TEXT_MB (0: none in CI; 60 in
// scripts/soak.sh) size the rows.
TEST_F(Oversize, LargeRowsArriveExactWithBoundedMemoryGivenBack) {
  const size_t blob_mb = envSize("MM_LARGE_BLOB_MB", 16);
  const size_t text_mb = envSize("MM_LARGE_TEXT_MB", 0);
  // The server's default max_allowed_packet (16 MB) refuses to build such values; sessions opened
  // from now on take the new global value.
  auto old_packet = sql_.query("SELECT @@GLOBAL.max_allowed_packet");
  ASSERT_TRUE(old_packet.isOk() && !old_packet->empty());
  run("SET GLOBAL max_allowed_packet = 1073741824");
  struct RestorePacket {
    mysql::Connection& sql;
    std::string value;
    ~RestorePacket() { (void)sql.execute("SET GLOBAL max_allowed_packet = " + value); }
  } restore{sql_, (*old_packet)[0][0].value_or("16777216")};
  mysql::Connection big;
  ASSERT_TRUE(connectAdmin(env_, big).isOk());

  writeConfig({.mysql = "database = " + database_});
  startMonitor();
  const long rss_start = memoryKib(monitor_.pid(), "VmRSS");
  struct Row {
    const char* column;
    size_t bytes;
    std::string sql_value;  // builds the value on the server
    std::string expected;   // the JSON string the message must hold
  };
  std::vector<Row> rows;
  if (blob_mb > 0) {
    const std::string pattern("\x00\xFF\x7F\x80", 4);
    std::string bytes;
    bytes.reserve(blob_mb << 20);
    for (size_t i = 0; i < (blob_mb << 20) / pattern.size(); ++i) {
      bytes += pattern;
    }
    std::string base64;
    appendBase64({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, 0, base64);
    rows.push_back({"b", bytes.size(),
                    fmt::format("REPEAT(UNHEX('00FF7F80'), {})", bytes.size() / 4), base64});
  }
  if (text_mb > 0) {
    rows.push_back({"note", text_mb << 20, fmt::format("REPEAT('x', {})", text_mb << 20),
                    std::string(text_mb << 20, 'x')});
  }
  int id = 0;
  for (const Row& row : rows) {
    ++id;
    const auto started = std::chrono::steady_clock::now();
    Status inserted = big.execute(fmt::format("INSERT INTO {}.t (id, {}) VALUES ({}, {})",
                                              database_, row.column, id, row.sql_value));
    ASSERT_TRUE(inserted.isOk()) << inserted.toString();
    const std::vector<ReceivedMessage> received = consumer_.take(1, 60s);
    ASSERT_EQ(received.size(), 1u) << "the row of " << row.bytes << " bytes did not arrive";
    const auto took = std::chrono::steady_clock::now() - started;
    rapidjson::Document message = parse(received[0].body);
    ASSERT_TRUE(message.IsObject() && message.HasMember("values"));
    EXPECT_EQ(message["keys"]["id"].GetInt(), id);
    const rapidjson::Value& value = message["values"][row.column];
    ASSERT_TRUE(value.IsString());
    EXPECT_TRUE(std::string_view(value.GetString(), value.GetStringLength()) == row.expected)
        << row.column << ": the value differs from what was inserted";
    const long message_kib = static_cast<long>(received[0].body.size() / 1024);
    const long peak = memoryKib(monitor_.pid(), "VmHWM");
    // Given back: within 20 MB of where it started, once the message is confirmed and freed.
    long rss_after = 0;
    const bool given_back = waitFor(
        [&] { return (rss_after = memoryKib(monitor_.pid(), "VmRSS")) < rss_start + 20 * 1024; },
        10s);
    report(fmt::format(
        "{} MiB {} row: message {} MiB, delivered in {} ms; monitor RSS {} MiB before, peak {} MiB "
        "(bound 2 x message + 50 MiB = {} MiB), {} MiB after",
        row.bytes >> 20, row.column == std::string("b") ? "LONGBLOB" : "LONGTEXT",
        message_kib / 1024, std::chrono::duration_cast<std::chrono::milliseconds>(took).count(),
        rss_start / 1024, peak / 1024, (2 * message_kib + 50 * 1024) / 1024, rss_after / 1024));
#if !defined(__SANITIZE_ADDRESS__)
    // ASan's allocator keeps freed memory in quarantine and adds shadow memory: no bound holds.
    EXPECT_LE(peak, 2 * message_kib + 50 * 1024) << "peak RSS over twice the message plus 50 MB";
    EXPECT_TRUE(given_back) << "RSS still " << rss_after / 1024 << " MiB, started at "
                            << rss_start / 1024;
#else
    static_cast<void>(given_back);
#endif
  }
}

}  // namespace
}  // namespace mm::test
