// The hand-written digit writers (common/digits.h) against fmt, which rendered the same values
// before: every width, every digit count, the extremes.
#include "common/digits.h"

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace mm {
namespace {

std::string digits(uint64_t value, int min_width) {
  char buffer[32];
  return {buffer, writeDigits(buffer, value, min_width)};
}

std::string signedDigits(int64_t value) {
  char buffer[32];
  return {buffer, writeSigned(buffer, value)};
}

TEST(Digits, EveryDigitCountBoundaryMatchesFmt) {
  uint64_t power = 1;
  for (int exponent = 0; exponent <= 19; ++exponent, power *= 10) {
    for (uint64_t value : {power - 1, power, power + 1}) {
      for (int width = 1; width <= 21; ++width) {
        EXPECT_EQ(digits(value, width), fmt::format("{:0{}}", value, width))
            << value << " width " << width;
      }
    }
  }
}

TEST(Digits, ExtremesMatchFmt) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  EXPECT_EQ(digits(kMax, 1), "18446744073709551615");
  EXPECT_EQ(digits(kMax, 20), "18446744073709551615");
  EXPECT_EQ(digits(0, 1), "0");
  EXPECT_EQ(digits(0, 6), "000000");
  EXPECT_EQ(digits(7, 0), "7");  // a width below the digit count never truncates
  EXPECT_EQ(signedDigits(std::numeric_limits<int64_t>::min()), "-9223372036854775808");
  EXPECT_EQ(signedDigits(std::numeric_limits<int64_t>::max()), "9223372036854775807");
  EXPECT_EQ(signedDigits(-1), "-1");
  EXPECT_EQ(signedDigits(0), "0");
}

TEST(Digits, WiderValuesKeepEveryDigit) {
  // A 5-digit DATETIME year, TIME hours beyond 99, an out-of-range 10-digit DECIMAL group.
  EXPECT_EQ(digits(10082, 4), "10082");
  EXPECT_EQ(digits(838, 2), "838");
  EXPECT_EQ(digits(4294967295, 9), "4294967295");
}

TEST(Digits, TwoDigitsCoverZeroToNinetyNine) {
  for (uint32_t v = 0; v < 100; ++v) {
    char buffer[2];
    writeTwoDigits(buffer, v);
    EXPECT_EQ(std::string(buffer, 2), fmt::format("{:02}", v));
  }
}

TEST(Digits, RandomValuesMatchFmt) {
  std::mt19937_64 random(20261125);
  for (int i = 0; i < 20000; ++i) {
    const uint64_t value = random() >> (random() % 64);
    const int width = static_cast<int>(random() % 22);
    ASSERT_EQ(digits(value, width), fmt::format("{:0{}}", value, width))
        << value << " width " << width;
    const auto as_signed = static_cast<int64_t>(random());
    ASSERT_EQ(signedDigits(as_signed), fmt::format("{}", as_signed));
  }
}

}  // namespace
}  // namespace mm
