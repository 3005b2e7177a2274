// Column values in row images: how many bytes each takes, and what they mean.
// Layouts: docs/binlog-format.md §4.
//
// readValueBytes() knows the size of every column type, so a row with a type we cannot render still
// splits correctly. decodeValue() turns those bytes into a CellValue, the typed, JSON-library-free
// form the message builder writes. Neither allocates except for the text it renders into the
// CellValue's reused buffers (JSON, GEOMETRY, VECTOR, text not already valid UTF-8). Pure
// functions; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "binlog/table_map.h"
#include "common/byte_reader.h"
#include "common/status.h"

namespace mm::binlog {

// How the values of a column are laid out in a row image: `fixed` bytes, or (prefix != 0) a
// little-endian length of `prefix` bytes and that many bytes. Depends on the type and metadata
// only: decodeTableMap() works it out once per column (TableMapColumn::value_width/value_prefix).
struct ValueLayout {
  uint16_t fixed = 0;
  uint8_t prefix = 0;
};
// Errors as readValueBytes(): Corruption for metadata out of range, Unsupported for types that
// cannot be sized.
Status valueLayout(const TableMapColumn& column, ValueLayout& layout);

// Consumes one value laid out as `layout` and sets `value` to its bytes (length prefix included);
// false, with `r` unchanged, when it does not fit (readValueBytes() then names the problem).
// Inline and without a Status: it runs for every value of every row.
inline bool readLaidOutValue(ByteReader& r, ValueLayout layout, std::span<const uint8_t>& value) {
  size_t size = layout.fixed;
  if (layout.prefix != 0) {
    ByteReader probe = r;
    const uint64_t length = probe.uintLe(layout.prefix);
    if (!probe.ok() || length > probe.remaining()) {
      return false;
    }
    size = layout.prefix + length;
  }
  if (!r.ok() || size > r.remaining()) {
    return false;
  }
  value = r.bytes(size);
  return true;
}

// Consumes one non-NULL value of `column` from `r` and sets `value` to its bytes (length prefixes
// included). Errors: Corruption when truncated, Unsupported for types that cannot be sized (pre-5.0
// DECIMAL, unknown codes), naming the type. An out-parameter, not a Result: called for every value
// of every row, and the span returned through a Result's variant cost a store-forwarding stall.
Status readValueBytes(ByteReader& r, const TableMapColumn& column, std::span<const uint8_t>& value);

struct CellValue {
  enum class Kind : uint8_t {
    Signed,    // i
    Unsigned,  // u
    Float,     // f (rendered from the float, not after widening)
    Double,    // d
    Text,      // bytes = well-formed UTF-8, transcoded from the column's charset when needed
    Binary,    // bytes of a binary-collation column (BINARY already re-padded: see padded_length)
    Chars,     // text[0..text_len): a formatted value emitted as a JSON string (temporal, DECIMAL)
    Set,       // u = member bitmap, members = the column's member list (UTF-8)
    Json,      // json = well-formed JSON text, embedded as is (JSON, MariaDB JSON, VECTOR)
  };
  Kind kind = Kind::Signed;
  int64_t i = 0;
  uint64_t u = 0;
  float f = 0;
  double d = 0;
  std::span<const uint8_t> bytes;  // a view into the row, a member string, or `utf8`
  size_t padded_length = 0;  // Binary: the BINARY(n) length to pad to with 0x00, else bytes.size()
  const std::vector<std::string>* members = nullptr;
  std::array<char, 96> text{};  // DECIMAL(65,30) needs 67
  uint8_t text_len = 0;
  std::string json;
  std::string utf8;  // Text transcoded to UTF-8, or a GEOMETRY's WKT
};

// Decodes the bytes readValueBytes() returned for `column` into `out`. Signedness, collation and
// ENUM/SET members come from the column (table map metadata or the schema filled in by the caller).
// Errors name what is wrong with the value; the caller adds the column.
Status decodeValue(const TableMapColumn& column, std::span<const uint8_t> bytes, CellValue& out);

// Formats a packed DECIMAL (§4.3; metadata = precision << 8 | scale) into out.text as Kind::Chars
// with exactly `scale` fraction digits. Shared with the JSON decoder's opaque DECIMAL values.
Status formatDecimal(uint16_t metadata, std::span<const uint8_t> bytes, CellValue& out);

}  // namespace mm::binlog
