// Configuration: the origin's keys and defaults, errors that name file:line (or the variable, or
// the
// --set argument) and key with a suggestion or the allowed values, precedence file < environment <
// --set, password files, and config-example.cfg against the settings table.
#include "config/config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "config/ini_file.h"

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
  EXPECT_EQ(config->mysql.start_position.kind, binlog::StartPosition::Kind::Current);
  EXPECT_EQ(config->amqp.brokers, (std::vector<HostPort>{{"localhost", 5672}}));
  EXPECT_EQ(config->amqp.routing.expand({"row_insert", "shop", "orders", ""}), "monitor");
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
)",
                            "origin.cfg");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->monitor.log_level, LogLevel::Debug);
  EXPECT_EQ(config->monitor.delay_seconds, 5);
  EXPECT_EQ(config->monitor.delay_start_seconds, 3);
  EXPECT_EQ(config->monitor.state_path, "/var/lib/mysql-monitor");
  EXPECT_EQ(config->mysql.databases, std::vector<std::string>{"shop"});
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
  expectInvalid("[mysql]\nhost = a\nprot = 1\n",
                "bad.cfg:3: unknown key 'prot' in [mysql]; did you mean 'port'?");
}

TEST(Config, UnknownSectionIsAnError) {
  expectInvalid("[mysqll]\nhost = a\n", "bad.cfg:2: unknown section [mysqll]");
}

TEST(Config, MalformedValuesAreErrors) {
  expectInvalid("[mysql]\nport = 70000\n", "bad.cfg:2: [mysql] port: 70000 is outside 1..65535");
  expectInvalid("[mysql]\nport = 33o6\n", "'33o6' is not an integer (allowed: 1..65535)");
  expectInvalid("[mysql]\nserver_id = 0\n", "not a server id");
  expectInvalid("[monitor]\nlog_level = loud\n",
                "'loud' is not one of debug, info, warning, error");
  expectInvalid("[amqp]\nexchange_type = bogus\n", "'bogus' is not one of fanout");
  expectInvalid("[amqp]\nexchange =\n", "[amqp] exchange: is required and must not be empty");
}

TEST(Config, MalformedLinesAreErrors) {
  expectInvalid("[mysql\n", "bad.cfg:1: malformed section header");
  expectInvalid("[mysql]\njust words\n",
                "bad.cfg:2: expected 'key = value', a [section] or a comment");
  expectInvalid("host = a\n", "bad.cfg:1: key 'host' appears before any [section]");
}

TEST(Config, EnvironmentOverridesTheFile) {
  auto config = buildConfig("[mysql]\npassword = from-file\nport = 3307\n", "f.cfg",
                            {{"MYSQL_MONITOR_MYSQL_PASSWORD", "from-env"},
                             {"MYSQL_MONITOR_AMQP_EXCHANGE", "x"},
                             {"UNRELATED", "1"}},
                            {});
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->mysql.password, "from-env");
  EXPECT_EQ(config->mysql.port, 3307);
  EXPECT_EQ(config->amqp.exchange, "x");
}

TEST(Config, SetOverridesTheEnvironmentAndTheFile) {
  auto config =
      buildConfig("[mysql]\nport = 3307\nhost = file-host\nuser = file-user\n", "f.cfg",
                  {{"MYSQL_MONITOR_MYSQL_PORT", "3308"}, {"MYSQL_MONITOR_MYSQL_HOST", "env-host"}},
                  {"mysql.port=3309", "amqp.routing_key={database}.{table}=x", "mysql.database="});
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->mysql.port, 3309);                          // file < env < --set
  EXPECT_EQ(config->mysql.host, "env-host");                    // file < env
  EXPECT_EQ(config->mysql.user, "file-user");                   // file alone
  EXPECT_EQ(config->amqp.routing_key, "{database}.{table}=x");  // the value keeps later '='
  EXPECT_TRUE(config->mysql.databases.empty());
}

TEST(Config, LaterSetWinsOverEarlierSet) {
  auto config = buildConfig("", "f.cfg", {}, {"amqp.port=1000", "amqp.port=2000"});
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->amqp.port, 2000);
}

void expectBuildError(const Result<Config>& config, std::string_view needle) {
  ASSERT_FALSE(config.isOk()) << "accepted";
  EXPECT_EQ(config.status().code(), StatusCode::InvalidArgument);
  EXPECT_NE(config.status().message().find(needle), std::string::npos) << config.status().message();
}

