#include "support/live_monitor_test.h"

#include <cstdlib>

#include <signal.h>
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>

namespace mm::test {

using namespace std::chrono_literals;

void LiveMonitorTest::SetUp() {
  MM_REQUIRE_SERVERS(env);
  env_ = env;
  database_ = uniqueName("mmt_live");
  exchange_ = uniqueName("mm-live");
  dir_ = (std::filesystem::temp_directory_path() / uniqueName("mm-live")).string();
  std::filesystem::create_directories(dir_);
  ASSERT_TRUE(connectAdmin(env_, sql_).isOk());
  run(fmt::format("CREATE DATABASE {}", database_));
}

void LiveMonitorTest::TearDown() {
  if (HasFailure()) {
    std::cerr << "--- monitor log ---\n" << monitor_.log() << "\n" << moreLogs();
  }
  monitor_.stop(SIGKILL, 5s);
  // Reconnected when a test restarted the server.
  if (sql_.connected() || connectAdmin(env_, sql_).isOk()) {
    (void)sql_.execute(fmt::format("DROP DATABASE IF EXISTS {}", database_));
  }
  if (!dir_.empty()) {
    std::filesystem::remove_all(dir_);
  }
}

int runServices(const std::string& args) {
  return std::system(fmt::format("{} {} >/dev/null 2>&1", MM_SERVICES_SCRIPT, args).c_str());
}

void LiveMonitorTest::writeConfig(const ConfigLines& lines) {
  ASSERT_TRUE(writeTextFile(
      dir_ + "/monitor.cfg",
      fmt::format("[monitor]\nlog_level = info\nstate_path = {}/state\n{}"
                  "[mysql]\nhost = {}\nport = {}\nuser = {}\npassword = {}\n{}\nserver_id = {}\n"
                  "[amqp]\nhost = {}\nport = {}\nuser = {}\npassword = {}\nexchange = {}\n{}",
                  dir_, lines.monitor, env_.mysql_host,
                  lines.mysql_port != 0 ? lines.mysql_port : env_.mysql_port, env_.mysql_user,
                  env_.mysql_password, lines.mysql, serverId(),
                  lines.amqp_host.empty() ? env_.amqp_host : lines.amqp_host,
                  lines.amqp_port != 0 ? lines.amqp_port : env_.amqp_port, env_.amqp_user,
                  env_.amqp_password, exchange_, lines.amqp)));
}

std::pair<std::optional<int>, std::string> LiveMonitorTest::runToEnd(
    const std::vector<std::string>& args, std::chrono::milliseconds timeout,
    std::chrono::milliseconds* took) {
  MonitorProcess process;
  std::vector<std::string> argv{MM_MONITOR_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--config", dir_ + "/monitor.cfg"});
  const std::string log = fmt::format("{}/run-{}.log", dir_, ++runs_);
  EXPECT_TRUE(process.startCommand(argv, log));
  const auto started = std::chrono::steady_clock::now();
  std::optional<int> code;
  waitFor([&] { return (code = process.exited()).has_value(); }, timeout);
  if (took != nullptr) {
    *took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  started);
  }
  if (!code) {
    process.stop(SIGKILL, std::chrono::seconds(5));
  }
  return {code, process.log()};
}

void LiveMonitorTest::startMonitor() {
  const size_t streaming_before = countOf(monitor_.log(), "streaming binlog");
  ASSERT_TRUE(monitor_.start(dir_ + "/monitor.cfg", dir_ + "/monitor.log"));
  ASSERT_TRUE(
      waitFor([&] { return countOf(monitor_.log(), "streaming binlog") > streaming_before; }, 30s))
      << monitor_.log();
}

uint32_t LiveMonitorTest::serverId() { return 20000 + static_cast<uint32_t>(getpid() % 10000); }

void LiveMonitorTest::run(const std::string& sql) {
  Status status = sql_.execute(sql);
  ASSERT_TRUE(status.isOk()) << status.toString() << "\n" << sql.substr(0, 300);
}

}  // namespace mm::test
