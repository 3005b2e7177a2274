#include "message/message_route.h"

#include <fmt/format.h>

namespace mm::message {

Result<RoutingKeyTemplate> RoutingKeyTemplate::parse(std::string_view text) {
  RoutingKeyTemplate result;
  size_t at = 0;
  while (at < text.size()) {
    const size_t open = text.find('{', at);
    if (open != at) {
      const size_t end = open == std::string_view::npos ? text.size() : open;
      result.pieces_.push_back(Piece{Part::Literal, std::string(text.substr(at, end - at))});
      at = end;
      continue;
    }
    const size_t close = text.find('}', open);
    if (close == std::string_view::npos) {
      return Status::invalidArgument(
          fmt::format("routing key template '{}': '{{' at offset {} is not closed", text, open));
    }
    const std::string_view name = text.substr(open + 1, close - open - 1);
    Part part;
    if (name == "database") {
      part = Part::Database;
    } else if (name == "table") {
      part = Part::Table;
    } else if (name == "type") {
      part = Part::Type;
    } else if (name == "keys_hash") {
      part = Part::KeysHash;
      result.uses_keys_hash_ = true;
    } else {
      return Status::invalidArgument(
          fmt::format("routing key template '{}': unknown placeholder {{{}}} (known: {{database}}, "
                      "{{table}}, {{type}}, {{keys_hash}})",
                      text, name));
    }
    result.pieces_.push_back(Piece{part, {}});
    at = close + 1;
  }
  return result;
}

std::string RoutingKeyTemplate::expand(const RouteFacts& facts) const {
  std::string out;
  for (const Piece& piece : pieces_) {
    switch (piece.part) {
      case Part::Literal: out += piece.literal; break;
      case Part::Database: out += facts.database; break;
      case Part::Table: out += facts.table; break;
      case Part::Type: out += facts.type; break;
      case Part::KeysHash: out += keysHash(facts.keys_json); break;
    }
  }
  return out;
}

std::string keysHash(std::string_view keys_json) {
  uint64_t hash = 14695981039346656037ull;  // FNV-1a 64 offset basis and prime
  for (const char c : keys_json) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return fmt::format("{:016x}", hash);
}

Headers routeHeaders(const RouteFacts& facts) {
  if (facts.database.empty() && facts.table.empty()) {
    return {{"type", std::string(facts.type)}};
  }
  return {{"database", std::string(facts.database)},
          {"table", std::string(facts.table)},
          {"type", std::string(facts.type)}};
}

}  // namespace mm::message
