// Decimal digit writers for the decode hot path: dates, times, DECIMAL groups and JSON integers are
// rendered here instead of through fmt format strings, whose parsing cost more than decoding the
// row (docs/performance.md). Each writes into a caller-provided buffer and returns the new end; no
// allocation, no locale. Requires: room for the digits written (at most max(min_width, 20) chars,
// plus one for a sign). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <cstring>

namespace mm {

namespace digits_detail {
// "00" "01" ... "99": two digits per division by 100.
inline constexpr char kPairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

inline int digitCount(uint64_t value) {
  int n = 1;
  for (;;) {
    if (value < 10) {
      return n;
    }
    if (value < 100) {
      return n + 1;
    }
    if (value < 1000) {
      return n + 2;
    }
    if (value < 10000) {
      return n + 3;
    }
    value /= 10000;
    n += 4;
  }
}
}  // namespace digits_detail

// `value` < 100 as exactly two digits.
inline char* writeTwoDigits(char* out, uint32_t value) {
  std::memcpy(out, digits_detail::kPairs + value * 2, 2);
  return out + 2;
}

// `value` in decimal with at least `min_width` digits, zero-padded on the left: fmt's "{:0N}" for
// an unsigned value (a wider value keeps all its digits).
inline char* writeDigits(char* out, uint64_t value, int min_width = 1) {
  const int count = digits_detail::digitCount(value);
  if (min_width > count) {
    std::memset(out, '0', static_cast<size_t>(min_width - count));
    out += min_width - count;
  }
  char* end = out + count;
  char* p = end;
  while (value >= 100) {
    p -= 2;
    std::memcpy(p, digits_detail::kPairs + (value % 100) * 2, 2);
    value /= 100;
  }
  if (value >= 10) {
    p -= 2;
    std::memcpy(p, digits_detail::kPairs + value * 2, 2);
  } else {
    *--p = static_cast<char>('0' + value);
  }
  return end;
}

// `value` in decimal with a leading '-' when negative (INT64_MIN included).
inline char* writeSigned(char* out, int64_t value) {
  if (value < 0) {
    *out++ = '-';
    return writeDigits(out, 0 - static_cast<uint64_t>(value));
  }
  return writeDigits(out, static_cast<uint64_t>(value));
}

}  // namespace mm
