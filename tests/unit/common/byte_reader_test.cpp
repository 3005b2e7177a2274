#include "common/byte_reader.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace mm {
namespace {

using Bytes = std::vector<uint8_t>;

TEST(ByteReader, ReadsLittleEndianIntegersOfEveryWidth) {
  const Bytes bytes = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C,
                       0x0D, 0x0E, 0x0F, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18};
  ByteReader r(bytes);
  EXPECT_EQ(r.u8(), 0x01);
  EXPECT_EQ(r.u16le(), 0x0302);
  EXPECT_EQ(r.u24le(), 0x060504u);
  EXPECT_EQ(r.u32le(), 0x0A090807u);
  EXPECT_EQ(r.u48le(), 0x100F0E0D0C0BULL);
  EXPECT_EQ(r.u64le(), 0x1817161514131211ULL);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.offset(), bytes.size());
}

TEST(ByteReader, ReadsBigEndianIntegers) {
  const Bytes bytes = {0x12, 0x34, 0x56, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
  ByteReader r(bytes);
  EXPECT_EQ(r.uintBe(3), 0x123456u);
  EXPECT_EQ(r.uintBe(8), 0x8000000000000001ULL);
  EXPECT_TRUE(r.ok());
}

TEST(ByteReader, ReadsLittleEndianFloats) {
  // 1.5f = 0x3FC00000, -2.25 = 0xC002000000000000, then a float cut short.
  const Bytes bytes = {0x00, 0x00, 0xC0, 0x3F,                          // 1.5f
                       0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xC0,  // -2.25
                       0x00};
  ByteReader r(bytes);
  EXPECT_EQ(r.f32le(), 1.5f);
  EXPECT_EQ(r.f64le(), -2.25);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.f32le(), 0.0f);
  EXPECT_FALSE(r.ok());
}

TEST(ByteReader, UintLeOfWidthOneToEightMatchesFixedReads) {
  const Bytes bytes = {0xEF, 0xCD, 0xAB, 0x89, 0x67, 0x45, 0x23, 0x01};
  for (size_t width = 1; width <= 8; ++width) {
    ByteReader r(bytes);
    const uint64_t mask = width == 8 ? ~0ULL : ((1ULL << (8 * width)) - 1);
    EXPECT_EQ(r.uintLe(width), 0x0123456789ABCDEFULL & mask) << "width " << width;
    EXPECT_EQ(r.offset(), width);
  }
}

TEST(ByteReader, LittleEndianReadsAreTheSameWithAndWithoutEightBytesLeft) {
  // With 8 bytes left a read loads 8 and keeps `width` of them; nearer the end it reads byte by
  // byte. Every width at every offset of a 20-byte run, against the value built by hand.
  Bytes bytes(20);
  for (size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<uint8_t>(0xF1 - 7 * i);
  }
  for (size_t width = 1; width <= 8; ++width) {
    for (size_t at = 0; at + width <= bytes.size(); ++at) {
      ByteReader r(bytes);
      r.skip(at);
      uint64_t expected = 0;
      for (size_t i = 0; i < width; ++i) {
        expected |= uint64_t{bytes[at + i]} << (8 * i);
      }
      EXPECT_EQ(r.uintLe(width), expected) << "width " << width << " at " << at;
      EXPECT_EQ(r.offset(), at + width);
      EXPECT_TRUE(r.ok());
    }
  }
}

TEST(ByteReader, WidthZeroOrAboveEightFails) {
  const Bytes bytes(16, 0xFF);
  for (size_t width : {size_t{0}, size_t{9}}) {
    ByteReader le(bytes);
    EXPECT_EQ(le.uintLe(width), 0u);
    EXPECT_FALSE(le.ok());
    ByteReader be(bytes);
    EXPECT_EQ(be.uintBe(width), 0u);
    EXPECT_FALSE(be.ok());
  }
}

// Packed integers (docs/binlog-format.md §0): < 0xFB is the value, 0xFC/0xFD/0xFE take 2/3/8 more
// bytes.
TEST(ByteReader, PackedIntegerForms) {
  struct Case {
    Bytes bytes;
    uint64_t value;
  };
  const Case cases[] = {
      {{0x00}, 0},
      {{0xFA}, 250},
      {{0xFC, 0xFB, 0x00}, 251},
      {{0xFC, 0xC0, 0x03}, 960},  // uncompressed_size of mysql-bin.compressed's payload
      {{0xFD, 0x01, 0x02, 0x03}, 0x030201},
      {{0xFE, 0x01, 0, 0, 0, 0, 0, 0, 0x80}, 0x8000000000000001ULL},
  };
  for (const Case& c : cases) {
    ByteReader r(c.bytes);
    EXPECT_EQ(r.packedInt(), c.value);
    EXPECT_TRUE(r.ok());
    EXPECT_TRUE(r.empty());
  }
}

