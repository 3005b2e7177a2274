#include "state/state_tables.h"

#include <gtest/gtest.h>

namespace mm::state {
namespace {

TEST(StateTables, TheLockIsNamedAfterTheDatabaseAndTheMonitorWithinMysqlsLimit) {
  EXPECT_EQ(lockName("mysql_monitor", "orders-cdc"), "mysql-monitor:mysql_monitor/orders-cdc");
  const std::string long_name(64, 'n');
  const std::string hashed = lockName("mysql_monitor", long_name);
  EXPECT_LE(hashed.size(), 64u) << "MySQL refuses lock names past 64 characters";
  EXPECT_TRUE(hashed.starts_with("mysql-monitor:"));
  EXPECT_NE(hashed, lockName("mysql_monitor", long_name + "x")) << "two names, one lock";
}

TEST(StateTables, IdentifiersAreQuotedWithTheirBackquotesDoubled) {
  EXPECT_EQ(quoteIdentifier("mysql_monitor"), "`mysql_monitor`");
  EXPECT_EQ(quoteIdentifier("a`b"), "`a``b`");
}

TEST(StateTables, TheTablesAreCreatedInTheNamedDatabaseOnlyWhenMissing) {
  const auto statements = createStatements("ha_state");
  EXPECT_EQ(statements[0], "CREATE DATABASE IF NOT EXISTS `ha_state`");
  EXPECT_NE(statements[1].find("CREATE TABLE IF NOT EXISTS `ha_state`.monitor_leader"),
            std::string::npos);
  EXPECT_NE(statements[2].find("CREATE TABLE IF NOT EXISTS `ha_state`.monitor_state"),
            std::string::npos);
  EXPECT_NE(statements[2].find("PRIMARY KEY (name, document)"), std::string::npos);
}

}  // namespace
}  // namespace mm::state
