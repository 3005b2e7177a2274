// JsonBuffer: the growable byte buffer row messages are written into, reused from one message to
// the next so that building a message allocates nothing once the buffer has grown to the largest
// message seen. The caller writes the structure (braces, commas, keys); the buffer supplies the
// pieces: raw bytes, escaped strings and integers.
//
// Strings are escaped exactly as rapidjson's Writer (the previous builder) does, byte for byte:
// '"' and '\\' backslashed, \b \t \n \f \r by name, other bytes below 0x20 as \u00XX with
// upper-case hex, everything else (0x7F and UTF-8 sequences included) copied. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "common/digits.h"

namespace mm::message {

// Text kept with at least 16 readable bytes past its end, for JsonBuffer::rawPadded.
struct PaddedText {
  std::string bytes;  // the text, then zero bytes to a multiple of 16, at least 16 of them
  size_t size = 0;    // the text's length
};
PaddedText padJsonText(std::string_view text);

class JsonBuffer {
 public:
  void clear() { size_ = 0; }
  // Drops what was written after the first `size` bytes (size <= size()).
  void truncate(size_t size) { size_ = size; }
  std::string_view view() const { return {data_.data(), size_}; }
  size_t size() const { return size_; }

  void put(char c) {
    *reserve(1) = c;
    ++size_;
  }
  void raw(std::string_view text) {
    std::memcpy(reserve(text.size()), text.data(), text.size());
    size_ += text.size();
  }
  // Appends `text` (prepared by padJsonText()) without its first `skip` bytes (at most 16), 16
  // bytes at a time: the "name": written before every value then costs no call to memcpy, which
  // handing it a short text of run-time length made 2% of decode.
  void rawPadded(const PaddedText& text, size_t skip = 0) {
    const size_t size = text.size - skip;
    char* out = reserve(size + 16);
    for (size_t at = 0; at < size; at += 16) {
      std::memcpy(out + at, text.bytes.data() + skip + at, 16);
    }
    commit(out + size);
  }
  // Base64 of `bytes` padded with zero bytes to `padded_length`, written in place
  // (common/base64.h).
  void base64(std::span<const uint8_t> bytes, size_t padded_length);
  void int64(int64_t value) { commit(writeSigned(reserve(21), value)); }
  void uint64(uint64_t value) { commit(writeDigits(reserve(20), value)); }
  // "text" with JSON escapes.
  void string(std::string_view text);
  void string(std::span<const uint8_t> bytes) {
    string(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }

  // Room for `n` more bytes at the end; returns where they go. Write there, then commit() the end.
  char* reserve(size_t n) {
    if (data_.size() - size_ < n) {
      grow(n);
    }
    return data_.data() + size_;
  }
  void commit(const char* end) { size_ = static_cast<size_t>(end - data_.data()); }

  // What was written followed by `suffix`, moved out without a copy (unless the suffix is longer
  // than kTakeSuffix); the buffer is left empty. For a large message, which then costs one buffer
  // instead of two.
  static constexpr size_t kTakeSuffix = 64;
  std::string take(std::string_view suffix);

 private:
  void grow(size_t n);

  std::string data_;  // only [0, size_) is the message; the rest is room
  size_t size_ = 0;
};

// Appends `text` JSON-escaped and quoted to `out` (the same escapes as JsonBuffer::string), for
// text prepared once and copied many times (the per-table key prefixes).
void appendJsonString(std::string_view text, std::string& out);

}  // namespace mm::message
