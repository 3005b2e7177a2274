#include "message/python_text.h"

#include <charconv>
#include <cstdlib>

#include <fmt/format.h>

namespace mm::message {
namespace {

constexpr char kLowerHex[] = "0123456789abcdef";

void appendUnicodeEscape(uint32_t unit, std::string& out) {
  out.append("\\u");
  for (int shift = 12; shift >= 0; shift -= 4) {
    out.push_back(kLowerHex[(unit >> shift) & 0xF]);
  }
}

// The code point of the UTF-8 sequence at text[i] (well-formed), and its length in `length`.
uint32_t decodeUtf8(std::string_view text, size_t i, size_t& length) {
  const auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<uint8_t>(text[k])); };
  const uint32_t lead = byte(i);
  if (lead < 0x80) {
    length = 1;
    return lead;
  }
  length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
  uint32_t code = lead & (0x7F >> length);
  for (size_t k = 1; k < length && i + k < text.size(); ++k) {
    code = (code << 6) | (byte(i + k) & 0x3F);
  }
  return code;
}

char namedEscape(uint32_t c) {
  switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '\b': return 'b';
    case '\f': return 'f';
    case '\n': return 'n';
    case '\r': return 'r';
    case '\t': return 't';
    default: return 0;
  }
}

}  // namespace

void appendPythonJsonString(std::string_view utf8, std::string& out) {
  out.push_back('"');
  for (size_t i = 0; i < utf8.size();) {
    size_t length = 1;
    const uint32_t c = decodeUtf8(utf8, i, length);
    i += length;
    if (const char name = namedEscape(c); name != 0) {
      out.push_back('\\');
      out.push_back(name);
    } else if (c >= 0x20 && c <= 0x7E) {
      out.push_back(static_cast<char>(c));
    } else if (c > 0xFFFF) {
      const uint32_t v = c - 0x10000;
      appendUnicodeEscape(0xD800 | (v >> 10), out);
      appendUnicodeEscape(0xDC00 | (v & 0x3FF), out);
    } else {
      appendUnicodeEscape(c, out);
    }
  }
  out.push_back('"');
}

void appendPythonRepr(double value, std::string& out) {
  // The shortest round-trip digits, as d.ddde±x; Python's float_repr_style "short" picks the same.
  char text[64];
  const auto written =
      std::to_chars(text, text + sizeof(text), value, std::chars_format::scientific);
  std::string_view s(text, static_cast<size_t>(written.ptr - text));
  if (!s.empty() && s.front() == '-') {
    out.push_back('-');
    s.remove_prefix(1);
  }
  const size_t e_at = s.find('e');
  const int exponent = std::atoi(std::string(s.substr(e_at + 1)).c_str());
  std::string digits;
  for (const char c : s.substr(0, e_at)) {
    if (c != '.') {
      digits.push_back(c);
    }
  }
  if (exponent < -4 || exponent >= 16) {
    out.push_back(digits[0]);
    if (digits.size() > 1) {
      out.push_back('.');
      out.append(digits, 1);
    }
    out.append(fmt::format("e{}{:02d}", exponent < 0 ? '-' : '+', std::abs(exponent)));
    return;
  }
  if (exponent < 0) {
    out.append("0.").append(static_cast<size_t>(-exponent - 1), '0').append(digits);
    return;
  }
  const auto whole = static_cast<size_t>(exponent) + 1;
  if (digits.size() <= whole) {
    out.append(digits).append(whole - digits.size(), '0').append(".0");
  } else {
    out.append(digits, 0, whole).append(1, '.').append(digits, whole);
  }
}

std::string pythonStr(double value) {
  std::string text = fmt::format("{:.12g}", value);
  if (text.find_first_of(".en") == std::string::npos) {
    text.append(".0");
  }
  return text;
}

std::string pythonTimedelta(int64_t micros) {
  constexpr int64_t kSecond = 1000000;
  constexpr int64_t kDay = 86400 * kSecond;
  // Floored, as timedelta normalises: the days carry the sign, the rest is within one day.
  int64_t days = micros / kDay;
  int64_t rest = micros % kDay;
  if (rest < 0) {
    rest += kDay;
    --days;
  }
  const int64_t seconds = rest / kSecond;
  const int64_t fraction = rest % kSecond;
  std::string out;
  if (days != 0) {
    out = fmt::format("{} day{}, ", days, days == 1 || days == -1 ? "" : "s");
  }
  out += fmt::format("{}:{:02d}:{:02d}", seconds / 3600, seconds / 60 % 60, seconds % 60);
  if (fraction != 0) {
    out += fmt::format(".{:06d}", fraction);
  }
  return out;
}

}  // namespace mm::message