TEST(Config, SetSyntaxErrorsNameTheArgument) {
  expectBuildError(buildConfig("", "f", {}, {"mysql.port"}),
                   "--set 'mysql.port': expected section.key=value (e.g. --set mysql.port=3307)");
  expectBuildError(buildConfig("", "f", {}, {"port=1"}),
                   "--set 'port': expected section.key=value");
  expectBuildError(buildConfig("", "f", {}, {".port=1"}),
                   "--set '.port': expected section.key=value");
  expectBuildError(buildConfig("", "f", {}, {"mysql.=1"}),
                   "--set 'mysql.': expected section.key=value");
  expectBuildError(buildConfig("", "f", {}, {"mysql.prot=1"}),
                   "--set mysql.prot: unknown key 'prot' in [mysql]; did you mean 'port'?");
  expectBuildError(buildConfig("", "f", {}, {"mysq.port=1"}),
                   "--set mysq.port: unknown section [mysq]; did you mean [mysql]?");
  expectBuildError(buildConfig("", "f", {}, {"mysql.port=x"}),
                   "--set mysql.port: [mysql] port: 'x' is not an integer (allowed: 1..65535)");
}

TEST(Config, MalformedLineIsNotRepeated) {
  auto config = parseConfig("[mysql]\npassword hunter2\n", "bad.cfg");
  ASSERT_FALSE(config.isOk());
  EXPECT_EQ(config.status().message().find("hunter2"), std::string::npos)
      << config.status().message();
}

TEST(Config, SetErrorsNeverRepeatTheValue) {
  auto config = buildConfig("", "f", {}, {"mysql.pasword=hunter2"});
  ASSERT_FALSE(config.isOk());
  EXPECT_EQ(config.status().message().find("hunter2"), std::string::npos)
      << config.status().message();
  EXPECT_NE(config.status().message().find("did you mean 'password'?"), std::string::npos)
      << config.status().message();
}

TEST(Config, UnknownKeySuggestsTheSectionThatHasIt) {
  expectInvalid("[mysql]\nexchange = x\n",
                "bad.cfg:2: unknown key 'exchange' in [mysql]; it belongs in [amqp]");
}

TEST(Config, UnknownKeyWithoutNearMatchListsTheSectionsKeys) {
  expectInvalid("[monitor]\ncolour = blue\n",
                "bad.cfg:2: unknown key 'colour' in [monitor] (known: log_level,");
}

TEST(Config, UnknownKeySuggestsTheClosestKey) {
  expectInvalid("[amqp]\nrouting_kye = x\n",
                "bad.cfg:2: unknown key 'routing_kye' in [amqp]; did you mean 'routing_key'?");
  expectInvalid("[monitor]\ndelaystart = 1\n", "did you mean 'delay_start'?");
}

TEST(Config, UnknownSectionSuggestsTheClosest) {
  expectInvalid("[amqq]\nhost = a\n", "bad.cfg:2: unknown section [amqq]; did you mean [amqp]?");
  expectInvalid("[rabbit]\nhost = a\n",
                "bad.cfg:2: unknown section [rabbit] (known: monitor, mysql, amqp");
}

TEST(Config, BadValuesNameKeyAndAllowedValues) {
  expectInvalid("[amqp]\nssl = maybe\n", "bad.cfg:2: [amqp] ssl: 'maybe' is not a boolean "
                                         "(allowed: true, false, yes, no, on, off, 1, 0)");
  expectInvalid("[monitor]\nlog_format = xml\n",
                "bad.cfg:2: [monitor] log_format: 'xml' is not one of text, json");
  expectInvalid("[monitor]\nlog_level = loud\n",
                "'loud' is not one of debug, info, warning, error");
  expectInvalid("[mysql]\non_position_lost = skip\n",
                "[mysql] on_position_lost: 'skip' is not one of fail, current");
  expectInvalid("[amqp]\nheaders = sometimes\n", "'sometimes' is not one of auto, on, off");
  expectInvalid("[amqp]\nexchange_type = bogus\n",
                "'bogus' is not one of fanout, direct, topic, headers, x-consistent-hash");
  expectInvalid("[amqp]\nport = 0\n", "bad.cfg:2: [amqp] port: 0 is outside 1..65535");
  expectInvalid("[amqp]\nconfirm_window = 0\n", "[amqp] confirm_window: 0 is outside 1..1000000");
  expectInvalid("[mysql]\nserver_id = 4294967296\n",
                "'4294967296' is not a server id (allowed: 1..4294967295)");
  expectInvalid("[mysql]\ntables = shop\n", "[mysql] tables: 'shop' is not a db.table pattern");
}

TEST(Config, OversizePolicyAndBrokerLimit) {
  auto config = parseConfig("[amqp]\non_oversize = stub\nmax_message_size = 134217728\n", "ok.cfg");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->amqp.on_oversize, OnOversize::Stub);
  EXPECT_EQ(config->amqp.max_message_size, 134217728);
  auto defaults = parseConfig("", "empty.cfg");
  ASSERT_TRUE(defaults.isOk());
  EXPECT_EQ(defaults->amqp.on_oversize, OnOversize::Fail);
  EXPECT_EQ(defaults->amqp.max_message_size, 0);
  expectInvalid("[amqp]\non_oversize = drop\n",
                "[amqp] on_oversize: 'drop' is not one of fail, stub");
  expectInvalid("[amqp]\nmax_message_size = 536870913\n",
                "[amqp] max_message_size: 536870913 is outside 0..536870912");
}

