#include "binlog/json_diff.h"

#include <algorithm>
#include <optional>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "binlog/charset.h"
#include "binlog/json_binary.h"
#include "common/byte_reader.h"

namespace mm::binlog {
namespace {

enum class Operation : uint8_t { Replace = 0, Insert = 1, Remove = 2 };

struct PathLeg {
  bool is_member = false;
  std::string member;      // is_member: the unescaped UTF-8 name
  uint64_t index = 0;      // array cell
  bool from_last = false;  // [last] / [last-N]: index counts back from the last element
};

// Parses the paths MySQL writes (Json_path::to_string): '$', then '.name', '."quoted name"',
// '[N]', '[last]' or '[last-N]' legs. No wildcards: a diff names one location.
class PathParser {
 public:
  explicit PathParser(std::string_view text) : text_(text) {}

  std::optional<std::vector<PathLeg>> parse() {
    std::vector<PathLeg> legs;
    skipSpace();
    if (!take('$')) {
      return std::nullopt;
    }
    while (true) {
      skipSpace();
      if (pos_ == text_.size()) {
        return legs;
      }
      PathLeg leg;
      if (take('.')) {
        skipSpace();
        leg.is_member = true;
        if (!(pos_ < text_.size() && text_[pos_] == '"' ? quoted(leg.member)
                                                        : identifier(leg.member))) {
          return std::nullopt;
        }
      } else if (take('[')) {
        skipSpace();
        if (text_.substr(pos_, 4) == "last") {
          pos_ += 4;
          leg.from_last = true;
          skipSpace();
          if (take('-')) {
            skipSpace();
            if (!number(leg.index)) {
              return std::nullopt;
            }
          }
        } else if (!number(leg.index)) {
          return std::nullopt;
        }
        skipSpace();
        if (!take(']')) {
          return std::nullopt;
        }
      } else {
        return std::nullopt;
      }
      legs.push_back(std::move(leg));
    }
  }

 private:
  bool identifier(std::string& out) {
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != '.' && text_[pos_] != '[' && text_[pos_] != ' ' &&
           text_[pos_] != '*' && text_[pos_] != '"') {
      ++pos_;
    }
    out.assign(text_.substr(start, pos_ - start));
    return !out.empty();
  }

