#include "binlog/json_text.h"

#include <cctype>
#include <charconv>
#include <cmath>

#include "binlog/charset.h"

namespace mm::binlog {
namespace {

constexpr int kMaxValidationDepth = 512;

template <typename T>
bool appendNumber(T value, std::string& out) {
  if (!std::isfinite(value)) {
    return false;
  }
  char text[32];
  const auto result = std::to_chars(text, text + sizeof text, value);
  out.append(text, result.ptr);
  return true;
}

std::span<const uint8_t> asBytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

// A recursive-descent recogniser of RFC 8259 over `text_`.
class Validator {
 public:
  explicit Validator(std::string_view text) : text_(text) {}

  bool document() {
    skipSpace();
    if (!value(0)) {
      return false;
    }
    skipSpace();
    return pos_ == text_.size();
  }

 private:
  bool value(int depth) {
    if (depth > kMaxValidationDepth || pos_ >= text_.size()) {
      return false;
    }
    switch (text_[pos_]) {
      case '{': return members('}', /*keyed=*/true, depth);
      case '[': return members(']', /*keyed=*/false, depth);
      case '"': return string();
      case 't': return literal("true");
      case 'f': return literal("false");
      case 'n': return literal("null");
      default: return number();
    }
  }

  // An object's or an array's members after its opening bracket, up to `close`: "name": value
  // pairs when `keyed`, values otherwise, separated by commas.
  bool members(char close, bool keyed, int depth) {
    ++pos_;
    skipSpace();
    if (peek(close)) {
      return true;
    }
    while (true) {
      skipSpace();
      if (keyed && !name()) {
        return false;
      }
      if (!value(depth + 1)) {
        return false;
      }
      skipSpace();
      if (peek(close)) {
        return true;
      }
      if (!peek(',')) {
        return false;
      }
    }
  }

  // An object member's name, the colon and the space after it.
  bool name() {
    if (pos_ >= text_.size() || text_[pos_] != '"' || !string()) {
      return false;
    }
    skipSpace();
    if (!peek(':')) {
      return false;
    }
    skipSpace();
    return true;
  }

  bool string() {
    ++pos_;  // the opening quote
    const size_t start = pos_;
    while (pos_ < text_.size()) {
      const auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return isValidUtf8(asBytes(text_.substr(start, pos_ - 1 - start)));
      }
      if (c < 0x20) {
        return false;
      }
      if (c == '\\') {
        if (++pos_ >= text_.size()) {
          return false;
        }
        const char e = text_[pos_];
        if (e == 'u') {
          for (int i = 0; i < 4; ++i) {
            if (++pos_ >= text_.size() || !std::isxdigit(static_cast<unsigned char>(text_[pos_]))) {
              return false;
            }
          }
        } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
          return false;
        }
      }
      ++pos_;
    }
    return false;
  }

  bool number() {
    peek('-');
    if (peek('0')) {
      // no leading zeros
    } else if (!digits()) {
      return false;
    }
    if (peek('.') && !digits()) {
      return false;
    }
    if (peek('e') || peek('E')) {
      if (!peek('+')) {
        peek('-');
      }
      if (!digits()) {
        return false;
      }
    }
    return true;
  }

  bool digits() {
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      ++pos_;
    }
    return pos_ > start;
  }

  bool literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) {
      return false;
    }
    pos_ += word.size();
    return true;
  }

  bool peek(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  void skipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

void appendEscaped(std::string_view text, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else {
          out.push_back(ch);
        }
    }
  }
}

}  // namespace

void appendJsonString(std::string_view text, std::string& out) {
  out.push_back('"');
  if (isValidUtf8(asBytes(text))) {
    appendEscaped(text, out);
  } else {
    std::string repaired;
    transcodeToUtf8(Charset::Utf8mb4, asBytes(text), repaired);
    appendEscaped(repaired, out);
  }
  out.push_back('"');
}

bool appendJsonNumber(double value, std::string& out) { return appendNumber(value, out); }
bool appendJsonNumber(float value, std::string& out) { return appendNumber(value, out); }

bool isValidJson(std::string_view text) { return Validator(text).document(); }

std::string compactJsonText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < text.size()) {
        out.push_back(text[++i]);  // an escaped character, a quote included
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
      out.push_back(c);
    } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace mm::binlog
