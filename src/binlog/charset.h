// Character sets of text columns, and their conversion to UTF-8 for the JSON messages.
// Layout and policy: docs/binlog-format.md §4.9.
//
// Row bytes are in the column's character set whatever the connection's. The binlog names it by a
// collation id (TABLE_MAP charset metadata); information_schema by name. Only the character set
// matters for decoding, so both map to a Charset. Collations of charsets we do not transcode, and
// unknown ids, map to Charset::Unknown, decoded as UTF-8 with validation (never broken output).
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace mm::binlog {

enum class Charset : uint8_t {
  Unknown,  // not logged, or a charset we do not transcode: UTF-8, invalid bytes replaced
  Utf8mb4,
  Utf8mb3,  // "utf8" before MySQL 8.0.28 / MariaDB 10.6
  Latin1,   // MySQL's latin1 is Windows-1252, not ISO-8859-1
  Ascii,
  Ucs2,   // UCS-2 big-endian
  Utf16,  // UTF-16 big-endian
  Utf16le,
  Utf32,   // UTF-32 big-endian
  Binary,  // collation 63: bytes, not text
};

// The character set of a collation id of MySQL 5.x-9.x or MariaDB 10.x-11.x.
Charset charsetOfCollation(uint32_t collation);

// The character set information_schema calls `name` ("utf8mb4", "utf8", "latin1", ...).
Charset charsetByName(std::string_view name);

// The character set of a collation name: the part before the first '_', in any case
// ("latin1_swedish_ci" -> Latin1, "binary" -> Binary).
Charset charsetOfCollationName(std::string_view collation);

// The name information_schema gives `charset` (the inverse of charsetByName); empty for Unknown.
std::string_view charsetName(Charset charset);

// A collation id of `charset` (its default one), for a column whose charset comes from the schema
// rather than the binlog. 0 for Unknown.
uint32_t defaultCollationOf(Charset charset);

// Whether `bytes` are well-formed UTF-8 (shortest forms, no surrogates, at most U+10FFFF).
bool isValidUtf8(std::span<const uint8_t> bytes);

// Appends code point `cp` in UTF-8; surrogates and values past U+10FFFF become U+FFFD.
void appendUtf8CodePoint(uint32_t cp, std::string& out);

// Replaces `out` with `bytes` converted from `charset` to UTF-8. Malformed input (a truncated
// UTF-16 unit, an unpaired surrogate, invalid UTF-8, a code point past U+10FFFF) becomes U+FFFD.
// Requires: charset != Binary.
void transcodeToUtf8(Charset charset, std::span<const uint8_t> bytes, std::string& out);

}  // namespace mm::binlog
