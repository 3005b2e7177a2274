// Standard base64 (RFC 4648, with padding) for binary column values and opaque JSON values.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace mm {

// Appends the encoding of `bytes` followed by zero bytes up to `padded_length` (BINARY(n) values
// are logged with their trailing zeros stripped) to `out`.
void appendBase64(std::span<const uint8_t> bytes, size_t padded_length, std::string& out);

}  // namespace mm