TEST(Config, MalformedBrokerListNamesFileAndLine) {
  expectInvalid("[amqp]\nhost = a, [::1:5672\n",
                "bad.cfg:2: [amqp] host: '[::1:5672' has no closing ']'");
  expectInvalid("[amqp]\nhost = ,\n", "bad.cfg:2: [amqp] host: ',' names no broker");
}

TEST(Config, RequiredKeysMustNotBeEmpty) {
  expectInvalid("[mysql]\nhost =\n", "bad.cfg:2: [mysql] host: is required and must not be empty");
  expectInvalid("[amqp]\nhost =\n", "bad.cfg:2: [amqp] host: '' names no broker");
  expectInvalid("[monitor]\nstate_path =\n",
                "[monitor] state_path: is required and must not be empty");
  expectInvalid("[amqp]\nssl = true\n", "missing required key [amqp] ssl_ca");
}

// [mysql] ssl (issue 16 item 1): MySQL's ssl modes; each needs the files it uses, and a file the
// mode would ignore is an error rather than a false sense of verification. Any readable regular
// file stands in for a PEM file here: only the connection reads their content.
TEST(Config, MysqlTlsModesAndTheFilesTheyNeed) {
  const std::string pem = MM_CONFIG_EXAMPLE;
  auto config = parseConfig(
      fmt::format("[mysql]\nssl = verify_identity\nssl_ca = {}\nssl_cert = {}\nssl_key = {}\n", pem,
                  pem, pem),
      "tls.cfg");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->mysql.ssl, MysqlSsl::VerifyIdentity);
  EXPECT_EQ(config->mysql.ssl_ca, pem);
  EXPECT_EQ(config->mysql.ssl_cert, pem);
  auto on = parseConfig("[mysql]\nssl = on\n", "tls.cfg");
  ASSERT_TRUE(on.isOk()) << on.status().toString();
  EXPECT_EQ(on->mysql.ssl, MysqlSsl::On);
  EXPECT_EQ(parseConfig("", "empty.cfg")->mysql.ssl, MysqlSsl::Off);

  expectInvalid("[mysql]\nssl = yes\n", "bad.cfg:2: [mysql] ssl: 'yes' is not one of");
  expectInvalid("[mysql]\nssl = verify_ca\n",
                "missing required key [mysql] ssl_ca: ssl = verify_ca or verify_identity");
  expectInvalid("[mysql]\nssl = verify_identity\n", "missing required key [mysql] ssl_ca");
  expectInvalid(fmt::format("[mysql]\nssl = on\nssl_cert = {}\n", pem),
                "[mysql] ssl_cert and ssl_key go together: set both or neither");
  expectInvalid(fmt::format("[mysql]\nssl_ca = {}\n", pem),
                "[mysql] ssl_ca/ssl_cert are set but ssl = off");
  expectInvalid(
      fmt::format("[mysql]\nssl = on\nssl_ca = {}\n", pem),
      "[mysql] ssl_ca is set but ssl = on, which does not check the server's certificate");
  expectInvalid(
      "[mysql]\nssl = verify_ca\nssl_ca = /nonexistent/ca.pem\n",
      "bad.cfg:3: [mysql] ssl_ca: cannot read /nonexistent/ca.pem: No such file or directory");
}

TEST(Config, DurationsTakeSecondsOrAUnit) {
  auto config = parseConfig("[monitor]\ndelay = 2m\ndelay_start = 30s\nheartbeat_interval = 1h\n"
                            "[mysql]\nheartbeat_period = 7\n",
                            "d.cfg");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->monitor.delay_seconds, 120);
  EXPECT_EQ(config->monitor.delay_start_seconds, 30);
  EXPECT_EQ(config->monitor.heartbeat_interval_seconds, 3600);
  EXPECT_EQ(config->mysql.heartbeat_period_seconds, 7);
  expectInvalid(
      "[monitor]\ndelay = 5x\n",
      "[monitor] delay: '5x' is not a duration (allowed: 0..86400 seconds, as 30, 30s, 5m or 1h)");
  expectInvalid("[monitor]\ndelay = m\n", "'m' is not a duration");
  expectInvalid("[monitor]\ndelay_start = 2h\n",
                "[monitor] delay_start: 2h is outside 0..3600 seconds");
  expectInvalid("[mysql]\nheartbeat_period = 0\n",
                "[mysql] heartbeat_period: 0 is outside 1..3600 seconds");
}

TEST(Config, StopTimeoutDefaultsToTenSecondsAndTakesADuration) {
  auto defaults = parseConfig("", "d.cfg");
  ASSERT_TRUE(defaults.isOk()) << defaults.status().toString();
  EXPECT_EQ(defaults->monitor.stop_timeout_seconds, 10);
  auto config = parseConfig("[monitor]\nstop_timeout = 1m\n", "d.cfg");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->monitor.stop_timeout_seconds, 60);
  expectInvalid("[monitor]\nstop_timeout = 0\n",
                "[monitor] stop_timeout: 0 is outside 1..3600 seconds");
}

