// The preflight judgement over fetched server facts: no server needed.
#include "mysql/preflight.h"

#include <gtest/gtest.h>

namespace mm::mysql {
namespace {

constexpr uint32_t kOurServerId = 4379;

// A MariaDB 10.11 that suits the monitor, as `check` reads it.
ServerFacts goodMariadb() {
  ServerFacts facts;
  facts.is_mariadb = true;
  facts.version = "10.11.6-MariaDB-log";
  facts.variables = {{"log_bin", "ON"},
                     {"binlog_format", "ROW"},
                     {"binlog_row_image", "FULL"},
                     {"binlog_row_metadata", "FULL"},
                     {"server_id", "1"},
                     {"expire_logs_days", "7.000000"},
                     {"binlog_expire_logs_seconds", "604800"}};
  facts.grants = {"GRANT SELECT, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO `monitor`@`%` "
                  "IDENTIFIED BY PASSWORD '*ABC'"};
  return facts;
}

// A copy: callers pass the temporary result of evaluateServer().
CheckResult find(const std::vector<CheckResult>& checks, std::string_view name) {
  for (const auto& c : checks) {
    if (c.name == name) {
      return c;
    }
  }
  ADD_FAILURE() << "no check named " << name;
  return CheckResult{CheckLevel::Fail, "missing", "", ""};
}

TEST(Preflight, SuitableServerPassesEveryCheck) {
  const auto checks = evaluateServer(goodMariadb(), kOurServerId);
  ASSERT_EQ(checks.size(), 8u);
  for (const auto& c : checks) {
    EXPECT_EQ(c.level, CheckLevel::Ok) << formatCheck(c);
    EXPECT_TRUE(c.fix.empty()) << formatCheck(c);
  }
  EXPECT_EQ(formatCheck(find(checks, "binlog retention")), "ok    binlog retention: 7.0 days");
}

TEST(Preflight, StatementFormatFailsWithTheFix) {
  ServerFacts facts = goodMariadb();
  facts.variables["binlog_format"] = "STATEMENT";
  const CheckResult c = find(evaluateServer(facts, kOurServerId), "binlog_format");
  EXPECT_EQ(c.level, CheckLevel::Fail);
  EXPECT_EQ(formatCheck(c).rfind(
                "fail  binlog_format: STATEMENT; fix: SET GLOBAL binlog_format = 'ROW'", 0),
            0u)
      << formatCheck(c);
}

TEST(Preflight, BinaryLogOffFails) {
  ServerFacts facts = goodMariadb();
  facts.variables["log_bin"] = "OFF";
  EXPECT_EQ(find(evaluateServer(facts, kOurServerId), "log_bin").level, CheckLevel::Fail);
}

TEST(Preflight, MinimalImagesAndMetadataOnlyWarn) {
  ServerFacts facts = goodMariadb();
  facts.variables["binlog_row_image"] = "MINIMAL";
  facts.variables["binlog_row_metadata"] = "MINIMAL";
  const auto checks = evaluateServer(facts, kOurServerId);
  EXPECT_EQ(find(checks, "binlog_row_image").level, CheckLevel::Warn);
  EXPECT_EQ(find(checks, "binlog_row_metadata").level, CheckLevel::Warn);
  EXPECT_NE(find(checks, "binlog_row_metadata").fix.find("binlog_row_metadata = 'FULL'"),
            std::string::npos);
}

// A MySQL 8.0 with partial JSON updates on: binlog_row_value_options exists since 8.0.3.
ServerFacts mysqlWithPartialJson(const std::string& row_image) {
  ServerFacts facts = goodMariadb();
  facts.is_mariadb = false;
  facts.version = "8.0.36";
  facts.variables["gtid_mode"] = "ON";
  facts.variables["binlog_row_image"] = row_image;
  facts.variables["binlog_row_value_options"] = "PARTIAL_JSON";
  return facts;
}

TEST(Preflight, PartialJsonWithMinimalOrNoblobImagesFails) {
  for (const std::string image : {"MINIMAL", "NOBLOB"}) {
    const auto checks = evaluateServer(mysqlWithPartialJson(image), kOurServerId);
    const CheckResult c = find(checks, "binlog_row_value_options");
    EXPECT_EQ(c.level, CheckLevel::Fail) << formatCheck(c);
    EXPECT_EQ(c.detail.rfind("PARTIAL_JSON with binlog_row_image = " + image + ":", 0), 0u)
        << c.detail;
    EXPECT_NE(c.fix.find("SET PERSIST binlog_row_value_options = ''"), std::string::npos) << c.fix;
    EXPECT_NE(c.fix.find("binlog_row_image = FULL"), std::string::npos) << c.fix;
    // The image alone still only warns: the failure is the combination.
    EXPECT_EQ(find(checks, "binlog_row_image").level, CheckLevel::Warn);
  }
}

TEST(Preflight, PartialJsonWithFullImagesIsOk) {
  const CheckResult c =
      find(evaluateServer(mysqlWithPartialJson("FULL"), kOurServerId), "binlog_row_value_options");
  EXPECT_EQ(c.level, CheckLevel::Ok) << formatCheck(c);
  EXPECT_TRUE(c.fix.empty()) << formatCheck(c);
  EXPECT_NE(c.detail.find("binlog_row_image = FULL"), std::string::npos) << c.detail;
}

TEST(Preflight, EmptyRowValueOptionsIsOkWithAnyImage) {
  ServerFacts facts = mysqlWithPartialJson("MINIMAL");
  facts.variables["binlog_row_value_options"] = "";
  const CheckResult c = find(evaluateServer(facts, kOurServerId), "binlog_row_value_options");
  EXPECT_EQ(c.level, CheckLevel::Ok) << formatCheck(c);
  EXPECT_EQ(formatCheck(c),
            "ok    binlog_row_value_options: '' (updates log whole JSON documents)");
}

TEST(Preflight, MariadbHasNoRowValueOptionsToCheck) {
  ServerFacts facts = goodMariadb();
  facts.variables["binlog_row_image"] = "MINIMAL";
  for (const auto& c : evaluateServer(facts, kOurServerId)) {
    EXPECT_NE(c.name, "binlog_row_value_options") << formatCheck(c);
    EXPECT_NE(c.level, CheckLevel::Fail) << formatCheck(c);
  }
}

TEST(Preflight, ServerWithoutRowMetadataWarns) {
  ServerFacts facts = goodMariadb();
  facts.variables.erase("binlog_row_metadata");
  EXPECT_EQ(find(evaluateServer(facts, kOurServerId), "binlog_row_metadata").level,
            CheckLevel::Warn);
}

TEST(Preflight, ServerIdZeroOrOursFails) {
  ServerFacts facts = goodMariadb();
  facts.variables["server_id"] = "0";
  EXPECT_EQ(find(evaluateServer(facts, kOurServerId), "server_id").level, CheckLevel::Fail);
  facts.variables["server_id"] = std::to_string(kOurServerId);
  const CheckResult same = find(evaluateServer(facts, kOurServerId), "server_id");
  EXPECT_EQ(same.level, CheckLevel::Fail);
  EXPECT_NE(same.fix.find("[mysql] server_id"), std::string::npos);
}

TEST(Preflight, MissingGrantsAreNamed) {
  ServerFacts facts = goodMariadb();
  facts.grants = {"GRANT USAGE ON *.* TO `monitor`@`%`",
                  "GRANT SELECT ON `shop`.* TO `monitor`@`%`"};
  const CheckResult c = find(evaluateServer(facts, kOurServerId), "grants");
  EXPECT_EQ(c.level, CheckLevel::Fail);
  EXPECT_EQ(c.detail, "missing REPLICATION SLAVE, BINLOG MONITOR");
}

TEST(Preflight, MysqlNamesReplicationClientAndAcceptsAllPrivileges) {
  ServerFacts facts = goodMariadb();
  facts.is_mariadb = false;
  facts.grants = {"GRANT SELECT, REPLICATION SLAVE ON *.* TO `monitor`@`%`"};
  EXPECT_EQ(find(evaluateServer(facts, kOurServerId), "grants").detail,
            "missing REPLICATION CLIENT");
  facts.grants = {"GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION"};
  EXPECT_EQ(find(evaluateServer(facts, kOurServerId), "grants").level, CheckLevel::Ok);
}

TEST(Preflight, SelectOnSomeSchemasOnlyWarns) {
  ServerFacts facts = goodMariadb();
  facts.grants = {"GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `monitor`@`%`",
                  "GRANT SELECT ON `shop`.* TO `monitor`@`%`"};
  EXPECT_EQ(find(evaluateServer(facts, kOurServerId), "grants").level, CheckLevel::Warn);
}

TEST(Preflight, ShortRetentionWarnsAndNoneIsOk) {
  ServerFacts facts = goodMariadb();
  facts.variables["binlog_expire_logs_seconds"] = "3600";
  EXPECT_EQ(find(evaluateServer(facts, kOurServerId), "binlog retention").level, CheckLevel::Warn);
  facts.variables["binlog_expire_logs_seconds"] = "0";
  facts.variables["expire_logs_days"] = "0";
  EXPECT_EQ(find(evaluateServer(facts, kOurServerId), "binlog retention").level, CheckLevel::Ok);
}

TEST(Preflight, MysqlWithoutGtidsWarnsAndFailsWhenResumingByGtid) {
  ServerFacts facts = goodMariadb();
  facts.is_mariadb = false;
  facts.version = "8.0.36";
  facts.variables["gtid_mode"] = "OFF";
  const CheckResult positional = find(evaluateServer(facts, kOurServerId), "GTIDs");
  EXPECT_EQ(positional.level, CheckLevel::Warn);
  EXPECT_NE(positional.fix.find("enforce_gtid_consistency = ON"), std::string::npos)
      << positional.fix;
  const CheckResult by_gtid =
      find(evaluateServer(facts, kOurServerId, /*resume_by_gtid=*/true), "GTIDs");
  EXPECT_EQ(by_gtid.level, CheckLevel::Fail);
  EXPECT_NE(by_gtid.fix.find("resume_by = gtid"), std::string::npos) << by_gtid.fix;
  facts.variables["gtid_mode"] = "ON";
  EXPECT_EQ(find(evaluateServer(facts, kOurServerId, true), "GTIDs").level, CheckLevel::Ok);
}

TEST(Preflight, MariadbAlwaysHasGtids) {
  ServerFacts facts = goodMariadb();
  facts.variables["gtid_strict_mode"] = "ON";
  const CheckResult c = find(evaluateServer(facts, kOurServerId, true), "GTIDs");
  EXPECT_EQ(c.level, CheckLevel::Ok);
  EXPECT_NE(c.detail.find("gtid_strict_mode = ON"), std::string::npos) << c.detail;
}

}  // namespace
}  // namespace mm::mysql