  // A JSON string literal, unescaped into UTF-8.
  bool quoted(std::string& out) {
    ++pos_;
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') {
        return true;
      }
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) {
        return false;
      }
      const char e = text_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/': out.push_back(e); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          uint32_t cp = 0;
          if (!hex4(cp)) {
            return false;
          }
          if (cp >= 0xD800 && cp <= 0xDBFF && text_.substr(pos_, 2) == "\\u") {
            pos_ += 2;
            uint32_t low = 0;
            if (!hex4(low) || low < 0xDC00 || low > 0xDFFF) {
              return false;
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          appendUtf8CodePoint(cp, out);
          break;
        }
        default: return false;
      }
    }
    return false;
  }

  bool hex4(uint32_t& value) {
    if (text_.size() - pos_ < 4) {
      return false;
    }
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_++];
      const int digit = c >= '0' && c <= '9'   ? c - '0'
                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                               : -1;
      if (digit < 0) {
        return false;
      }
      value = value << 4 | static_cast<uint32_t>(digit);
    }
    return true;
  }

  bool number(uint64_t& value) {
    const size_t start = pos_;
    value = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9' && pos_ - start < 10) {
      value = value * 10 + static_cast<uint64_t>(text_[pos_++] - '0');
    }
    return pos_ > start;
  }

  bool take(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  void skipSpace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n')) {
      ++pos_;
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// The array position a leg names in an array of `size`, or nullopt when it names none.
std::optional<size_t> arrayIndex(const PathLeg& leg, size_t size) {
  if (!leg.from_last) {
    return leg.index < size ? std::optional<size_t>(leg.index) : std::nullopt;
  }
  if (leg.index >= size) {
    return std::nullopt;
  }
  return size - 1 - leg.index;
}

// MySQL keeps object members ordered by key length, then bytes (Json_key_comparator).
bool keyLess(std::string_view a, std::string_view b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

// The node `legs` lead to, or nullptr (MySQL seek_exact_path: no auto-wrapping).
JsonNode* seek(JsonNode& root, std::span<const PathLeg> legs) {
  JsonNode* node = &root;
  for (const PathLeg& leg : legs) {
    if (node->type == JsonNode::Type::Array && !leg.is_member) {
      const auto index = arrayIndex(leg, node->elements.size());
      if (!index) {
        return nullptr;
      }
      node = &node->elements[*index];
    } else if (node->type == JsonNode::Type::Object && leg.is_member) {
      auto it = std::find_if(node->members.begin(), node->members.end(),
                             [&](const auto& m) { return m.first == leg.member; });
      if (it == node->members.end()) {
        return nullptr;
      }
      node = &it->second;
    } else {
      return nullptr;
    }
  }
  return node;
}

bool apply(JsonNode& root, Operation op, const std::vector<PathLeg>& legs, JsonNode&& value) {
  if (legs.empty()) {
    return false;  // MySQL never logs a diff of the whole document
  }
  if (op == Operation::Replace) {
    JsonNode* target = seek(root, legs);
    if (target == nullptr) {
      return false;
    }
    *target = std::move(value);
    return true;
  }
  JsonNode* parent = seek(root, std::span(legs).first(legs.size() - 1));
  if (parent == nullptr) {
    return false;
  }
  const PathLeg& last = legs.back();
  if (parent->type == JsonNode::Type::Object && last.is_member) {
    auto& members = parent->members;
    auto it = std::find_if(members.begin(), members.end(),
                           [&](const auto& m) { return m.first == last.member; });
    if (op == Operation::Remove) {
      if (it == members.end()) {
        return false;
      }
      members.erase(it);
      return true;
    }
    if (it != members.end()) {
      return false;  // INSERT of a member that exists
    }
    auto at = std::find_if(members.begin(), members.end(),
                           [&](const auto& m) { return keyLess(last.member, m.first); });
    members.emplace(at, last.member, std::move(value));
    return true;
  }
  if (parent->type == JsonNode::Type::Array && !last.is_member) {
    auto& elements = parent->elements;
    if (op == Operation::Remove) {
      const auto index = arrayIndex(last, elements.size());
      if (!index) {
        return false;
      }
      elements.erase(elements.begin() + static_cast<ptrdiff_t>(*index));
      return true;
    }
    // Json_array::insert_alias: a position past the end appends.
    size_t position = last.index;
    if (last.from_last) {
      position = last.index < elements.size() ? elements.size() - 1 - last.index : 0;
    }
    position = std::min(position, elements.size());
    elements.insert(elements.begin() + static_cast<ptrdiff_t>(position), std::move(value));
    return true;
  }
  return false;
}

}  // namespace

Status applyJsonDiffs(std::span<const uint8_t> before_doc, std::span<const uint8_t> diff_vector,
                      std::string& out) {
  auto fail = [](size_t diff, std::string_view what) {
    return Status::corruption(
        fmt::format("JSON diff {} of a PARTIAL_UPDATE_ROWS_EVENT: {}", diff, what));
  };
  auto document = parseJsonBinary(before_doc);
  if (!document.isOk()) {
    return document.status().withContext("before image of a PARTIAL_UPDATE_ROWS_EVENT");
  }
  ByteReader outer(diff_vector);
  const uint32_t length = outer.u32le();
  ByteReader r = outer.sub(length);
  if (!outer.ok() || !outer.empty()) {
    return fail(0, fmt::format("vector length {} does not match its {} bytes", length,
                               diff_vector.size() < 4 ? 0 : diff_vector.size() - 4));
  }
  // Loop until the vector's length is consumed: one UPDATE may log several diffs per column.
  for (size_t n = 0; !r.empty(); ++n) {
    const uint8_t op = r.u8();
    if (op > static_cast<uint8_t>(Operation::Remove)) {
      return fail(n, fmt::format("unknown operation {}", op));
    }
    const uint64_t path_length = r.packedInt();
    const std::string_view path_text = r.chars(path_length);
    if (!r.ok()) {
      return fail(n, "path truncated");
    }
    auto legs = PathParser(path_text).parse();
    if (!legs) {
      return fail(n, fmt::format("path '{}' does not parse", path_text));
    }
    JsonNode value;
    if (op != static_cast<uint8_t>(Operation::Remove)) {
      const uint64_t value_length = r.packedInt();
      const std::span<const uint8_t> value_bytes = r.bytes(value_length);
      if (!r.ok()) {
        return fail(n, fmt::format("value at '{}' truncated", path_text));
      }
      auto parsed = parseJsonBinary(value_bytes);
      if (!parsed.isOk()) {
        return parsed.status().withContext(fmt::format("JSON diff {} at '{}'", n, path_text));
      }
      value = std::move(*parsed);
    }
    if (!apply(*document, static_cast<Operation>(op), *legs, std::move(value))) {
      static constexpr std::string_view kNames[] = {"REPLACE", "INSERT", "REMOVE"};
      return fail(n, fmt::format("{} at '{}' does not fit the before image's document", kNames[op],
                                 path_text));
    }
  }
  out.clear();
  appendJsonNode(*document, out);
  return Status::ok();
}

}  // namespace mm::binlog
