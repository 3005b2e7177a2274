#include "common/byte_reader.h"

namespace mm {

bool ByteReader::take(size_t n) {
  if (!ok_ || n > remaining()) {
    fail();
    return false;
  }
  return true;
}

uint64_t ByteReader::readLe(size_t width) {
  if (width == 0 || width > 8 || !take(width)) {
    fail();
    return 0;
  }
  uint64_t value = 0;
  for (size_t i = 0; i < width; ++i) {
    value |= static_cast<uint64_t>(bytes_[pos_ + i]) << (8 * i);
  }
  pos_ += width;
  return value;
}

uint64_t ByteReader::uintBe(size_t width) {
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

uint64_t ByteReader::packedInt() {
  const uint8_t first = u8();
  if (!ok_) {
    return 0;
  }
  if (first < 0xFB) {
    return first;
  }
  switch (first) {
    case 0xFC: return readLe(2);
    case 0xFD: return readLe(3);
    case 0xFE: return readLe(8);
    default: fail(); return 0;
  }
}

std::span<const uint8_t> ByteReader::bytes(size_t n) {
  if (!take(n)) {
    return {};
  }
  auto out = bytes_.subspan(pos_, n);
  pos_ += n;
  return out;
}

std::string_view ByteReader::chars(size_t n) {
  auto raw = bytes(n);
  return {reinterpret_cast<const char*>(raw.data()), raw.size()};
}

std::span<const uint8_t> ByteReader::rest() { return bytes(remaining()); }

ByteReader ByteReader::sub(size_t n) {
  if (!take(n)) {
    ByteReader failed({});
    failed.fail();
    return failed;
  }
  return ByteReader(bytes(n));
}

}  // namespace mm
