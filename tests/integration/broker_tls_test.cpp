// TLS to the broker ([amqp] ssl, ssl_ca, ssl_verify, ssl_cert, ssl_key) against the real RabbitMQ:
// scripts/services.sh gives it an AMQPS listener whose certificate a test CA signs and which
// requires a client certificate of that CA. Changes flow over TLS; a wrong CA or a missing client
// certificate is a clear connection error, and nothing is published past it.
#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/amqp_test_consumer.h"
#include "support/monitor_process.h"
#include "support/sql_client.h"

namespace mm::test {
namespace {

using namespace std::chrono_literals;

std::string envOr(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

class BrokerTls : public ::testing::Test {
 protected:
  void SetUp() override {
    MM_REQUIRE_SERVERS(env);
    env_ = env;
    tls_port_ = envOr("MM_AMQP_TLS_PORT");
    ca_ = envOr("MM_AMQP_TLS_CA");
    cert_ = envOr("MM_AMQP_TLS_CLIENT_CERT");
    key_ = envOr("MM_AMQP_TLS_CLIENT_KEY");
    if (tls_port_.empty() || ca_.empty()) {
      GTEST_SKIP() << "the broker has no TLS listener: restart it with `scripts/services.sh "
                      "restart-rabbit` and source `scripts/services.sh env` again";
    }
    database_ = uniqueName("mmtls");
    exchange_ = uniqueName("mm-tls");
    dir_ = (std::filesystem::temp_directory_path() / uniqueName("mm-tls")).string();
    ASSERT_TRUE(connectAdmin(env_, sql_).isOk());
    ASSERT_TRUE(sql_.execute(fmt::format("CREATE DATABASE {}", database_)).isOk());
    ASSERT_TRUE(sql_.execute(fmt::format("CREATE TABLE {}.t (id INT PRIMARY KEY)", database_)).isOk());
    Status consumer = consumer_.connect(env_.amqp_host, env_.amqp_port, env_.amqp_user,
                                        env_.amqp_password, exchange_);
    ASSERT_TRUE(consumer.isOk()) << consumer.toString();
  }

  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "--- monitor log ---\n" << monitor_.log() << "\n";
    }
    monitor_.stop(SIGKILL, 5s);
    if (sql_.connected()) {
      (void)sql_.execute(fmt::format("DROP DATABASE IF EXISTS {}", database_));
    }
    std::filesystem::remove_all(dir_);
  }

  // Runs the monitor with these [amqp] TLS lines against the AMQPS listener.
  void startMonitor(const std::string& tls_lines) {
    ASSERT_TRUE(writeTextFile(dir_ + "/monitor.cfg", fmt::format(
        "[monitor]\nstate_path = {}/state\nheartbeat_interval = 0\n"
        "[mysql]\nhost = {}\nport = {}\nuser = {}\npassword = {}\ndatabase = {}\nserver_id = {}\n"
        "[amqp]\nhost = localhost\nport = {}\nuser = {}\npassword = {}\nexchange = {}\nssl = true\n{}",
        dir_, env_.mysql_host, env_.mysql_port, env_.mysql_user, env_.mysql_password, database_,
        31000 + getpid() % 10000, tls_port_, env_.amqp_user, env_.amqp_password, exchange_, tls_lines)));
    ASSERT_TRUE(monitor_.start(dir_ + "/monitor.cfg", dir_ + "/monitor.log"));
    ASSERT_TRUE(waitFor([&] { return monitor_.log().find("streaming binlog") != std::string::npos; }, 20s))
        << "the monitor never started streaming";
  }

  void insert(int id) {
    ASSERT_TRUE(sql_.execute(fmt::format("INSERT INTO {}.t VALUES ({})", database_, id)).isOk());
  }

  ServerEnvironment env_;
  std::string tls_port_, ca_, cert_, key_;
  std::string database_, exchange_, dir_;
  mysql::Connection sql_;
  AmqpTestConsumer consumer_;
  MonitorProcess monitor_;
};

TEST_F(BrokerTls, ChangesFlowOverTlsWithAVerifiedBrokerAndAClientCertificate) {
  startMonitor(fmt::format("ssl_ca = {}\nssl_verify = true\nssl_cert = {}\nssl_key = {}\n", ca_, cert_, key_));
  insert(1);
  auto messages = consumer_.take(1, 15s);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_NE(messages[0].body.find(R"("type":"row_insert")"), std::string::npos) << messages[0].body;
  EXPECT_NE(monitor_.log().find(fmt::format("publishing to the AMQP broker localhost:{} (TLS)", tls_port_)),
            std::string::npos);
  EXPECT_EQ(monitor_.stop(SIGTERM), 0);
}

TEST_F(BrokerTls, BrokerCertificateFromAnotherCaIsRefused) {
  // The client certificate is no CA: nothing verifies the broker's certificate against it.
  startMonitor(fmt::format("ssl_ca = {}\nssl_verify = true\nssl_cert = {}\nssl_key = {}\n", cert_, cert_, key_));
  insert(1);
  EXPECT_TRUE(waitFor([&] { return monitor_.log().find("(TLS): cannot connect") != std::string::npos; }, 15s))
      << monitor_.log();
  EXPECT_TRUE(consumer_.take(1, 2s).empty()) << "nothing may be published over an unverified link";
}

TEST_F(BrokerTls, MissingClientCertificateIsRefusedByTheBroker) {
  startMonitor(fmt::format("ssl_ca = {}\nssl_verify = true\n", ca_));
  insert(1);
  EXPECT_TRUE(waitFor([&] { return monitor_.log().find("require a client certificate") != std::string::npos; }, 15s))
      << monitor_.log();
  EXPECT_TRUE(consumer_.take(1, 2s).empty());
}

}  // namespace
}  // namespace mm::test
