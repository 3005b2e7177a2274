// Writing and checking JSON text without a JSON library (the decoder module must not depend on one,
// CONTRIBUTING.md §2): the JSON documents, vectors and strings the decoder renders are embedded as
// they are in the messages, so everything here guarantees well-formed output. Pure functions;
// thread-safe.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace mm::binlog {

// Appends `text` as a JSON string (quotes included): '"', '\' and control characters escaped,
// bytes that are not well-formed UTF-8 replaced with U+FFFD.
void appendJsonString(std::string_view text, std::string& out);

// Appends the shortest text that reads back to the same value (std::to_chars). Returns false,
// appending nothing, for NaN and infinities, which JSON cannot express.
bool appendJsonNumber(double value, std::string& out);
bool appendJsonNumber(float value, std::string& out);

// Whether `text` is exactly one JSON value (RFC 8259), optionally surrounded by whitespace, in
// well-formed UTF-8, nested at most 512 deep.
bool isValidJson(std::string_view text);

// `text` without the whitespace between JSON tokens (strings kept as they are): MySQL's JSON text
// (`{"a": 1, "b": [1, 2]}`, what a SELECT returns) in the compact form appendJsonFromBinary()
// renders the same document in (`{"a":1,"b":[1,2]}`), for the snapshot (mysql/snapshot_reader.h).
std::string compactJsonText(std::string_view text);

}  // namespace mm::binlog
