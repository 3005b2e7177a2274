// ByteReader: the one bounds-checked cursor all binary parsing goes through.
//
// Reads little- and big-endian integers by shifts, or a little-endian one by one 8-byte memcpy cut
// to its width where 8 bytes remain (never by casting memory), IEEE 754 floats from those integers,
// MySQL packed integers and byte runs from a non-owning span. Errors are sticky: the first read
// past the end (or a malformed packed integer) marks the reader failed; every later read returns
// zero/empty and ok() stays false.
// So a decoder can read a whole header and check ok() once before using any value as a length,
// count or index. The bytes must outlive the reader and any span it returns. Not thread-safe.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace mm {

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  bool ok() const { return ok_; }
  size_t remaining() const { return bytes_.size() - pos_; }
  size_t offset() const { return pos_; }
  bool empty() const { return remaining() == 0; }

  uint8_t u8() { return static_cast<uint8_t>(readLe(1)); }
  uint16_t u16le() { return static_cast<uint16_t>(readLe(2)); }
  uint32_t u24le() { return static_cast<uint32_t>(readLe(3)); }
  uint32_t u32le() { return static_cast<uint32_t>(readLe(4)); }
  uint64_t u48le() { return readLe(6); }
  uint64_t u64le() { return readLe(8); }
  // An unsigned little-endian integer of 1..8 bytes.
  uint64_t uintLe(size_t width) { return readLe(width); }
  // IEEE 754 single and double precision numbers, little-endian.
  float f32le() { return std::bit_cast<float>(u32le()); }
  double f64le() { return std::bit_cast<double>(u64le()); }
  // An unsigned big-endian integer of 1..8 bytes.
  uint64_t uintBe(size_t width) {
    if (width == 0 || width > 8 || !take(width)) {
      fail();
      return 0;
    }
    uint64_t value = 0;
    for (size_t i = 0; i < width; ++i) {
      value = (value << 8) | bytes_[pos_ + i];
    }
    pos_ += width;
    return value;
  }

  // MySQL packed ("length-encoded") integer. 0xFB (NULL) and 0xFF never occur in binlog events and
  // mark the reader failed.
  uint64_t packedInt();

  // The next n bytes; empty (and failed) when fewer remain.
  std::span<const uint8_t> bytes(size_t n) {
    if (!take(n)) {
      return {};
    }
    auto out = bytes_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  std::string_view chars(size_t n);
  // Everything left.
  std::span<const uint8_t> rest();
  void skip(size_t n) { (void)bytes(n); }

  // A reader over the next n bytes, consumed from this one, so a length-prefixed field cannot read
  // its neighbour. Fails both when fewer than n remain.
  ByteReader sub(size_t n);

  // Marks the reader failed, e.g. when a decoded value is out of range.
  void fail() {
    ok_ = false;
    pos_ = bytes_.size();
  }

 private:
  // The hot reads are inline: row images call them for every value.
  uint64_t readLe(size_t width) {
    if (width == 0 || width > 8 || !take(width)) {
      fail();
      return 0;
    }
    uint64_t value = 0;
    if (std::endian::native == std::endian::little && remaining() >= sizeof value) {
      // One load instead of a loop over the width, which row images run for every length prefix.
      std::memcpy(&value, bytes_.data() + pos_, sizeof value);
      value &= ~uint64_t{0} >> (64 - 8 * width);
    } else {
      for (size_t i = 0; i < width; ++i) {
        value |= static_cast<uint64_t>(bytes_[pos_ + i]) << (8 * i);
      }
    }
    pos_ += width;
    return value;
  }
  bool take(size_t n) {
    if (!ok_ || n > remaining()) {
      fail();
      return false;
    }
    return true;
  }

  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace mm