TEST(ByteReader, PackedIntegerNullOrErrorMarkerIsFailure) {
  for (uint8_t marker : {uint8_t{0xFB}, uint8_t{0xFF}}) {
    const Bytes bytes = {marker, 0x01, 0x02};
    ByteReader r(bytes);
    EXPECT_EQ(r.packedInt(), 0u);
    EXPECT_FALSE(r.ok()) << "marker " << int{marker};
  }
}

// Every prefix of each multi-byte packed integer is a clean failure.
TEST(ByteReader, TruncatedPackedIntegerFails) {
  const Bytes forms[] = {
      {0xFC, 0x01, 0x02}, {0xFD, 0x01, 0x02, 0x03}, {0xFE, 1, 2, 3, 4, 5, 6, 7, 8}};
  for (const Bytes& full : forms) {
    for (size_t n = 0; n < full.size(); ++n) {
      ByteReader r(std::span<const uint8_t>(full.data(), n));
      EXPECT_EQ(r.packedInt(), 0u);
      EXPECT_FALSE(r.ok()) << "prefix " << n << " of form " << int{full[0]};
    }
  }
}

TEST(ByteReader, ShortReadIsStickyAndReturnsZeros) {
  const Bytes bytes = {0x01, 0x02, 0x03};
  ByteReader r(bytes);
  EXPECT_EQ(r.u32le(), 0u);
  EXPECT_FALSE(r.ok());
  // A read that would fit the original bytes still fails: the error is sticky.
  EXPECT_EQ(r.u8(), 0u);
  EXPECT_TRUE(r.bytes(1).empty());
  EXPECT_TRUE(r.chars(1).empty());
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_FALSE(r.ok());
}

TEST(ByteReader, BytesCharsAndRest) {
  const Bytes bytes = {'a', 'b', 'c', 'd', 'e'};
  ByteReader r(bytes);
  auto two = r.bytes(2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0], 'a');
  EXPECT_EQ(r.chars(1), "c");
  r.skip(0);
  auto rest = r.rest();
  EXPECT_EQ(rest.size(), 2u);
  EXPECT_TRUE(r.empty());
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.rest().empty());  // rest of nothing is fine
  EXPECT_TRUE(r.ok());
}

TEST(ByteReader, SkipPastEndFails) {
  const Bytes bytes = {1, 2};
  ByteReader r(bytes);
  r.skip(3);
  EXPECT_FALSE(r.ok());
}

TEST(ByteReader, SubReaderCannotReadItsNeighbour) {
  const Bytes bytes = {0x01, 0x02, 0x03, 0x04};
  ByteReader r(bytes);
  ByteReader field = r.sub(2);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.offset(), 2u);
  EXPECT_EQ(field.u16le(), 0x0201);
  EXPECT_EQ(field.u8(), 0u);  // the neighbour (0x03) is out of reach
  EXPECT_FALSE(field.ok());
  EXPECT_TRUE(r.ok());  // the parent is unaffected
  EXPECT_EQ(r.u16le(), 0x0403);
}

TEST(ByteReader, SubReaderLongerThanRemainingFailsBoth) {
  const Bytes bytes = {0x01, 0x02};
  ByteReader r(bytes);
  ByteReader field = r.sub(3);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(field.ok());
  EXPECT_EQ(field.remaining(), 0u);
}

TEST(ByteReader, FailMarksTheReaderFailedAndExhausted) {
  const Bytes bytes = {1, 2, 3};
  ByteReader r(bytes);
  r.fail();
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.u8(), 0u);
}

TEST(ByteReader, CopyKeepsItsOwnCursor) {
  const Bytes bytes = {1, 2, 3};
  ByteReader r(bytes);
  ByteReader probe = r;
  EXPECT_EQ(probe.u16le(), 0x0201);
  EXPECT_EQ(r.offset(), 0u);
  EXPECT_EQ(r.u8(), 1u);
}

}  // namespace
}  // namespace mm
