// TLS to MySQL ([mysql] ssl, ssl_ca; issue 16 item 1) against the real MariaDB: scripts/services.sh
// gives the server a certificate of its test CA (issued to localhost and 127.0.0.1) and an account,
// monitor_tls, that may only log in over TLS (REQUIRE SSL). Changes flow over a verified link and
// `check` says so; a CA that did not sign the server's certificate, and a plain login the server
// refuses, end the daemon at once with an error naming the setting to change.
#include <signal.h>

#include <cstdlib>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/amqp_test_consumer.h"
#include "support/live_monitor_test.h"
#include "support/monitor_process.h"
#include "support/sql_client.h"

namespace mm::test {
namespace {

using namespace std::chrono_literals;

class MysqlTls : public LiveMonitorTest {
 protected:
  void SetUp() override {
    LiveMonitorTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    ca_ = envOr("MM_MYSQL_TLS_CA");
    not_a_ca_ = envOr("MM_AMQP_TLS_CLIENT_CERT");
    if (ca_.empty() || envOr("MM_MYSQL_TLS_USER").empty()) {
      GTEST_SKIP()
          << "the services have no MySQL TLS account: run `scripts/services.sh restart` and "
             "source `scripts/services.sh env` again";
    }
    // writeConfig() logs in as env_'s user: the account that must use TLS.
    env_.mysql_user = envOr("MM_MYSQL_TLS_USER");
    env_.mysql_password = envOr("MM_MYSQL_TLS_PASSWORD");
    run(fmt::format("CREATE TABLE {}.t (id INT PRIMARY KEY)", database_));
  }

  void writeTlsConfig(const std::string& tls_lines) {
    writeConfig({.mysql = fmt::format("database = {}\n{}", database_, tls_lines),
                 .monitor = "heartbeat_interval = 0\n"});
  }

  // The daemon ends with exit 1 within a few seconds (a refusal is not retried) and says `needle`.
  void expectRefused(const std::string& what, const std::string& needle) {
    std::chrono::milliseconds took{};
    auto [code, log] = runToEnd({"run"}, 15s, &took);
    EXPECT_EQ(code, 1) << what << "\n" << log;
    EXPECT_LT(took, 10s) << what << ": a refusal must not be retried";
    EXPECT_NE(log.find(needle), std::string::npos) << what << ": no \"" << needle << "\" in\n"
                                                   << log;
  }

  std::string ca_, not_a_ca_;
};

TEST_F(MysqlTls, ChangesFlowOverAVerifiedConnectionAndCheckSaysSo) {
  AmqpTestConsumer consumer;
  ASSERT_TRUE(
      consumer
          .connect(env_.amqp_host, env_.amqp_port, env_.amqp_user, env_.amqp_password, exchange_)
          .isOk());
  writeTlsConfig(fmt::format("ssl = verify_identity\nssl_ca = {}\n", ca_));
  startMonitor();
  run(fmt::format("INSERT INTO {}.t VALUES (7)", database_));
  auto messages = consumer.take(1, 15s);
  ASSERT_EQ(messages.size(), 1u) << monitor_.log();
  EXPECT_NE(messages[0].body.find(R"("keys":{"id":7})"), std::string::npos) << messages[0].body;
  EXPECT_EQ(monitor_.stop(SIGTERM, 10s), 0);

  auto [code, out] = runToEnd({"check"}, 20s);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("ok    MySQL TLS: encrypted (TLSv1."), std::string::npos) << out;
  EXPECT_NE(out.find(fmt::format("server certificate verified: signed by {} and issued to {}", ca_,
                                 env_.mysql_host)),
            std::string::npos)
      << out;
}

TEST_F(MysqlTls, ACaThatDidNotSignTheServersCertificateIsRefused) {
  // A certificate the test CA issued to a client is no CA: nothing the server presents chains to
  // it.
  writeTlsConfig(fmt::format("ssl = verify_ca\nssl_ca = {}\n", not_a_ca_));
  expectRefused(
      "wrong CA",
      fmt::format("([mysql] ssl = verify_ca); fix: [mysql] ssl_ca ({}) must be the CA that "
                  "signed the server's certificate",
                  not_a_ca_));
}

TEST_F(MysqlTls, APlainLoginTheServerRefusesNamesTheSslSetting) {
  writeTlsConfig("ssl = off\n");
  expectRefused(
      "plain login to a REQUIRE SSL account",
      "if the server or the account requires TLS (require_secure_transport, REQUIRE SSL), set "
      "[mysql] ssl = verify_identity with ssl_ca (or ssl = on)");
}

}  // namespace
}  // namespace mm::test
