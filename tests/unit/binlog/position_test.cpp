// File-name order and the 4 GiB log_pos wrap: what binlog/position.h promises.
#include "binlog/position.h"

#include <gtest/gtest.h>

namespace mm::binlog {
namespace {

TEST(FileSequence, IsTheNumberAfterTheLastDot) {
  EXPECT_EQ(fileSequence("mysql-bin.000042"), 42u);
  EXPECT_EQ(fileSequence("my.host-bin.1000000"), 1000000u);
  EXPECT_EQ(fileSequence("binlog.000000"), 0u);
}

TEST(FileSequence, IsAbsentWithoutDigitsAfterADotOrPast64Bits) {
  EXPECT_EQ(fileSequence("mysql-bin"), std::nullopt);
  EXPECT_EQ(fileSequence("mysql-bin."), std::nullopt);
  EXPECT_EQ(fileSequence("mysql-bin.00004x"), std::nullopt);
  EXPECT_EQ(fileSequence("mysql-bin.-1"), std::nullopt);
  EXPECT_EQ(fileSequence("mysql-bin.99999999999999999999"), std::nullopt);
  EXPECT_EQ(fileSequence(""), std::nullopt);
}

TEST(ComesBefore, OrdersFilesBySequenceNotByName) {
  // By name "mysql-bin.1000000" < "mysql-bin.999999": the server's seventh digit.
  EXPECT_TRUE(comesBefore({"mysql-bin.999999", 900}, {"mysql-bin.1000000", 4}));
  EXPECT_FALSE(comesBefore({"mysql-bin.1000000", 4}, {"mysql-bin.999999", 900}));
  EXPECT_TRUE(comesBefore({"mysql-bin.000001", 500}, {"mysql-bin.000002", 4}));
}

TEST(ComesBefore, OrdersOffsetsInOneFileAndIsStrict) {
  EXPECT_TRUE(comesBefore({"mysql-bin.000001", 4}, {"mysql-bin.000001", 5}));
  EXPECT_FALSE(comesBefore({"mysql-bin.000001", 5}, {"mysql-bin.000001", 4}));
  EXPECT_FALSE(comesBefore({"mysql-bin.000001", 5}, {"mysql-bin.000001", 5}));
}

TEST(ComesBefore, FallsBackToNamesWithoutSequences) {
  EXPECT_TRUE(comesBefore({"a-bin", 900}, {"b-bin", 4}));
  EXPECT_TRUE(comesBefore({"a-bin.000009", 900}, {"b-bin", 4}));
  // Equal sequences of differently named files: by name.
  EXPECT_TRUE(comesBefore({"a.7", 900}, {"b.7", 4}));
  EXPECT_FALSE(comesBefore({"b.7", 4}, {"a.7", 900}));
}

TEST(NextEventOffset, IsLogPosBelow4GiB) {
  EXPECT_EQ(nextEventOffset(4, 120, 124), 124u);
  EXPECT_EQ(nextEventOffset(1000, 50, 1050), 1050u);
}

TEST(NextEventOffset, WidensLogPosPast4GiB) {
  constexpr uint64_t k4GiB = 1ULL << 32;
  // An event crossing 4 GiB: log_pos wrapped to a small number.
  EXPECT_EQ(nextEventOffset(k4GiB - 100, 300, 200), k4GiB + 200);
  // Beyond 4 GiB, log_pos holds the low 32 bits of the end.
  EXPECT_EQ(nextEventOffset(k4GiB + 1000, 500, 1500), k4GiB + 1500);
  EXPECT_EQ(nextEventOffset(3 * k4GiB - 10, 30, 20), 3 * k4GiB + 20);
}

TEST(NextEventOffset, AddsTheSizeWhenLogPosIsZero) {
  // MariaDB 11.4+ inside transactions.
  EXPECT_EQ(nextEventOffset(1000, 77, 0), 1077u);
  EXPECT_EQ(nextEventOffset((1ULL << 32) - 10, 77, 0), (1ULL << 32) + 67);
}

}  // namespace
}  // namespace mm::binlog
