// [mysql] start_position's one parser: which text is which form (config and stream both use it).
#include "binlog/start_position.h"

#include <gtest/gtest.h>

namespace mm::binlog {
namespace {

using Kind = StartPosition::Kind;

TEST(ParseStartPosition, KnowsTheKeywords) {
  EXPECT_EQ(parseStartPosition("current")->kind, Kind::Current);
  EXPECT_EQ(parseStartPosition("earliest")->kind, Kind::Earliest);
  EXPECT_EQ(parseStartPosition("earliest")->text, "earliest");
}

TEST(ParseStartPosition, ReadsFilePositions) {
  auto start = parseStartPosition("mysql-bin.000042:4");
  ASSERT_TRUE(start);
  EXPECT_EQ(start->kind, Kind::At);
  EXPECT_EQ(start->at, (Position{"mysql-bin.000042", 4}));
  EXPECT_EQ(start->text, "mysql-bin.000042:4");
  // The last ':' splits: a file name may hold one.
  EXPECT_EQ(parseStartPosition("odd:name.000001:120")->at, (Position{"odd:name.000001", 120}));
}

TEST(ParseStartPosition, ReadsGtidSetsOfBothDialects) {
  auto mysql = parseStartPosition("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-100");
  ASSERT_TRUE(mysql);
  EXPECT_EQ(mysql->kind, Kind::Gtid);
  EXPECT_EQ(mysql->gtids.dialect(), GtidDialect::Mysql);
  auto mariadb = parseStartPosition("0-1-100,1-2-5");
  ASSERT_TRUE(mariadb);
  EXPECT_EQ(mariadb->kind, Kind::Gtid);
  EXPECT_EQ(mariadb->gtids.text(), "0-1-100,1-2-5");
}

TEST(ParseStartPosition, PrefersAGtidSetToAFilePosition) {
  auto start = parseStartPosition("3e11fa47-71ca-11e1-9e33-c80aa9429562:100");
  ASSERT_TRUE(start);
  EXPECT_EQ(start->kind, Kind::Gtid);
}

TEST(ParseStartPosition, RefusesEverythingElse) {
  for (const char* text : {"", "latest", "Current", "mysql-bin.000001:3",
                           "mysql-bin.000001:", ":100", "mysql-bin.000001:x", "mysql-bin.000001:-4",
                           ",", " , ", "mysql-bin.000001:99999999999999999999", "0-1"}) {
    EXPECT_FALSE(parseStartPosition(text)) << "'" << text << "'";
  }
}

}  // namespace
}  // namespace mm::binlog
