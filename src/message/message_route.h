// MessageRoute: where a message goes and how a broker can filter it, computed beside the JSON.
//
// The routing key comes from the `[amqp] routing_key` template: literal text with the placeholders
// {database}, {table}, {type} and {keys_hash}. {keys_hash} is a stable hash of the row's key
// values (FNV-1a 64 of the `keys` JSON object as the message writes it, 16 hex digits:
// RowMessageBuilder::lastKeys, or keysObject() of a typed change), so a
// consistent-hash exchange sends every change of one row to the same queue, in order. The headers
// (database, table, type) let a headers exchange or a consumer filter without parsing the body.
// The sink publishes both as given and never looks inside.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace mm::message {

using Headers = std::vector<std::pair<std::string, std::string>>;

// What routing may depend on. `keys_json` is only read when the template uses {keys_hash}.
struct RouteFacts {
  std::string_view type;  // row_insert, row_update, row_delete, heartbeat
  std::string_view database;
  std::string_view table;
  std::string_view keys_json;
};

class RoutingKeyTemplate {
 public:
  RoutingKeyTemplate() = default;  // expands to "" (assign a parsed one)

  // InvalidArgument naming the placeholder when the text has an unknown one or an unclosed '{'.
  static Result<RoutingKeyTemplate> parse(std::string_view text);

  std::string expand(const RouteFacts& facts) const;
  bool usesKeysHash() const { return uses_keys_hash_; }

 private:
  enum class Part { Literal, Database, Table, Type, KeysHash };
  struct Piece {
    Part part;
    std::string literal;
  };

  std::vector<Piece> pieces_;
  bool uses_keys_hash_ = false;
};

// FNV-1a 64 of `keys_json`, as 16 lowercase hex digits.
std::string keysHash(std::string_view keys_json);

// The database/table/type headers of a row message (heartbeats: type only).
Headers routeHeaders(const RouteFacts& facts);

}  // namespace mm::message
