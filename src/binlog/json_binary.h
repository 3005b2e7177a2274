// MySQL's binary JSON (column type 245) -> JSON text, and a small tree of it for
// PARTIAL_UPDATE_ROWS diffs (binlog/json_diff.h). Layout and traps: docs/binlog-format.md §4.7.
//
// Values render as MySQL's JSON text shows them, compactly: object keys in stored order, doubles
// as the shortest round-trip text, opaque DECIMAL as a bare number, opaque DATE / DATETIME /
// TIMESTAMP / TIME as the strings MySQL prints ("2012-03-18", "2012-03-18 11:30:45.000000",
// "87:31:46.654321"), any other opaque value as "base64:typeNN:<base64>". Strings are escaped and
// invalid UTF-8 replaced, so the output is always well-formed JSON. Errors (Corruption) name what
// is wrong and where; nothing is appended to `out` past the failing value's container start is
// guaranteed only on success. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace mm::binlog {

// Appends the JSON text of the binary JSON document `doc` (the value after its length prefix) to
// `out`. An empty document is JSON null (INSERT IGNORE of NULL into a NOT NULL column; MySQL bug
// 88791).
Status appendJsonFromBinary(std::span<const uint8_t> doc, std::string& out);

struct JsonMember;

// A JSON document as a tree, for applying diffs. Scalars keep their rendered JSON text.
struct JsonNode {
  enum class Type : uint8_t { Scalar, Object, Array };
  Type type = Type::Scalar;
  std::string scalar;               // Scalar: JSON text
  std::vector<JsonMember> members;  // Object: UTF-8 keys, stored order
  std::vector<JsonNode> elements;   // Array
};

// One object member. Not a std::pair: a pair needs JsonNode complete where JsonNode declares its
// members, which clang's libstdc++ checks reject.
struct JsonMember {
  JsonMember(std::string key, JsonNode value) : first(std::move(key)), second(std::move(value)) {}
  std::string first;  // the key
  JsonNode second;    // the value
};

// Decodes a binary JSON document into a tree (empty = null).
Result<JsonNode> parseJsonBinary(std::span<const uint8_t> doc);

// Appends the JSON text of `node`.
void appendJsonNode(const JsonNode& node, std::string& out);

}  // namespace mm::binlog
