// Standard base64 (RFC 4648, with padding) for binary column values.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace mm::message {

// Encodes `bytes` followed by zero bytes up to `padded_length` (BINARY(n) values are logged with
// their trailing zeros stripped) into `out`, replacing its contents.
void encodeBase64(std::span<const uint8_t> bytes, size_t padded_length, std::string& out);

}  // namespace mm::message