TEST(Config, LogFormatJson) {
  auto config = parseConfig("[monitor]\nlog_format = JSON\n", "j.cfg");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->monitor.log_format, LogFormat::Json);
}

TEST(Config, BadEnvironmentValueNamesTheVariable) {
  auto config = buildConfig("", "f", {{"MYSQL_MONITOR_MYSQL_PORT", "many"}}, {});
  expectBuildError(config,
                   "environment MYSQL_MONITOR_MYSQL_PORT: [mysql] port: 'many' is not an integer");
}

TEST(Config, UnknownEnvironmentVariableGetsASuggestion) {
  expectBuildError(
      buildConfig("", "f", {{"MYSQL_MONITOR_MYSQL_PASWORD", "x"}}, {}),
      "environment MYSQL_MONITOR_MYSQL_PASWORD: unknown key 'pasword' in [mysql]; did you mean "
      "MYSQL_MONITOR_MYSQL_PASSWORD?");
  expectBuildError(buildConfig("", "f", {{"MYSQL_MONITOR_MYSQL_EXCHANGE", "x"}}, {}),
                   "it belongs in [amqp]: MYSQL_MONITOR_AMQP_EXCHANGE");
  expectBuildError(buildConfig("", "f", {{"MYSQL_MONITOR_AMPQ_HOST", "x"}}, {}),
                   "environment MYSQL_MONITOR_AMPQ_HOST: names no setting; did you mean "
                   "MYSQL_MONITOR_AMQP_HOST?");
}

TEST(Config, MissingFileIsAnErrorNamingIt) {
  auto config = loadConfig(ConfigSources{"/nonexistent/monitor.cfg", {}, {}});
  expectBuildError(config,
                   "cannot read config file /nonexistent/monitor.cfg: No such file or directory");
}

// A scratch directory for password files, removed afterwards.
class PasswordFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           fmt::format("mm-config-test-{}-{}", getpid(),
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& content) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(PasswordFile, IsReadWithoutOneTrailingNewline) {
  const std::string mysql = write("mysql", "s3cret\n");
  const std::string amqp = write("amqp", "two\nlines\r\n\n");
  auto config = parseConfig(
      fmt::format("[mysql]\npassword_file = {}\n[amqp]\npassword_file = {}\n", mysql, amqp),
      "p.cfg");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->mysql.password, "s3cret");
  EXPECT_EQ(config->amqp.password,
            "two\nlines\r\n");  // one newline dropped, the rest is the password's
}

TEST_F(PasswordFile, UnreadableFileIsAnErrorNamingIt) {
  const std::string missing = (dir_ / "missing").string();
  auto config =
      parseConfig(fmt::format("[mysql]\nuser = u\npassword_file = {}\n", missing), "p.cfg");
  expectBuildError(
      config,
      fmt::format("p.cfg:3: [mysql] password_file: cannot read {}: No such file or directory",
                  missing));
  // A directory opens but does not read.
  auto directory =
      buildConfig("", "p.cfg", {{"MYSQL_MONITOR_AMQP_PASSWORD_FILE", dir_.string()}}, {});
  expectBuildError(
      directory, fmt::format("environment MYSQL_MONITOR_AMQP_PASSWORD_FILE: [amqp] password_file: "
                             "cannot read {}",
                             dir_.string()));
}

TEST_F(PasswordFile, AndPasswordInTheSameSourceIsAnError) {
  const std::string path = write("pw", "x\n");
  expectBuildError(
      parseConfig(fmt::format("[mysql]\npassword = a\npassword_file = {}\n", path), "p.cfg"),
      "[mysql] password (p.cfg:2) and password_file (p.cfg:3) are both set: keep one");
  expectBuildError(
      buildConfig(
          "", "p.cfg",
          {{"MYSQL_MONITOR_AMQP_PASSWORD_FILE", path}, {"MYSQL_MONITOR_AMQP_PASSWORD", "b"}}, {}),
      "[amqp] password (environment MYSQL_MONITOR_AMQP_PASSWORD) and password_file (environment "
      "MYSQL_MONITOR_AMQP_PASSWORD_FILE) are both set: keep one");
}

TEST_F(PasswordFile, ALaterSourceWinsOverTheOther) {
  const std::string path = write("pw", "from-file\n");
  auto file_wins = buildConfig("[amqp]\npassword = guest\n", "p.cfg",
                               {{"MYSQL_MONITOR_AMQP_PASSWORD_FILE", path}}, {});
  ASSERT_TRUE(file_wins.isOk()) << file_wins.status().toString();
  EXPECT_EQ(file_wins->amqp.password, "from-file");
  auto password_wins = buildConfig(fmt::format("[amqp]\npassword_file = {}\n", path), "p.cfg",
                                   {{"MYSQL_MONITOR_AMQP_PASSWORD", "from-env"}}, {});
  ASSERT_TRUE(password_wins.isOk()) << password_wins.status().toString();
  EXPECT_EQ(password_wins->amqp.password, "from-env");
  EXPECT_EQ(password_wins->amqp.password_file, "");
}

