#include "binlog/gtid_set.h"

#include <gtest/gtest.h>

namespace mm::binlog {
namespace {

constexpr std::string_view kUuidA = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
constexpr std::string_view kUuidB = "4f22fa47-71ca-11e1-9e33-c80aa9429562";

Uuid uuid(std::string_view text) {
  auto set = MysqlGtidSet::parse(std::string(text) + ":1");
  EXPECT_TRUE(set.isOk());
  // Recover the bytes through the encoding: 8-byte count, then the UUID.
  auto encoded = set->dumpEncoding();
  EXPECT_TRUE(encoded.isOk());
  Uuid out{};
  std::copy_n(reinterpret_cast<const uint8_t*>(encoded->data()) + 8, 16, out.begin());
  return out;
}

TEST(MysqlGtidSet, ParsesAndPrintsTheServersForm) {
  auto set =
      MysqlGtidSet::parse(std::string(kUuidB) + ":1-3,\n" + std::string(kUuidA) + ":1-5:7:9-10");
  ASSERT_TRUE(set.isOk()) << set.status().toString();
  EXPECT_EQ(set->text(), std::string(kUuidA) + ":1-5:7:9-10," + std::string(kUuidB) + ":1-3");
}

TEST(MysqlGtidSet, MergesAdjacentAndOverlappingIntervals) {
  auto set = MysqlGtidSet::parse(std::string(kUuidA) + ":1-3:5:4:7-8:6");
  ASSERT_TRUE(set.isOk());
  EXPECT_EQ(set->text(), std::string(kUuidA) + ":1-8");
  set->add(uuid(kUuidA), "", 10);
  set->add(uuid(kUuidA), "", 9);
  EXPECT_EQ(set->text(), std::string(kUuidA) + ":1-10");
  EXPECT_TRUE(set->contains(uuid(kUuidA), "", 10));
  EXPECT_FALSE(set->contains(uuid(kUuidA), "", 11));
  EXPECT_FALSE(set->contains(uuid(kUuidB), "", 1));
}

TEST(MysqlGtidSet, KeepsTagsApartUnderTheirUuid) {
  auto set = MysqlGtidSet::parse(std::string(kUuidA) + ":1-2:audit:1-4:7");
  ASSERT_TRUE(set.isOk()) << set.status().toString();
  EXPECT_EQ(set->text(), std::string(kUuidA) + ":1-2:audit:1-4:7");
  EXPECT_TRUE(set->contains(uuid(kUuidA), "audit", 7));
  EXPECT_FALSE(set->contains(uuid(kUuidA), "", 7));
  EXPECT_EQ(set->dumpEncoding().status().code(), StatusCode::Unsupported);
}

TEST(MysqlGtidSet, EncodesForTheGtidDumpWithExclusiveEnds) {
  auto set = MysqlGtidSet::parse(std::string(kUuidA) + ":1-2:5");
  ASSERT_TRUE(set.isOk());
  auto encoded = set->dumpEncoding();
  ASSERT_TRUE(encoded.isOk());
  const std::string expected_tail = std::string("\x02\0\0\0\0\0\0\0", 8) +  // two intervals
                                    std::string("\x01\0\0\0\0\0\0\0", 8) +  // [1,
                                    std::string("\x03\0\0\0\0\0\0\0", 8) +  //  3)
                                    std::string("\x05\0\0\0\0\0\0\0", 8) +  // [5,
                                    std::string("\x06\0\0\0\0\0\0\0", 8);   //  6)
  ASSERT_EQ(encoded->size(), 8u + 16u + expected_tail.size());
  EXPECT_EQ(encoded->substr(0, 8), std::string("\x01\0\0\0\0\0\0\0", 8));
  EXPECT_EQ(static_cast<uint8_t>((*encoded)[8]), 0x3e);
  EXPECT_EQ(static_cast<uint8_t>((*encoded)[23]), 0x62);
  EXPECT_EQ(encoded->substr(24), expected_tail);
}

TEST(MysqlGtidSet, RejectsMalformedEntriesNamingThem) {
  for (std::string bad :
       {std::string("nonsense:1"), std::string(kUuidA), std::string(kUuidA) + ":0",
        std::string(kUuidA) + ":5-3", std::string(kUuidA) + ":1-x"}) {
    auto set = MysqlGtidSet::parse(bad);
    ASSERT_FALSE(set.isOk()) << bad;
    EXPECT_NE(set.status().message().find("GTID set entry"), std::string::npos)
        << set.status().toString();
  }
}

TEST(MysqlGtidSet, FromPreviousGtidsEvent) {
  PreviousGtidsEvent event;
  event.sids.push_back(GtidSetEntry{uuid(kUuidA), "", {{1, 3}, {4, 6}}});
  EXPECT_EQ(MysqlGtidSet::fromPrevious(event).text(), std::string(kUuidA) + ":1-2:4-5");
}

TEST(MariadbGtidPos, ParsesPrintsAndAdvancesPerDomain) {
  auto pos = MariadbGtidPos::parse("1-2-5, 0-1-100");
  ASSERT_TRUE(pos.isOk()) << pos.status().toString();
  EXPECT_EQ(pos->text(), "0-1-100,1-2-5");
  pos->add(MariadbGtid{0, 3, 101});
  EXPECT_EQ(pos->text(), "0-3-101,1-2-5");
}

TEST(MariadbGtidPos, RejectsMalformedAndDuplicateDomains) {
  EXPECT_FALSE(MariadbGtidPos::parse("0-1").isOk());
  EXPECT_FALSE(MariadbGtidPos::parse("0-1-x").isOk());
  auto twice = MariadbGtidPos::parse("0-1-5,0-2-6");
  ASSERT_FALSE(twice.isOk());
  EXPECT_NE(twice.status().message().find("domain 0 twice"), std::string::npos);
}

TEST(GtidState, DetectsTheDialectFromTheText) {
  auto unknown = GtidState::parse("  ");
  ASSERT_TRUE(unknown.isOk());
  EXPECT_FALSE(unknown->known());
  auto mariadb = GtidState::parse("0-1-7");
  ASSERT_TRUE(mariadb.isOk());
  EXPECT_EQ(mariadb->dialect(), GtidDialect::Mariadb);
  auto mysql = GtidState::parse(std::string(kUuidA) + ":1-7");
  ASSERT_TRUE(mysql.isOk());
  EXPECT_EQ(mysql->dialect(), GtidDialect::Mysql);
  EXPECT_EQ(mysql->text(), std::string(kUuidA) + ":1-7");
}

TEST(GtidState, FollowsTransactionsOnlyOnceKnown) {
  GtidState state;
  state.add(MariadbGtid{0, 1, 9});
  EXPECT_FALSE(state.known()) << "one GTID says nothing of the other domains";
  state.reset(MariadbGtidPos::fromList(
      MariadbGtidListEvent{0, {MariadbGtid{0, 1, 8}, MariadbGtid{2, 1, 3}}}));
  state.add(MariadbGtid{0, 1, 9});
  EXPECT_EQ(state.text(), "0-1-9,2-1-3");

  GtidState mysql;
  MysqlGtidEvent gtid;
  gtid.sid = uuid(kUuidA);
  gtid.gno = 4;
  mysql.add(gtid);
  EXPECT_FALSE(mysql.known());
  mysql.reset(*MysqlGtidSet::parse(std::string(kUuidA) + ":1-3"));
  mysql.add(gtid);
  MysqlGtidEvent anonymous;
  anonymous.anonymous = true;
  mysql.add(anonymous);
  EXPECT_EQ(mysql.text(), std::string(kUuidA) + ":1-4");
}

TEST(GtidState, LearnsAFileStartSetWithoutLosingNewerGtids) {
  GtidState mariadb;
  mariadb.learn(*MariadbGtidPos::parse("0-1-5"));
  EXPECT_EQ(mariadb.text(), "0-1-5") << "unknown: the file's list becomes the state";
  mariadb.add(MariadbGtid{0, 1, 9});
  mariadb.learn(*MariadbGtidPos::parse("0-1-5,3-1-2"));
  EXPECT_EQ(mariadb.text(), "0-1-9,3-1-2") << "an older list only fills in missing domains";

  GtidState mysql;
  mysql.learn(*MysqlGtidSet::parse(std::string(kUuidA) + ":1-5"));
  mysql.learn(*MysqlGtidSet::parse(std::string(kUuidA) + ":1-3," + std::string(kUuidB) + ":1"));
  EXPECT_EQ(mysql.text(), std::string(kUuidA) + ":1-5," + std::string(kUuidB) + ":1");
}

}  // namespace
}  // namespace mm::binlog
