// Standard base64 (RFC 4648, with padding) for binary column values and opaque JSON values.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace mm {

// The length of the encoding of `length` bytes.
constexpr size_t base64Length(size_t length) { return (length + 2) / 3 * 4; }

// Writes the encoding of `bytes` followed by zero bytes up to `padded_length` (BINARY(n) values
// are logged with their trailing zeros stripped) at `out`, which has room for
// base64Length(max(bytes.size(), padded_length)) characters; returns the end.
char* writeBase64(std::span<const uint8_t> bytes, size_t padded_length, char* out);

// The same, appended to `out`.
void appendBase64(std::span<const uint8_t> bytes, size_t padded_length, std::string& out);

// Decodes `text` (with or without padding) into `out`; false when it is not base64.
bool decodeBase64(std::string_view text, std::string& out);

}  // namespace mm
