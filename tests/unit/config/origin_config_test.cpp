// A config.cfg written for the Python monitor means here what it meant there (issue 20, item 2):
// ConfigParser's syntax, its key names and log levels, state_path naming the state file, the CA
// default for ssl = true, and what `check` reports where we deliberately differ.
#include "config/origin_config.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "config/config.h"
#include "support/monitor_process.h"
#include "support/test_directory.h"

namespace mm::config {
namespace {

Config parsed(std::string_view text) {
  auto config = parseConfig(text, "origin.cfg");
  EXPECT_TRUE(config.isOk()) << config.status().toString();
  return config.isOk() ? *config : Config{};
}

bool mentions(const std::vector<std::string>& lines, std::string_view needle) {
  for (const std::string& line : lines) {
    if (line.find(needle) != std::string::npos) {
      return true;
    }
  }
  return false;
}

TEST(OriginConfig, TheFixturesConfigLoadsWithItsMeaning) {
  const std::string path = std::string(MM_ORIGIN_FIXTURES_DIR) + "/config.cfg";
  std::ifstream in(path);
  if (!in) {
    GTEST_SKIP() << path << " not found";
  }
  std::stringstream text;
  text << in.rdbuf();
  const Config config = parsed(text.str());
  EXPECT_EQ(config.monitor.log_level, LogLevel::Info);
  EXPECT_EQ(config.monitor.delay_seconds, 0);
  EXPECT_EQ(config.mysql.databases, std::vector<std::string>{"ogold_db"});
  EXPECT_EQ(config.mysql.server_id, 90417u);
  EXPECT_EQ(config.amqp.exchange, "ogold_mysql_monitor");
  EXPECT_FALSE(config.amqp.ssl);
  // Written for the origin: `check` says where it means something else here.
  EXPECT_TRUE(mentions(config.origin_differences, "[message] format = native"));
  EXPECT_TRUE(mentions(config.origin_differences, "[monitor] state_path is not set"));
  EXPECT_FALSE(mentions(config.origin_differences, "[monitor] delay is not set"));
  EXPECT_EQ(config.monitor.origin_state_file, "data/state.json");
}

TEST(OriginConfig, ConfigParserSyntax) {
  const Config config = parsed("[DEFAULT]\nhost = 10.0.0.9\n"
                               "[monitor]\nDelay: 5 ; seconds\nLOG_LEVEL = Critical\n"
                               "[mysql]\nport = 3307 ; the replica\npassword = se;cret\n"
                               "[amqp]\nhost = broker\npassword = \"\"\n");
  EXPECT_EQ(config.monitor.delay_seconds, 5);
  EXPECT_EQ(config.monitor.log_level, LogLevel::Error);
  EXPECT_EQ(config.mysql.port, 3307);
  EXPECT_EQ(config.mysql.password, "se;cret");  // no whitespace before the ';'
  EXPECT_EQ(config.mysql.host, "10.0.0.9");     // from [DEFAULT]
  EXPECT_EQ(config.amqp.host, "broker");        // the section's own wins
  EXPECT_EQ(config.amqp.password, "");          // "" is the empty value
  EXPECT_TRUE(mentions(config.origin_differences, "[message] format = native"));
}

TEST(OriginConfig, ADefaultKeyNoSectionHasIsIgnoredWithAWarning) {
  const Config config = parsed("[DEFAULT]\nbasedir = /opt\n[mysql]\nport = 3307\n");
  ASSERT_EQ(config.warnings.size(), 1u);
  EXPECT_NE(config.warnings[0].find("[DEFAULT] basedir"), std::string::npos);
}

TEST(OriginConfig, PythonLogLevels) {
  const std::pair<const char*, LogLevel> cases[] = {
      {"critical", LogLevel::Error}, {"FATAL", LogLevel::Error},  {"warning", LogLevel::Warning},
      {"WARN", LogLevel::Warning},   {"notset", LogLevel::Debug}, {"50", LogLevel::Error},
      {"30", LogLevel::Warning},     {"20", LogLevel::Info},      {"10", LogLevel::Debug}};
  for (const auto& [text, level] : cases) {
    EXPECT_EQ(parsed(std::string("[monitor]\nlog_level = ") + text + "\n").monitor.log_level, level)
        << text;
  }
  auto bad = parseConfig("[monitor]\nlog_level = loud\n", "origin.cfg");
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.status().message().find("Python's critical"), std::string::npos);
}

TEST(OriginConfig, StatePathNamingAFileIsTheOriginsStateFile) {
  const Config file = parsed("[monitor]\nstate_path = /srv/monitor/data/state.json\n");
  EXPECT_EQ(file.monitor.state_path, "/srv/monitor/data");
  EXPECT_EQ(file.monitor.origin_state_file, "/srv/monitor/data/state.json");
  const Config bare = parsed("[monitor]\nstate_path = state.json\n");
  EXPECT_EQ(bare.monitor.state_path, ".");
  const Config directory = parsed("[monitor]\nstate_path = /srv/monitor/data\n");
  EXPECT_EQ(directory.monitor.state_path, "/srv/monitor/data");
  EXPECT_EQ(directory.monitor.origin_state_file, "/srv/monitor/data/state.json");
}

TEST(OriginConfig, SslWithCaCertsOrTheOriginsDefaultCa) {
  const std::filesystem::path dir = test::freshTestDirectory("mm-origin-ca");
  const std::string ca = (dir / "data" / "cacert.pem").string();
  ASSERT_TRUE(test::writeTextFile(ca, "not checked here\n"));
  const Config named = parsed("[amqp]\nssl = true\nca_certs = " + ca + "\n");
  EXPECT_EQ(named.amqp.ssl_ca, ca);
  // Without ca_certs: the origin's data/cacert.pem, beside its state file.
  const Config defaulted =
      parsed("[monitor]\nstate_path = " + (dir / "data" / "state.json").string() +
             "\n[amqp]\nssl = true\n");
  EXPECT_EQ(defaulted.amqp.ssl_ca, ca);
  EXPECT_TRUE(mentions(defaulted.origin_differences, "host name is checked too"));
  auto missing = parseConfig(
      "[monitor]\nstate_path = " + (dir / "elsewhere").string() + "\n[amqp]\nssl = true\n",
      "origin.cfg");
  ASSERT_FALSE(missing.isOk());
  EXPECT_NE(missing.status().message().find("ca_certs"), std::string::npos);
  auto both = parseConfig("[amqp]\nssl_ca = " + ca + "\nca_certs = " + ca + "\n", "origin.cfg");
  ASSERT_FALSE(both.isOk());
  EXPECT_NE(both.status().message().find("keep one"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(OriginConfig, ANativeFileGetsNoOriginNotes) {
  EXPECT_TRUE(
      parsed("[mysql]\nport = 3307\nstart_position = earliest\n").origin_differences.empty());
  EXPECT_TRUE(parsed("").origin_differences.empty());
}

}  // namespace
}  // namespace mm::config
