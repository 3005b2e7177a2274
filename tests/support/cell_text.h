// Renders decoded column values as short strings, so tests can compare a whole row with one
// EXPECT_EQ: integers and floats in decimal, text as is, binary as "0x" + hex (BINARY(n) padded),
// formatted values (temporal, DECIMAL) as the decoder wrote them, SETs as "a,b". Header-only.
#pragma once

#include <charconv>
#include <span>
#include <string>

#include "binlog/column_value.h"
#include "common/byte_reader.h"
#include "common/status.h"

namespace mm::test {

inline std::string renderCellValue(const binlog::CellValue& v) {
  using Kind = binlog::CellValue::Kind;
  switch (v.kind) {
    case Kind::Signed: return std::to_string(v.i);
    case Kind::Unsigned: return std::to_string(v.u);
    case Kind::Float:
    case Kind::Double: {
      char text[32];
      auto r = v.kind == Kind::Float ? std::to_chars(text, text + sizeof text, v.f)
                                     : std::to_chars(text, text + sizeof text, v.d);
      return std::string(text, r.ptr);
    }
    case Kind::Text: return std::string(v.bytes.begin(), v.bytes.end());
    case Kind::Binary: {
      static constexpr char kHex[] = "0123456789abcdef";
      std::string out = "0x";
      const size_t n = std::max(v.bytes.size(), v.padded_length);
      for (size_t i = 0; i < n; ++i) {
        const uint8_t b = i < v.bytes.size() ? v.bytes[i] : 0;
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 15]);
      }
      return out;
    }
    case Kind::Chars: return std::string(v.text.data(), v.text_len);
    case Kind::Set: {
      std::string out;
      for (size_t i = 0; i < v.members->size() && i < 64; ++i) {
        if ((v.u >> i) & 1) {
          out.append(out.empty() ? "" : ",").append((*v.members)[i]);
        }
      }
      return out;
    }
    case Kind::Json: return v.json;
  }
  return "?";
}

// readValueBytes as a Result, for tests that size one value.
inline Result<std::span<const uint8_t>> sizeValue(ByteReader& r,
                                                  const binlog::TableMapColumn& column) {
  std::span<const uint8_t> value;
  MM_RETURN_IF_ERROR(binlog::readValueBytes(r, column, value));
  return value;
}

// Sizes one value with readValueBytes, checks it used every byte, decodes and renders it.
inline Result<std::string> decodeToText(const binlog::TableMapColumn& column,
                                        std::span<const uint8_t> bytes) {
  ByteReader r(bytes);
  auto value = sizeValue(r, column);
  if (!value.isOk()) {
    return value.status();
  }
  if (!r.empty()) {
    return Status::internal(std::to_string(r.remaining()) + " bytes left after the value");
  }
  binlog::CellValue out;
  MM_RETURN_IF_ERROR(binlog::decodeValue(column, *value, out));
  return renderCellValue(out);
}

}  // namespace mm::test