// Issue 16, item 6: `password hunter2:x` was reported as "unknown key 'password hunter2'".
TEST(Config, AKeyWithSpacesIsRefusedWithoutRepeatingTheLine) {
  for (const char* line :
       {"password hunter2:x", "password hunter2=x", "pass word = hunter2", "[hunter2 x"}) {
    auto config = parseConfig(fmt::format("[mysql]\nhost = a\n{}\n", line), "bad.cfg");
    ASSERT_FALSE(config.isOk()) << line;
    const std::string& message = config.status().message();
    EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
    EXPECT_EQ(message.rfind("bad.cfg:3: ", 0), 0u) << message;
  }
}

TEST(Config, SetOfASecretIsRefusedWithThePlacesItMayComeFrom) {
  for (const std::string section : {"mysql", "amqp"}) {
    auto config = buildConfig("", "f", {}, {section + ".password=hunter2"});
    ASSERT_FALSE(config.isOk()) << section;
    const std::string& message = config.status().message();
    EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
    EXPECT_NE(message.find(fmt::format(
                  "--set {}.password: a secret is not accepted on the command line", section)),
              std::string::npos)
        << message;
    EXPECT_NE(message.find(
                  fmt::format("MYSQL_MONITOR_{}_PASSWORD", section == "mysql" ? "MYSQL" : "AMQP")),
              std::string::npos)
        << message;
    EXPECT_NE(message.find(fmt::format("[{}] password_file", section)), std::string::npos)
        << message;
  }
  // A password file path is no secret.
  EXPECT_FALSE(buildConfig("", "f", {}, {"mysql.password_file=/nonexistent"})
                   .status()
                   .message()
                   .find("not accepted") != std::string::npos);
}

TEST(Config, SetWithoutEqualsShowsTheArgumentOnlyWhenItNamesASetting) {
  auto value = buildConfig("", "f", {}, {"hunter2"});
  ASSERT_FALSE(value.isOk());
  EXPECT_EQ(value.status().message().find("hunter2"), std::string::npos)
      << value.status().message();
  EXPECT_NE(value.status().message().find("expected section.key=value"), std::string::npos);
}

TEST(Config, DuplicateKeyNamesBothLines) {
  expectInvalid("[mysql]\nport = 1\nhost = a\nport = 2\n",
                "bad.cfg:4: [mysql] port is set again (first at bad.cfg:2): keep one");
}

TEST(Config, DuplicateSectionNamesBothLines) {
  expectInvalid(
      "[mysql]\nport = 1\n\n[amqp]\nport = 2\n[mysql]\nhost = a\n",
      "bad.cfg:6: section [mysql] appears again (first at bad.cfg:1): merge them into one");
}

TEST(Config, AUtf8ByteOrderMarkIsAccepted) {
  auto config = parseConfig("\xEF\xBB\xBF[mysql]\nport = 3307\n", "bom.cfg");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->mysql.port, 3307);
  // Only at the start.
  expectInvalid("[mysql]\n\xEF\xBB\xBFport = 3307\n", "bad.cfg:2: expected 'key = value'");
}

// The origin's own config.cfg, as recorded in the shared fixtures (no key or section twice).
TEST(Config, TheOriginsRecordedConfigLoads) {
  const std::string path = MM_SHARED_FIXTURES_DIR "/../origin/config.cfg";
  if (!std::filesystem::exists(path)) {
    GTEST_SKIP() << "no origin fixture at " << path;
  }
  auto config = loadConfig(ConfigSources{path, {}, {}});
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->mysql.databases, std::vector<std::string>{"ogold_db"});
  EXPECT_EQ(config->amqp.exchange, "ogold_mysql_monitor");
}

// Issue 16, item 7: a 10 MB unknown key took 12.8 s and 3.8 GB to find a suggestion.
TEST(Config, AHugeUnknownKeyCostsLittleAndIsShownShortened) {
  const std::string key(10 << 20, 'k');
  const auto started = std::chrono::steady_clock::now();
  auto config = parseConfig("[mysql]\n" + key + " = 1\n", "big.cfg");
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(config.isOk());
  // The old search took 12.8 s and 3.8 GB (release build); linear work takes well under a second
  // even in a sanitizer build.
  EXPECT_LT(took, std::chrono::seconds(5));
  const std::string& message = config.status().message();
  EXPECT_LT(message.size(), 400u) << message.substr(0, 400);
  EXPECT_NE(
      message.find("big.cfg:2: unknown key '" + std::string(64, 'k') + "…' in [mysql] (known: "),
      std::string::npos)
      << message;
  // The same for a section, an environment variable and a value.
  const std::string long_name(1 << 20, 'k');
  expectInvalid("[" + long_name + "]\nhost = a\n",
                "unknown section [" + std::string(64, 'k') + "…] (known:");
  auto variable = buildConfig("", "f", {{"MYSQL_MONITOR_MYSQL_" + long_name, "1"}}, {});
  ASSERT_FALSE(variable.isOk());
  EXPECT_LT(variable.status().message().size(), 600u);
  auto value = parseConfig("[mysql]\nport = " + long_name + "\n", "bad.cfg");
  ASSERT_FALSE(value.isOk());
  EXPECT_EQ(value.status().message(), "bad.cfg:2: [mysql] port: '" + std::string(64, 'k') +
                                          "…' is not an integer (allowed: 1..65535)");
}

