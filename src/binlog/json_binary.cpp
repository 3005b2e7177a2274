#include "binlog/json_binary.h"

#include <charconv>
#include <iterator>
#include <string_view>

#include <fmt/format.h>

#include "binlog/column_type.h"
#include "binlog/column_value.h"
#include "binlog/json_text.h"
#include "common/base64.h"
#include "common/byte_reader.h"

namespace mm::binlog {
namespace {

// Value type bytes (sql-common/json_binary.h).
enum JsonbType : uint8_t {
  JSONB_SMALL_OBJECT = 0x00,
  JSONB_LARGE_OBJECT = 0x01,
  JSONB_SMALL_ARRAY = 0x02,
  JSONB_LARGE_ARRAY = 0x03,
  JSONB_LITERAL = 0x04,
  JSONB_INT16 = 0x05,
  JSONB_UINT16 = 0x06,
  JSONB_INT32 = 0x07,
  JSONB_UINT32 = 0x08,
  JSONB_INT64 = 0x09,
  JSONB_UINT64 = 0x0A,
  JSONB_DOUBLE = 0x0B,
  JSONB_STRING = 0x0C,
  JSONB_OPAQUE = 0x0F,
};

enum JsonbLiteral : uint8_t { JSONB_NULL = 0x00, JSONB_TRUE = 0x01, JSONB_FALSE = 0x02 };

// MySQL refuses documents nested deeper than 100 (JSON_DOCUMENT_MAX_DEPTH); the cap also bounds
// the recursion on corrupt input.
constexpr int kMaxDepth = 100;

Status corrupt(std::string_view what) {
  return Status::corruption(fmt::format("JSON binary value: {}", what));
}

bool isContainer(uint8_t type) { return type <= JSONB_LARGE_ARRAY; }

// Inlined in the value entry instead of stored at an offset: literals and 16-bit integers always,
// 32-bit integers only in large containers (MySQL inlined_type(); every peer got this wrong once).
bool isInlined(uint8_t type, bool large) {
  switch (type) {
    case JSONB_LITERAL:
    case JSONB_INT16:
    case JSONB_UINT16: return true;
    case JSONB_INT32:
    case JSONB_UINT32: return large;
    default: return false;
  }
}

// 7 bits per byte, low group first, at most 5 bytes (a uint32).
bool readVariableLength(ByteReader& r, uint64_t& length) {
  length = 0;
  for (int i = 0; i < 5; ++i) {
    const uint8_t b = r.u8();
    if (!r.ok()) {
      return false;
    }
    length |= static_cast<uint64_t>(b & 0x7F) << (7 * i);
    if ((b & 0x80) == 0) {
      return length <= UINT32_MAX;
    }
  }
  return false;
}

template <typename T>
void appendInteger(T value, std::string& out) {
  char text[24];
  const auto result = std::to_chars(text, text + sizeof text, value);
  out.append(text, result.ptr);
}

// Opaque temporal values: an 8-byte little-endian "packed" integer, ((ymd << 17 | hms) << 24) + µs
// for dates, (hms << 24) + µs for TIME, negative for negative TIME (§4.7).
Status appendPackedTemporal(uint8_t field_type, std::span<const uint8_t> data, std::string& out) {
  if (data.size() != 8) {
    return corrupt(
        fmt::format("opaque {} value of {} bytes, not 8", columnTypeName(field_type), data.size()));
  }
  ByteReader r(data);
  const auto packed = static_cast<int64_t>(r.u64le());
  const uint64_t a = packed < 0 ? 0 - static_cast<uint64_t>(packed) : static_cast<uint64_t>(packed);
  const uint64_t micros = a % (1ULL << 24);
  const uint64_t whole = a >> 24;
  if (field_type == MYSQL_TYPE_TIME) {
    // Hours reach 838: the hour field is not bounded to 5 bits here.
    fmt::format_to(std::back_inserter(out), "\"{}{:02}:{:02}:{:02}.{:06}\"", packed < 0 ? "-" : "",
                   whole >> 12, (whole >> 6) & 0x3F, whole & 0x3F, micros);
    return Status::ok();
  }
  const uint64_t hms = whole % (1ULL << 17);
  const uint64_t hour = hms >> 12;
  const uint64_t minute = (hms >> 6) & 0x3F;
  const uint64_t second = hms & 0x3F;
  const uint64_t ymd = whole >> 17;
  const uint64_t ym = ymd >> 5;
  const uint64_t day = ymd & 0x1F;
  if (field_type == MYSQL_TYPE_DATE) {
    fmt::format_to(std::back_inserter(out), "\"{:04}-{:02}-{:02}\"", ym / 13, ym % 13, day);
  } else {
    fmt::format_to(std::back_inserter(out), "\"{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}\"",
                   ym / 13, ym % 13, day, hour, minute, second, micros);
  }
  return Status::ok();
}

Status appendOpaque(ByteReader& r, std::string& out) {
  const uint8_t field_type = r.u8();
  uint64_t length = 0;
  if (!r.ok() || !readVariableLength(r, length) || length > r.remaining()) {
    return corrupt("opaque value truncated");
  }
  const std::span<const uint8_t> data = r.bytes(length);
  switch (field_type) {
    case MYSQL_TYPE_NEWDECIMAL: {
      // precision, scale, then the packed decimal: rendered as a bare number, as MySQL prints it.
      if (data.size() < 2) {
        return corrupt("opaque DECIMAL without precision and scale");
      }
      CellValue decimal;
      Status st =
          formatDecimal(static_cast<uint16_t>(data[0] << 8 | data[1]), data.subspan(2), decimal);
      if (!st.isOk()) {
        return st.withContext("JSON binary value: opaque DECIMAL");
      }
      out.append(decimal.text.data(), decimal.text_len);
      return Status::ok();
    }
    case MYSQL_TYPE_DATE:
    case MYSQL_TYPE_TIME:
    case MYSQL_TYPE_DATETIME:
    case MYSQL_TYPE_TIMESTAMP: return appendPackedTemporal(field_type, data, out);
    default:
      fmt::format_to(std::back_inserter(out), "\"base64:type{}:", field_type);
      appendBase64(data, 0, out);
      out.push_back('"');
      return Status::ok();
  }
}

// Appends the JSON text of one scalar of `type` read from `r` (positioned at its payload).
Status appendScalar(uint8_t type, ByteReader& r, std::string& out) {
  switch (type) {
    case JSONB_LITERAL:
      switch (r.u8()) {
        case JSONB_NULL: out += "null"; break;
        case JSONB_TRUE: out += "true"; break;
        case JSONB_FALSE: out += "false"; break;
        default: return corrupt("unknown literal");
      }
      break;
    case JSONB_INT16: appendInteger(static_cast<int16_t>(r.u16le()), out); break;
    case JSONB_UINT16: appendInteger(r.u16le(), out); break;
    case JSONB_INT32: appendInteger(static_cast<int32_t>(r.u32le()), out); break;
    case JSONB_UINT32: appendInteger(r.u32le(), out); break;
    case JSONB_INT64: appendInteger(static_cast<int64_t>(r.u64le()), out); break;
    case JSONB_UINT64: appendInteger(r.u64le(), out); break;
    case JSONB_DOUBLE: {
      const double d = r.f64le();
      if (r.ok() && !appendJsonNumber(d, out)) {
        return corrupt("double is not finite");
      }
      break;
    }
    case JSONB_STRING: {
      uint64_t length = 0;
      if (!readVariableLength(r, length) || length > r.remaining()) {
        return corrupt("string truncated");
      }
      appendJsonString(r.chars(length), out);
      break;
    }
    case JSONB_OPAQUE: return appendOpaque(r, out);
    default: return corrupt(fmt::format("unknown value type 0x{:02X}", type));
  }
  if (!r.ok()) {
    return corrupt(fmt::format("value of type 0x{:02X} truncated", type));
  }
  return Status::ok();
}

// Receives the document as it is walked: TextSink writes JSON text, TreeSink builds a JsonNode.
class TextSink {
 public:
  explicit TextSink(std::string& out) : out_(out) {}
  void beginContainer(bool object) { out_.push_back(object ? '{' : '['); }
  void endContainer(bool object) { out_.push_back(object ? '}' : ']'); }
  void key(std::string_view key, bool first) {
    if (!first) {
      out_.push_back(',');
    }
    appendJsonString(key, out_);
    out_.push_back(':');
  }
  void element(bool first) {
    if (!first) {
      out_.push_back(',');
    }
  }
  std::string& scalar() { return out_; }

