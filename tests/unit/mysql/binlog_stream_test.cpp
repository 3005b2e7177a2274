// The replica protocol's requests, byte by byte (docs/binlog-format.md §5.2-5.4): no MySQL server
// runs here, so the packets are proven against the layouts and the examples the reference quotes.
#include "mysql/binlog_stream.h"

#include <gtest/gtest.h>

#include "binlog/gtid_set.h"

namespace mm::mysql {
namespace {

std::string le(uint64_t value, int width) {
  std::string out;
  for (int i = 0; i < width; ++i) {
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
  }
  return out;
}

TEST(GtidDumpPayload, FollowsTheComBinlogDumpGtidLayout) {
  auto set = binlog::MysqlGtidSet::parse("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-100");
  ASSERT_TRUE(set.isOk());
  auto encoded = set->dumpEncoding();
  ASSERT_TRUE(encoded.isOk());
  const std::string payload = gtidDumpPayload(4379, *encoded);
  const std::string expected = le(0x04, 2)    // flags: BINLOG_THROUGH_GTID
                               + le(4379, 4)  // our server_id
                               + le(0, 4)     // no file name: the server finds the file
                               + le(4, 8)     // position
                               + le(encoded->size(), 4) + *encoded;
  EXPECT_EQ(payload, expected);
  EXPECT_EQ(encoded->size(), 8u + 16u + 8u + 16u) << "one UUID with one interval";
  EXPECT_EQ(encoded->substr(32), le(1, 8) + le(101, 8)) << "interval [1, 101): end exclusive";
}

TEST(BinlogDumpPayload, MatchesTheReferenceExample) {
  // KB: 12 34 06 00 00 02 00 75 27 00 00 "mysql-bin.000034" = position 1588, flags 2, server 10101
  // (the leading 0x12 is the command byte, which Connector/C adds).
  const std::string expected =
      std::string("\x34\x06\x00\x00\x02\x00\x75\x27\x00\x00", 10) + "mysql-bin.000034";
  EXPECT_EQ(binlogDumpPayload(binlog::Position{"mysql-bin.000034", 1588}, 2, 10101), expected);
}

TEST(RegisterReplicaPayload, FollowsTheLayoutWithEmptyHostUserPassword) {
  // server_id 10101, empty hostname/user/password, port 0, rank 0, master id 0.
  const std::string expected = std::string("\x75\x27\x00\x00", 4) + std::string(3, '\0') +
                               std::string(2, '\0') + std::string(4, '\0') + std::string(4, '\0');
  EXPECT_EQ(registerReplicaPayload(10101), expected);
}

TEST(StreamStart, DescribesItselfForMessages) {
  EXPECT_EQ(describe(StreamStart{binlog::Position{"mysql-bin.000042", 1234}}),
            "mysql-bin.000042:1234");
  EXPECT_EQ(describe(StreamStart{binlog::Position{}, "0-1-100"}), "GTID set 0-1-100");
}

}  // namespace
}  // namespace mm::mysql
