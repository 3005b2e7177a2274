// The daemon's lifecycle against the servers of scripts/services.sh (issue 16, items 3-5): one
// monitor per state_path (a second one exits 1 naming the first one's PID), SIGHUP logged and
// survived, SIGTERM honoured while the server or the broker accepts the connection and never
// answers, and refusals (credentials, vhost, exchange type) ending the daemon at once with the
// text and fix that `check` prints, where the old daemon retried forever.
#include <signal.h>

#include <chrono>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/live_monitor_test.h"
#include "support/monitor_process.h"
#include "support/tcp_proxy.h"

namespace mm::test {
namespace {

using namespace std::chrono_literals;

class Lifecycle : public LiveMonitorTest {
 protected:
  void SetUp() override {
    LiveMonitorTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    run(fmt::format("CREATE TABLE {}.item (id INT PRIMARY KEY)", database_));
  }

  ConfigLines lines() const {
    ConfigLines l;
    l.mysql = fmt::format("database = {}", database_);
    return l;
  }

  // The daemon ends at once with exit 1 and a refusal whose "fix: ..." `check` prints too.
  void expectRefusedLikeCheck(const std::string& what, const std::string& fix_start) {
    std::chrono::milliseconds took{};
    auto [code, log] = runToEnd({"run"}, 10s, &took);
    EXPECT_EQ(code, 1) << what << " (the old daemon retried forever)\n" << log;
    EXPECT_LT(took, 8s) << what;
    const size_t fix = log.find("fix: " + fix_start);
    ASSERT_NE(fix, std::string::npos) << what << ": no fix in\n" << log;
    const std::string fix_text = log.substr(fix, log.find('\n', fix) - fix);
    auto [check_code, check_log] = runToEnd({"check"}, 20s);
    EXPECT_EQ(check_code, 1) << what << "\n" << check_log;
    EXPECT_NE(check_log.find(fix_text), std::string::npos)
        << what << ": check does not print the daemon's \"" << fix_text << "\"\n"
        << check_log;
  }
};

TEST_F(Lifecycle, SecondInstanceIsRefusedNamingThePidAndSighupIsLoggedAndSurvived) {
  writeConfig(lines());
  startMonitor();
  auto [code, log] = runToEnd({"run"}, 10s);
  EXPECT_EQ(code, 1) << log;
  EXPECT_NE(log.find(fmt::format("another mysql-monitor (pid {}) is running on state_path {}/state",
                                 monitor_.pid(), dir_)),
            std::string::npos)
      << log;
  EXPECT_NE(log.find(dir_ + "/state/lock"), std::string::npos) << log;
  EXPECT_EQ(countOf(monitor_.log(), "streaming binlog"), 1u) << "the first monitor was disturbed";
  // Readers of the state take no lock: status works while the daemon holds it.
  auto [status_code, status_log] = runToEnd({"status"}, 20s);
  EXPECT_EQ(status_code, 0) << status_log;

  ASSERT_EQ(::kill(monitor_.pid(), SIGHUP), 0);
  EXPECT_TRUE(waitFor(
      [&] { return monitor_.log().find("received Hangup: ignored") != std::string::npos; }, 5s))
      << monitor_.log();
  EXPECT_FALSE(monitor_.exited().has_value()) << "SIGHUP ended the daemon";
  EXPECT_EQ(monitor_.stop(SIGTERM, 10s), 0);
}

TEST_F(Lifecycle, SigtermDuringASilentMysqlHandshakeExitsZeroAtOnce) {
  TcpProxy silent;
  ASSERT_TRUE(silent.start(env_.mysql_host, env_.mysql_port).isOk());
  silent.setStalled(true);  // accepts and never answers: no greeting
  ConfigLines l = lines();
  l.mysql_port = silent.port();
  writeConfig(l);
  ASSERT_TRUE(monitor_.start(dir_ + "/monitor.cfg", dir_ + "/monitor.log"));
  ASSERT_TRUE(waitFor([&] { return silent.accepted() > 0; }, 10s)) << monitor_.log();
  std::this_thread::sleep_for(200ms);  // inside the handshake
  const auto asked = std::chrono::steady_clock::now();
  EXPECT_EQ(monitor_.stop(SIGTERM, 5s), 0) << monitor_.log();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 2s) << monitor_.log();
}

TEST_F(Lifecycle, SigtermWhileTheBrokerIsSilentExitsZeroAtOnce) {
  TcpProxy silent;
  ASSERT_TRUE(silent.start(env_.amqp_host, env_.amqp_port).isOk());
  silent.setStalled(true);  // accepts and never answers the AMQP handshake
  ConfigLines l = lines();
  l.amqp_port = silent.port();
  writeConfig(l);
  ASSERT_TRUE(monitor_.start(dir_ + "/monitor.cfg", dir_ + "/monitor.log"));
  ASSERT_TRUE(waitFor([&] { return silent.accepted() > 0; }, 10s)) << monitor_.log();
  std::this_thread::sleep_for(200ms);
  const auto asked = std::chrono::steady_clock::now();
  EXPECT_EQ(monitor_.stop(SIGTERM, 5s), 0) << monitor_.log();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 2s) << monitor_.log();
}

TEST_F(Lifecycle, RefusalsEndTheDaemonAtOnceWithTheTextCheckPrints) {
  ConfigLines l = lines();
  l.amqp = "vhost = mm-no-such-vhost\n";
  writeConfig(l);
  expectRefusedLikeCheck("missing vhost", "create the vhost");

  // The exchange exists as a topic exchange (check declares it); the monitor asks for fanout.
  l.amqp = "exchange_type = topic\n";
  writeConfig(l);
  runToEnd({"check"}, 20s);
  l.amqp = "exchange_type = fanout\n";
  writeConfig(l);
  expectRefusedLikeCheck("exchange of another type", "the exchange exists with another type");

  // writeConfig() takes the passwords from env_ (a copy of the test's environment).
  l.amqp = "";
  const ServerEnvironment servers = env_;
  env_.amqp_password = "not-the-password";
  writeConfig(l);
  expectRefusedLikeCheck("wrong AMQP password", "check [amqp] user and password");

  env_ = servers;
  env_.mysql_password = "not-the-password";
  writeConfig(l);
  env_ = servers;
  expectRefusedLikeCheck("wrong MySQL password", "check [mysql] user and password");
}

}  // namespace
}  // namespace mm::test