 private:
  std::string& out_;
};

class TreeSink {
 public:
  explicit TreeSink(JsonNode& root) { stack_.push_back(&root); }
  void beginContainer(bool object) {
    JsonNode& node = next();
    node.type = object ? JsonNode::Type::Object : JsonNode::Type::Array;
    stack_.push_back(&node);
  }
  void endContainer(bool) { stack_.pop_back(); }
  void key(std::string_view key, bool) { key_ = key; }
  void element(bool) {}
  std::string& scalar() { return next().scalar; }

 private:
  // The node the next value fills: the root, a new member under the last key, or a new element.
  JsonNode& next() {
    JsonNode& parent = *stack_.back();
    if (!started_) {
      started_ = true;
      return parent;
    }
    if (parent.type == JsonNode::Type::Object) {
      return parent.members.emplace_back(std::string(key_), JsonNode{}).second;
    }
    return parent.elements.emplace_back();
  }

  std::vector<JsonNode*> stack_;
  std::string_view key_;
  bool started_ = false;
};

template <typename Sink>
Status walkValue(uint8_t type, std::span<const uint8_t> data, int depth, Sink& sink);

// An object or array: `data` starts after its type byte (all offsets are relative to there).
template <typename Sink>
Status walkContainer(uint8_t type, std::span<const uint8_t> data, int depth, Sink& sink) {
  if (depth > kMaxDepth) {
    return corrupt(fmt::format("nested deeper than {}", kMaxDepth));
  }
  const bool large = type == JSONB_LARGE_OBJECT || type == JSONB_LARGE_ARRAY;
  const bool object = type == JSONB_SMALL_OBJECT || type == JSONB_LARGE_OBJECT;
  const size_t offset_size = large ? 4 : 2;
  ByteReader header(data);
  const uint64_t count = header.uintLe(offset_size);
  const uint64_t size = header.uintLe(offset_size);
  if (!header.ok() || size > data.size()) {
    return corrupt(fmt::format("{} header or size {} past the {} bytes left",
                               object ? "object" : "array", size, data.size()));
  }
  const size_t key_entry = object ? offset_size + 2 : 0;
  const size_t value_entry = 1 + offset_size;
  if (count > size || 2 * offset_size + count * (key_entry + value_entry) > size) {
    return corrupt(fmt::format("{} of {} entries does not fit its {} bytes",
                               object ? "object" : "array", count, size));
  }
  const std::span<const uint8_t> body = data.first(size);
  sink.beginContainer(object);
  const size_t entries = 2 * offset_size;
  const size_t value_entries = entries + count * key_entry;
  for (uint64_t i = 0; i < count; ++i) {
    if (object) {
      ByteReader k(body.subspan(entries + i * key_entry));
      const uint64_t key_offset = k.uintLe(offset_size);
      const uint16_t key_length = k.u16le();
      if (key_offset > size || key_length > size - key_offset) {
        return corrupt(fmt::format("key {} at {}+{} past the object's {} bytes", i, key_offset,
                                   key_length, size));
      }
      const auto key = body.subspan(key_offset, key_length);
      sink.key({reinterpret_cast<const char*>(key.data()), key.size()}, i == 0);
    } else {
      sink.element(i == 0);
    }
    ByteReader v(body.subspan(value_entries + i * value_entry, value_entry));
    const uint8_t value_type = v.u8();
    if (isInlined(value_type, large)) {
      MM_RETURN_IF_ERROR(appendScalar(value_type, v, sink.scalar()));
      continue;
    }
    const uint64_t value_offset = v.uintLe(offset_size);
    if (value_offset >= size) {
      return corrupt(fmt::format("value {} at offset {} past the container's {} bytes", i,
                                 value_offset, size));
    }
    MM_RETURN_IF_ERROR(walkValue(value_type, body.subspan(value_offset), depth + 1, sink));
  }
  sink.endContainer(object);
  return Status::ok();
}

template <typename Sink>
Status walkValue(uint8_t type, std::span<const uint8_t> data, int depth, Sink& sink) {
  if (isContainer(type)) {
    return walkContainer(type, data, depth, sink);
  }
  ByteReader r(data);
  return appendScalar(type, r, sink.scalar());
}

template <typename Sink>
Status walkDocument(std::span<const uint8_t> doc, Sink& sink) {
  if (doc.empty()) {
    sink.scalar() += "null";
    return Status::ok();
  }
  return walkValue(doc[0], doc.subspan(1), 0, sink);
}

}  // namespace

Status appendJsonFromBinary(std::span<const uint8_t> doc, std::string& out) {
  TextSink sink(out);
  return walkDocument(doc, sink);
}

Result<JsonNode> parseJsonBinary(std::span<const uint8_t> doc) {
  JsonNode root;
  TreeSink sink(root);
  MM_RETURN_IF_ERROR(walkDocument(doc, sink));
  return root;
}

void appendJsonNode(const JsonNode& node, std::string& out) {
  switch (node.type) {
    case JsonNode::Type::Scalar: out += node.scalar; return;
    case JsonNode::Type::Object:
      out.push_back('{');
      for (size_t i = 0; i < node.members.size(); ++i) {
        if (i > 0) {
          out.push_back(',');
        }
        appendJsonString(node.members[i].first, out);
        out.push_back(':');
        appendJsonNode(node.members[i].second, out);
      }
      out.push_back('}');
      return;
    case JsonNode::Type::Array:
      out.push_back('[');
      for (size_t i = 0; i < node.elements.size(); ++i) {
        if (i > 0) {
          out.push_back(',');
        }
        appendJsonNode(node.elements[i], out);
      }
      out.push_back(']');
      return;
  }
}

}  // namespace mm::binlog
