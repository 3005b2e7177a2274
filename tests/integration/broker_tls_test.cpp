// TLS to the broker ([amqp] ssl, ssl_ca, ssl_verify, ssl_cert, ssl_key) against the real RabbitMQ:
// scripts/services.sh gives it an AMQPS listener whose certificate a test CA signs and which
// requires a client certificate of that CA. Changes flow over TLS; a wrong CA or a missing client
// certificate is a clear connection error, and nothing is published past it.
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

class BrokerTls : public LiveMonitorTest {
 protected:
  void SetUp() override {
    LiveMonitorTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    tls_port_ = envOr("MM_AMQP_TLS_PORT");
    ca_ = envOr("MM_AMQP_TLS_CA");
    cert_ = envOr("MM_AMQP_TLS_CLIENT_CERT");
    key_ = envOr("MM_AMQP_TLS_CLIENT_KEY");
    if (tls_port_.empty() || ca_.empty()) {
      GTEST_SKIP() << "the broker has no TLS listener: restart it with `scripts/services.sh "
                      "restart-rabbit` and source `scripts/services.sh env` again";
    }
    run(fmt::format("CREATE TABLE {}.t (id INT PRIMARY KEY)", database_));
    Status consumer = consumer_.connect(env_.amqp_host, env_.amqp_port, env_.amqp_user,
                                        env_.amqp_password, exchange_);
    ASSERT_TRUE(consumer.isOk()) << consumer.toString();
  }

  // Runs the monitor with these [amqp] TLS lines against the AMQPS listener, by the host name its
  // certificate names.
  void startOverTls(const std::string& tls_lines) {
    writeConfig({.mysql = "database = " + database_,
                 .monitor = "heartbeat_interval = 0\n",
                 .amqp = "ssl = true\n" + tls_lines,
                 .amqp_host = "localhost",
                 .amqp_port = std::stoi(tls_port_)});
    startMonitor();
  }

  void insert(int id) {
    ASSERT_TRUE(sql_.execute(fmt::format("INSERT INTO {}.t VALUES ({})", database_, id)).isOk());
  }

  std::string tls_port_, ca_, cert_, key_;
  AmqpTestConsumer consumer_;
};

TEST_F(BrokerTls, ChangesFlowOverTlsWithAVerifiedBrokerAndAClientCertificate) {
  startOverTls(fmt::format("ssl_ca = {}\nssl_verify = true\nssl_cert = {}\nssl_key = {}\n", ca_,
                           cert_, key_));
  insert(1);
  auto messages = consumer_.take(1, 15s);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_NE(messages[0].body.find(R"("type":"row_insert")"), std::string::npos) << messages[0].body;
  EXPECT_NE(monitor_.log().find(
                fmt::format("publishing to the AMQP broker localhost:{} (TLS)", tls_port_)),
            std::string::npos);
  EXPECT_EQ(monitor_.stop(SIGTERM), 0);
}

TEST_F(BrokerTls, BrokerCertificateFromAnotherCaIsRefused) {
  // The client certificate is no CA: nothing verifies the broker's certificate against it.
  startOverTls(fmt::format("ssl_ca = {}\nssl_verify = true\nssl_cert = {}\nssl_key = {}\n", cert_,
                           cert_, key_));
  insert(1);
  EXPECT_TRUE(waitFor(
      [&] { return monitor_.log().find("(TLS): cannot connect") != std::string::npos; }, 15s))
      << monitor_.log();
  EXPECT_TRUE(consumer_.take(1, 2s).empty()) << "nothing may be published over an unverified link";
}

TEST_F(BrokerTls, MissingClientCertificateIsRefusedByTheBroker) {
  startOverTls(fmt::format("ssl_ca = {}\nssl_verify = true\n", ca_));
  insert(1);
  EXPECT_TRUE(waitFor(
      [&] { return monitor_.log().find("require a client certificate") != std::string::npos; },
      15s))
      << monitor_.log();
  EXPECT_TRUE(consumer_.take(1, 2s).empty());
}

}  // namespace
}  // namespace mm::test