TEST(Config, ShownTextIsCutAtACharacterBoundaryAndHidesControls) {
  EXPECT_EQ(shownText("a\x1b[31mb"), "a?[31mb");
  const std::string accents = std::string(63, 'a') + "\xC3\xA9\xC3\xA9";  // 63 + "éé"
  EXPECT_EQ(shownText(accents), std::string(63, 'a') + "…");
  EXPECT_EQ(shownText(std::string(64, 'a')), std::string(64, 'a'));
}

// Issue 16, item 7: `delay = 1152921504606846977h` was 3600 s (the product wrapped).
TEST(Config, NumbersThatOverflowAreErrorsNamingTheKey) {
  expectInvalid("[monitor]\ndelay = 1152921504606846977h\n",
                "bad.cfg:2: [monitor] delay: 1152921504606846977h is outside 0..86400 seconds");
  expectInvalid("[monitor]\ndelay = 99999999999999999999\n",
                "bad.cfg:2: [monitor] delay: 99999999999999999999 is outside 0..86400 seconds");
  expectInvalid("[monitor]\ndelay = -5m\n",
                "bad.cfg:2: [monitor] delay: -5m is outside 0..86400 seconds");
  expectInvalid("[mysql]\nport = 4294970602\n",
                "bad.cfg:2: [mysql] port: 4294970602 is outside 1..65535");
  expectInvalid("[mysql]\nport = 99999999999999999999999\n",
                "bad.cfg:2: [mysql] port: 99999999999999999999999 is outside 1..65535");
  expectInvalid("[amqp]\nconfirm_window = -1\n", "[amqp] confirm_window: -1 is outside 1..1000000");
  expectInvalid("[mysql]\nserver_id = 18446744073709551617\n",
                "'18446744073709551617' is not a server id");
  auto config = parseConfig("[monitor]\ndelay = 24h\n", "ok.cfg");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->monitor.delay_seconds, 86400);
}

TEST(Config, AnUnreadableSslFileNamesTheSettingAndTheReason) {
  expectInvalid(
      "[amqp]\nssl_ca = /nonexistent/ca.pem\n",
      "bad.cfg:2: [amqp] ssl_ca: cannot read /nonexistent/ca.pem: No such file or directory");
  expectInvalid("[amqp]\nssl_cert = /dev\nssl_key = /dev\n",
                "bad.cfg:2: [amqp] ssl_cert: cannot read /dev: a directory, not a regular file");
}

TEST_F(PasswordFile, AFifoOrADeviceIsRefusedAtOnce) {
  const std::string fifo = (dir_ / "fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  expectBuildError(
      parseConfig(fmt::format("[mysql]\npassword_file = {}\n", fifo), "p.cfg"),
      fmt::format("p.cfg:2: [mysql] password_file: cannot read {}: a FIFO, not a regular file",
                  fifo));
  expectBuildError(parseConfig("[amqp]\npassword_file = /dev/zero\n", "p.cfg"),
                   "p.cfg:2: [amqp] password_file: cannot read /dev/zero: a character device, not "
                   "a regular file");
}

TEST_F(PasswordFile, LargerThan4KiBIsRefused) {
  const std::string path = write("big", std::string(4097, 'x'));
  expectBuildError(
      parseConfig(fmt::format("[mysql]\npassword_file = {}\n", path), "p.cfg"),
      fmt::format("p.cfg:2: [mysql] password_file: cannot read {}: larger than 4096 bytes", path));
}

TEST_F(PasswordFile, ReadableByOthersIsAWarningNamingPathAndMode) {
  const std::string open = write("open", "pw\n");
  ASSERT_EQ(::chmod(open.c_str(), 0644), 0);
  const std::string closed = write("closed", "pw\n");
  ASSERT_EQ(::chmod(closed.c_str(), 0600), 0);
  auto config = parseConfig(
      fmt::format("[mysql]\npassword_file = {}\n[amqp]\npassword_file = {}\n", open, closed),
      "p.cfg");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->mysql.password, "pw");
  ASSERT_EQ(config->warnings.size(), 1u);
  EXPECT_EQ(config->warnings[0],
            fmt::format("p.cfg:2: [mysql] password_file {} is readable by its group or by "
                        "others (mode 0644): chmod 600 it (or 400; Kubernetes: defaultMode "
                        "0400)",
                        open));
}

