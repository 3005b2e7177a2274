#include "common/base64.h"

#include <algorithm>

namespace mm {

char* writeBase64(std::span<const uint8_t> bytes, size_t padded_length, char* out) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const size_t n = std::max(bytes.size(), padded_length);
  auto at = [&](size_t i) -> uint32_t { return i < bytes.size() ? bytes[i] : 0; };
  size_t i = 0;
  // Whole groups of the bytes themselves first: no padding to look for.
  for (const size_t whole = bytes.size() / 3 * 3; i < whole; i += 3) {
    const uint32_t v = uint32_t{bytes[i]} << 16 | uint32_t{bytes[i + 1]} << 8 | bytes[i + 2];
    *out++ = kAlphabet[v >> 18];
    *out++ = kAlphabet[(v >> 12) & 63];
    *out++ = kAlphabet[(v >> 6) & 63];
    *out++ = kAlphabet[v & 63];
  }
  for (; i + 3 <= n; i += 3) {
    const uint32_t v = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
    *out++ = kAlphabet[v >> 18];
    *out++ = kAlphabet[(v >> 12) & 63];
    *out++ = kAlphabet[(v >> 6) & 63];
    *out++ = kAlphabet[v & 63];
  }
  if (n - i == 1) {
    const uint32_t v = at(i) << 16;
    *out++ = kAlphabet[v >> 18];
    *out++ = kAlphabet[(v >> 12) & 63];
    *out++ = '=';
    *out++ = '=';
  } else if (n - i == 2) {
    const uint32_t v = at(i) << 16 | at(i + 1) << 8;
    *out++ = kAlphabet[v >> 18];
    *out++ = kAlphabet[(v >> 12) & 63];
    *out++ = kAlphabet[(v >> 6) & 63];
    *out++ = '=';
  }
  return out;
}

void appendBase64(std::span<const uint8_t> bytes, size_t padded_length, std::string& out) {
  const size_t old_size = out.size();
  out.resize(old_size + base64Length(std::max(bytes.size(), padded_length)));
  writeBase64(bytes, padded_length, out.data() + old_size);
}

bool decodeBase64(std::string_view text, std::string& out) {
  while (!text.empty() && text.back() == '=') {
    text.remove_suffix(1);
  }
  uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    int v = c >= 'A' && c <= 'Z'   ? c - 'A'
            : c >= 'a' && c <= 'z' ? c - 'a' + 26
            : c >= '0' && c <= '9' ? c - '0' + 52
            : c == '+'             ? 62
            : c == '/'             ? 63
                                   : -1;
    if (v < 0) {
      return false;
    }
    bits = bits << 6 | static_cast<uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>(bits >> count));
    }
  }
  return count < 6;
}

}  // namespace mm
