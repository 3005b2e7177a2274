#include "message/json_buffer.h"

#include <algorithm>
#include <array>
#include <bit>
#include <utility>

#include "common/base64.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace mm::message {
namespace {

// What follows the backslash for a byte that must be escaped, 0 for a byte copied as is.
constexpr std::array<char, 256> kEscape = [] {
  std::array<char, 256> table{};
  for (int c = 0; c < 0x20; ++c) {
    table[c] = 'u';
  }
  table['\b'] = 'b';
  table['\t'] = 't';
  table['\n'] = 'n';
  table['\f'] = 'f';
  table['\r'] = 'r';
  table['"'] = '"';
  table['\\'] = '\\';
  return table;
}();

constexpr char kHex[] = "0123456789ABCDEF";

// Whether any of the 8 bytes in `word` needs an escape: below 0x20, '"' or '\\'. The classic
// "has a zero byte" / "has a byte below n" tests, which are exact about whether one exists.
bool anyNeedsEscape(uint64_t word) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  auto has_zero = [](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  return (((word - kOnes * 0x20) & ~word & kHigh) | has_zero(word ^ (kOnes * '"')) |
          has_zero(word ^ (kOnes * '\\'))) != 0;
}

#if defined(__SSE2__)
// Copies 16 bytes of `p` to `out` and returns how many lead the first that needs an escape (16 when
// none does). Stores all 16 whatever it finds: the caller's room (6 bytes per byte left) covers it.
inline unsigned copy16UntilEscape(const char* p, char* out) {
  const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), chunk);
  const __m128i control =
      _mm_cmpeq_epi8(_mm_min_epu8(chunk, _mm_set1_epi8(0x1F)), chunk);  // <= 0x1F
  const __m128i quote = _mm_cmpeq_epi8(chunk, _mm_set1_epi8('"'));
  const __m128i backslash = _mm_cmpeq_epi8(chunk, _mm_set1_epi8('\\'));
  const auto mask = static_cast<unsigned>(
      _mm_movemask_epi8(_mm_or_si128(control, _mm_or_si128(quote, backslash))));
  return mask == 0 ? 16 : static_cast<unsigned>(std::countr_zero(mask));
}
#endif

// Writes the escaped body of `text` (no quotes) at `out`, which has room for 6 bytes per input
// byte; returns the end. Runs without escapes (nearly all text) are copied 16 bytes at a time where
// the CPU has SSE2 (found and copied in one pass), else found eight bytes at a time.
char* writeEscaped(std::string_view text, char* out) {
  const char* p = text.data();
  const char* const end = p + text.size();
  while (p < end) {
#if defined(__SSE2__)
    while (end - p >= 16) {
      const unsigned run = copy16UntilEscape(p, out);
      p += run;
      out += run;
      if (run < 16) {
        break;
      }
    }
#endif
    const char* run = p;
    uint64_t word = 0;
    while (end - p >= 8 && (std::memcpy(&word, p, 8), !anyNeedsEscape(word))) {
      p += 8;
    }
    while (p < end && kEscape[static_cast<uint8_t>(*p)] == 0) {
      ++p;
    }
    std::memcpy(out, run, static_cast<size_t>(p - run));
    out += p - run;
    if (p == end) {
      break;
    }
    const auto c = static_cast<uint8_t>(*p++);
    *out++ = '\\';
    *out++ = kEscape[c];
    if (kEscape[c] == 'u') {
      *out++ = '0';
      *out++ = '0';
      *out++ = kHex[c >> 4];
      *out++ = kHex[c & 0xF];
    }
  }
  return out;
}

}  // namespace

void JsonBuffer::grow(size_t n) {
  // Doubling, unless one request needs more: then what it needs, so a 60 MB value leaves no buffer
  // of twice its size behind. A fresh string is given exactly the capacity asked for (growing one
  // in place may double it anyway), with room for take()'s suffix so that taking never copies.
  const size_t size = std::max(n >= data_.size() ? 0 : data_.size() * 2, size_ + n + 256);
  std::string bigger;
  bigger.reserve(size + kTakeSuffix);
  bigger.append(data_, 0, size_);
  bigger.resize(size);
  data_ = std::move(bigger);
}

std::string JsonBuffer::take(std::string_view suffix) {
  data_.resize(size_);   // keeps the capacity
  data_.append(suffix);  // in the capacity grow() left, unless longer than kTakeSuffix
  size_ = 0;
  return std::exchange(data_, std::string());
}

void JsonBuffer::base64(std::span<const uint8_t> bytes, size_t padded_length) {
  commit(writeBase64(bytes, padded_length,
                     reserve(base64Length(std::max(bytes.size(), padded_length)))));
}

void JsonBuffer::string(std::string_view text) {
  // Worst case: every byte becomes \u00XX. Short of that room, escape the text in slices.
  constexpr size_t kSlice = 4096;
  if (text.size() > kSlice) {
    // Room for the text unescaped and a slice's worst case, at once (text mostly needs no
    // escapes): growing by doubling while a 60 MB text is copied in would hold the old buffer and
    // one twice its size at once.
    reserve(text.size() + kSlice * 6 + 2);
  }
  char* out = reserve(std::min(text.size(), kSlice) * 6 + 2);
  *out++ = '"';
  while (text.size() > kSlice) {
    out = writeEscaped(text.substr(0, kSlice), out);
    commit(out);
    text.remove_prefix(kSlice);
    out = reserve(std::min(text.size(), kSlice) * 6 + 1);
  }
  out = writeEscaped(text, out);
  *out++ = '"';
  commit(out);
}

PaddedText padJsonText(std::string_view text) {
  PaddedText padded;
  padded.size = text.size();
  padded.bytes.assign(text);
  padded.bytes.resize((text.size() / 16 + 2) * 16, '\0');
  return padded;
}

void appendJsonString(std::string_view text, std::string& out) {
  const size_t old_size = out.size();
  out.resize(old_size + text.size() * 6 + 2);
  char* p = out.data() + old_size;
  *p++ = '"';
  p = writeEscaped(text, p);
  *p++ = '"';
  out.resize(static_cast<size_t>(p - out.data()));
}

}  // namespace mm::message
