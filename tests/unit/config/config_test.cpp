// Configuration: the origin's keys and defaults, errors that name file:line and key, environment
// overrides.
#include "config/config.h"

#include <gtest/gtest.h>

namespace mm::config {
namespace {

TEST(Config, DefaultsAreTheOrigins) {
  auto config = parseConfig("", "empty.cfg");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->amqp.exchange, "mysql-monitor");
  EXPECT_EQ(config->amqp.exchange_type, "fanout");
  EXPECT_EQ(config->amqp.routing_key, "monitor");
  EXPECT_EQ(config->amqp.port, 5672);
  EXPECT_EQ(config->mysql.port, 3306);
  EXPECT_EQ(config->monitor.delay_seconds, 0);
  EXPECT_EQ(config->monitor.log_level, LogLevel::Info);
  EXPECT_EQ(config->mysql.start_position, "current");
}

TEST(Config, ReadsTheOriginsExampleKeys) {
  // The origin's config-example.cfg, key for key (configparser syntax, ':' and '=' separators).
  auto config = parseConfig(R"(
[monitor]
log_level = debug
delay = 5
delay_start: 3
state_path = /var/lib/mysql-monitor

; a comment
[mysql]
database = shop
user = repl
password = secret
host = db.example
port = 3307
server_id = 77

[amqp]
user = u
password = p
host = mq.example
port = 5673
ssl = false
vhost = /prod
exchange = changes
exchange_type = topic
routing_key = rows
)", "origin.cfg");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->monitor.log_level, LogLevel::Debug);
  EXPECT_EQ(config->monitor.delay_seconds, 5);
  EXPECT_EQ(config->monitor.delay_start_seconds, 3);
  EXPECT_EQ(config->monitor.state_path, "/var/lib/mysql-monitor");
  EXPECT_EQ(config->mysql.database, "shop");
  EXPECT_EQ(config->mysql.user, "repl");
  EXPECT_EQ(config->mysql.password, "secret");
  EXPECT_EQ(config->mysql.port, 3307);
  EXPECT_EQ(config->mysql.server_id, 77u);
  EXPECT_EQ(config->amqp.vhost, "/prod");
  EXPECT_EQ(config->amqp.exchange, "changes");
  EXPECT_EQ(config->amqp.exchange_type, "topic");
  EXPECT_EQ(config->amqp.routing_key, "rows");
}

void expectInvalid(std::string_view text, std::string_view needle) {
  auto config = parseConfig(text, "bad.cfg");
  ASSERT_FALSE(config.isOk()) << "accepted: " << text;
  EXPECT_EQ(config.status().code(), StatusCode::InvalidArgument);
  EXPECT_NE(config.status().message().find(needle), std::string::npos) << config.status().message();
}

TEST(Config, UnknownKeyNamesFileLineAndKey) {
  expectInvalid("[mysql]\nhost = a\nprot = 1\n", "bad.cfg:3: unknown key 'prot' in [mysql]");
}

TEST(Config, UnknownSectionIsAnError) { expectInvalid("[mysqll]\nhost = a\n", "bad.cfg:2: unknown section [mysqll]"); }

TEST(Config, MalformedValuesAreErrors) {
  expectInvalid("[mysql]\nport = 70000\n", "bad.cfg:2: [mysql] port: 70000 is outside 1..65535");
  expectInvalid("[mysql]\nport = 33o6\n", "'33o6' is not an integer");
  expectInvalid("[mysql]\nserver_id = 0\n", "not a server id");
  expectInvalid("[monitor]\nlog_level = loud\n", "'loud' is not one of debug, info, warning, error");
  expectInvalid("[amqp]\nexchange_type = bogus\n", "'bogus' is not one of fanout");
  expectInvalid("[amqp]\nexchange =\n", "must not be empty");
}

TEST(Config, MalformedLinesAreErrors) {
  expectInvalid("[mysql\n", "bad.cfg:1: malformed section header");
  expectInvalid("[mysql]\njust words\n", "bad.cfg:2: expected 'key = value'");
  expectInvalid("host = a\n", "bad.cfg:1: 'host = a' appears before any [section]");
}

TEST(Config, EnvironmentOverridesTheFile) {
  auto config = parseConfig("[mysql]\npassword = from-file\nport = 3307\n", "f.cfg");
  ASSERT_TRUE(config.isOk());
  Status status = applyEnvironment(*config, {{"MYSQL_MONITOR_MYSQL_PASSWORD", "from-env"},
                                             {"MYSQL_MONITOR_AMQP_EXCHANGE", "x"},
                                             {"UNRELATED", "1"}});
  ASSERT_TRUE(status.isOk()) << status.toString();
  EXPECT_EQ(config->mysql.password, "from-env");
  EXPECT_EQ(config->mysql.port, 3307);
  EXPECT_EQ(config->amqp.exchange, "x");
}

TEST(Config, BadEnvironmentValueNamesTheVariable) {
  Config config;
  Status status = applyEnvironment(config, {{"MYSQL_MONITOR_MYSQL_PORT", "many"}});
  ASSERT_FALSE(status.isOk());
  EXPECT_NE(status.message().find("MYSQL_MONITOR_MYSQL_PORT"), std::string::npos) << status.message();
}

TEST(Config, MissingFileIsAnErrorNamingIt) {
  auto config = loadConfigFile("/nonexistent/monitor.cfg");
  ASSERT_FALSE(config.isOk());
  EXPECT_NE(config.status().message().find("/nonexistent/monitor.cfg"), std::string::npos);
}

}  // namespace
}  // namespace mm::config
