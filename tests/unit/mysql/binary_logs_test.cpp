// How far a saved position is behind the server's binlogs (SHOW BINARY LOGS sizes).
#include "mysql/binary_logs.h"

#include <gtest/gtest.h>

namespace mm::mysql {
namespace {

const std::vector<BinaryLog> kLogs = {
    {"bin.000003", 1000}, {"bin.000004", 500}, {"bin.000005", 300}};

TEST(Backlog, CountsTheRestOfTheFileAndEveryLaterFile) {
  const Backlog b = backlogOf(kLogs, "bin.000004", 200);
  EXPECT_TRUE(b.file_present);
  EXPECT_EQ(b.bytes, 300u + 300u);
  EXPECT_EQ(b.later_files, 1u);
}

TEST(Backlog, AtTheEndOfTheLastFileIsUpToDate) {
  const Backlog b = backlogOf(kLogs, "bin.000005", 300);
  EXPECT_TRUE(b.file_present);
  EXPECT_EQ(b.bytes, 0u);
  EXPECT_EQ(b.later_files, 0u);
}

TEST(Backlog, PositionPastTheFileSizeCountsNothingOfThatFile) {
  const Backlog b = backlogOf(kLogs, "bin.000003", 5000);
  EXPECT_EQ(b.bytes, 800u);
  EXPECT_EQ(b.later_files, 2u);
}

TEST(Backlog, PurgedFileIsNotPresent) {
  const Backlog b = backlogOf(kLogs, "bin.000001", 4);
  EXPECT_FALSE(b.file_present);
  EXPECT_EQ(b.bytes, 0u);
}

}  // namespace
}  // namespace mm::mysql