TEST_F(PasswordFile, TheConfigFileItselfMustBeARegularFile) {
  const std::string fifo = (dir_ / "monitor.cfg").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  expectBuildError(loadConfig(ConfigSources{fifo, {}, {}}),
                   fmt::format("cannot read config file {}: a FIFO, not a regular file", fifo));
  expectBuildError(
      loadConfig(ConfigSources{dir_.string(), {}, {}}),
      fmt::format("cannot read config file {}: a directory, not a regular file", dir_.string()));
  std::filesystem::create_symlink(dir_ / "loop", dir_ / "loop");
  const std::string looped = (dir_ / "loop" / "monitor.cfg").string();
  expectBuildError(
      loadConfig(ConfigSources{looped, {}, {}}),
      fmt::format("cannot read config file {}: Too many levels of symbolic links", looped));
}

TEST(Config, ExampleFileDocumentsEveryKeyWithItsDefault) {
  std::ifstream in(MM_CONFIG_EXAMPLE);
  ASSERT_TRUE(in) << MM_CONFIG_EXAMPLE;
  std::stringstream text;
  text << in.rdbuf();
  auto entries = parseIni(text.str(), MM_CONFIG_EXAMPLE);
  ASSERT_TRUE(entries.isOk()) << entries.status().toString();
  std::map<std::string, std::string> example;
  for (const IniEntry& e : *entries) {
    example[e.section + "." + e.key] = e.value;
  }
  const std::vector<KnownSetting> known = knownSettings();
  EXPECT_EQ(example.size(), known.size()) << "config-example.cfg has keys the settings table lacks";
  for (const KnownSetting& setting : known) {
    const std::string name = setting.section + "." + setting.key;
    auto it = example.find(name);
    if (it == example.end()) {
      ADD_FAILURE() << "config-example.cfg does not document [" << setting.section << "] "
                    << setting.key;
      continue;
    }
    EXPECT_EQ(it->second, setting.default_value)
        << "config-example.cfg shows another value than the default for " << name;
  }
  // And the file loads as it is.
  auto config = parseConfig(text.str(), MM_CONFIG_EXAMPLE);
  EXPECT_TRUE(config.isOk()) << config.status().toString();
}

// [mysql] start_position is parsed when the configuration loads (exit 2), not at first start; the
// typed value is what the stream resolves (moved here from tests/unit/app/configuration_test.cpp).
TEST(StartPosition, AcceptsKeywordsPositionsAndGtidSets) {
  for (const char* spec :
       {"current", "earliest", "mysql-bin.000001:4", "binlog.000042:91234", "0-1-100",
        "0-1-100,1-2-5", "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-100"}) {
    auto config = parseConfig(std::string("[mysql]\nstart_position = ") + spec + "\n", "start.cfg");
    ASSERT_TRUE(config.isOk()) << spec << ": " << config.status().toString();
    EXPECT_EQ(config->mysql.start_position.text, spec);
  }
}

TEST(StartPosition, IsTyped) {
  using Kind = binlog::StartPosition::Kind;
  auto at = parseConfig("[mysql]\nstart_position = mysql-bin.000042:91234\n", "start.cfg");
  ASSERT_TRUE(at.isOk()) << at.status().toString();
  EXPECT_EQ(at->mysql.start_position.kind, Kind::At);
  EXPECT_EQ(at->mysql.start_position.at, (binlog::Position{"mysql-bin.000042", 91234}));
  auto earliest = parseConfig("[mysql]\nstart_position = earliest\n", "start.cfg");
  ASSERT_TRUE(earliest.isOk());
  EXPECT_EQ(earliest->mysql.start_position.kind, Kind::Earliest);
  // A MySQL GTID set of one transaction also reads as FILE:POS; it is a GTID set.
  auto gtid =
      parseConfig("[mysql]\nstart_position = 3e11fa47-71ca-11e1-9e33-c80aa9429562:100\n", "s.cfg");
  ASSERT_TRUE(gtid.isOk());
  EXPECT_EQ(gtid->mysql.start_position.kind, Kind::Gtid);
  EXPECT_EQ(gtid->mysql.start_position.gtids.text(), "3e11fa47-71ca-11e1-9e33-c80aa9429562:100");
  auto mariadb = parseConfig("[mysql]\nstart_position = 0-1-100\n", "start.cfg");
  ASSERT_TRUE(mariadb.isOk());
  EXPECT_EQ(mariadb->mysql.start_position.gtids.dialect(), binlog::GtidDialect::Mariadb);
}

TEST(StartPosition, RejectsAnythingElseNamingWhereTheKeyAndTheForms) {
  // "," was a GTID set to the configuration check but none to the stream: now refused at load.
  for (const char* spec : {"latest", "mysql-bin.000001:3", "mysql-bin.000001:", ":100",
                           "mysql-bin.000001:x", ",", "mysql-bin.000001:99999999999999999999"}) {
    auto config = parseConfig(std::string("[mysql]\nstart_position = ") + spec + "\n", "start.cfg");
    ASSERT_FALSE(config.isOk()) << spec;
    EXPECT_EQ(config.status().code(), StatusCode::InvalidArgument);
    EXPECT_EQ(config.status().message(),
              std::string("start.cfg:2: [mysql] start_position: '") + spec +
                  "' is not one of current, earliest, FILE:POS (POS >= 4, e.g. "
                  "mysql-bin.000042:4) or a GTID set (MySQL uuid:1-100, MariaDB 0-1-100)");
  }
}

