#include "common/byte_reader.h"

namespace mm {

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