TEST(RoutingKey, IsParsedWhereItIsSet) {
  auto config = parseConfig("[amqp]\nrouting_key = {database}.{table}.{type}\n", "r.cfg");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->amqp.routing.expand({"row_update", "shop", "orders", ""}),
            "shop.orders.row_update");
  auto bad = parseConfig("[amqp]\nrouting_key = {databse}\n", "r.cfg");
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().message().rfind("r.cfg:2: [amqp] routing_key: ", 0), 0u)
      << bad.status().message();
}

TEST(Brokers, AreParsedOnceHostAndPortAreFinal) {
  // The port set after the host still applies to the hosts that name none.
  auto config = buildConfig("[amqp]\nhost = a, b:5673, [::1]\n", "b.cfg", {}, {"amqp.port=5700"});
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->amqp.brokers, (std::vector<HostPort>{{"a", 5700}, {"b", 5673}, {"::1", 5700}}));
}

TEST(Databases, AreAList) {
  auto config = parseConfig("[mysql]\ndatabase = shop, audit ,\n", "d.cfg");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->mysql.databases, (std::vector<std::string>{"shop", "audit"}));
}

}  // namespace
}  // namespace mm::config

namespace mm::config {
namespace {

// Issue 19: [monitor] state_store = mysql and its [state] server (docs/high-availability.md).
TEST(ConfigState, TheStateServerDefaultsToTheSourceAndIsCheckedWhenNamed) {
  auto config = buildConfig("[monitor]\nstate_store = mysql\nname = orders\n", "f.cfg", {}, {});
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->monitor.state_store, StateStoreKind::Mysql);
  EXPECT_EQ(config->monitor.name, "orders");
  EXPECT_EQ(config->state.database, "mysql_monitor");
  EXPECT_EQ(config->state.host, "") << "empty: the [mysql] source";
  EXPECT_EQ(config->state.lock_timeout_seconds, 10);
  auto named = buildConfig("[state]\nhost = state-db\nport = 3310\nuser = s\npassword = p\n"
                           "lock_timeout = 4\n",
                           "f.cfg", {{"MYSQL_MONITOR_STATE_DATABASE", "ha_state"}}, {});
  ASSERT_TRUE(named.isOk()) << named.status().toString();
  EXPECT_EQ(named->state.host, "state-db");
  EXPECT_EQ(named->state.port, 3310);
  EXPECT_EQ(named->state.database, "ha_state");
  EXPECT_EQ(named->state.lock_timeout_seconds, 4);
  expectBuildError(buildConfig("[monitor]\nstate_store = disk\n", "f.cfg", {}, {}), "state_store");
  expectBuildError(buildConfig("[state]\ndatabase = my-state; DROP\n", "f.cfg", {}, {}),
                   "[state] database 'my-state; DROP' is not a plain database name");
  expectBuildError(buildConfig("[state]\nuser = s\n", "f.cfg", {}, {}),
                   "[state] user/password are set but [state] host is not");
  expectBuildError(buildConfig("[state]\nlock_timeout = 1\n", "f.cfg", {}, {}), "lock_timeout");
  expectBuildError(
      buildConfig(fmt::format("[monitor]\nname = {}\n", std::string(65, 'n')), "f.cfg", {}, {}),
      "[monitor] name is 65 bytes long; at most 64");
}

}  // namespace
}  // namespace mm::config

namespace mm::config {
namespace {

// Issue 19 item 3: [mysql] host lists the servers of one GTID topology; a position means nothing
// on another, so a list needs resume_by = gtid.
TEST(ConfigState, AListOfSourceServersNeedsResumeByGtid) {
  auto config =
      buildConfig("[mysql]\nhost = db1,db2:3307\nport = 3310\nresume_by = gtid\n", "f.cfg", {}, {});
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->mysql.servers, (std::vector<HostPort>{{"db1", 3310}, {"db2", 3307}}));
  auto one = buildConfig("[mysql]\nhost = db1\n", "f.cfg", {}, {});
  ASSERT_TRUE(one.isOk()) << one.status().toString();
  EXPECT_EQ(one->mysql.servers, (std::vector<HostPort>{{"db1", 3306}}));
  expectBuildError(buildConfig("[mysql]\nhost = db1,db2\n", "f.cfg", {}, {}),
                   "[mysql] host lists several servers but [mysql] resume_by = position");
  expectBuildError(buildConfig("[mysql]\nhost = db1,db2:x\nresume_by = gtid\n", "f.cfg", {}, {}),
                   "[mysql] host");
}

}  // namespace
}  // namespace mm::config
