#include "binlog/charset.h"

#include <array>
#include <iterator>
#include <utility>

#include "common/strings.h"

namespace mm::binlog {
namespace {

constexpr uint32_t kReplacement = 0xFFFD;

struct Range {
  uint32_t first;
  uint32_t last;
  Charset charset;
};

// Collation ids per charset: MySQL 8.0/8.4/9.x (SHOW COLLATION; 255-323 are the utf8mb4 UCA 9.0.0
// collations, 76 utf8mb3_tolower_ci) and MariaDB 10.x/11.x (SHOW COLLATION and
// information_schema.COLLATION_CHARACTER_SET_APPLICABILITY of 10.11: the 5xx-6xx and 1xxx ids are
// MariaDB's extra and NOPAD collations, 2048+ the UCA 14.0.0 ones, 256 per charset).
constexpr Range kCollations[] = {
    {5, 5, Charset::Latin1},        {8, 8, Charset::Latin1},        {11, 11, Charset::Ascii},
    {15, 15, Charset::Latin1},      {31, 31, Charset::Latin1},      {33, 33, Charset::Utf8mb3},
    {35, 35, Charset::Ucs2},        {45, 46, Charset::Utf8mb4},     {47, 49, Charset::Latin1},
    {54, 55, Charset::Utf16},       {56, 56, Charset::Utf16le},     {60, 61, Charset::Utf32},
    {62, 62, Charset::Utf16le},     {63, 63, Charset::Binary},      {65, 65, Charset::Ascii},
    {76, 76, Charset::Utf8mb3},     {83, 83, Charset::Utf8mb3},     {90, 90, Charset::Ucs2},
    {94, 94, Charset::Latin1},      {101, 124, Charset::Utf16},     {128, 151, Charset::Ucs2},
    {159, 159, Charset::Ucs2},      {160, 183, Charset::Utf32},     {192, 215, Charset::Utf8mb3},
    {223, 223, Charset::Utf8mb3},   {224, 247, Charset::Utf8mb4},   {255, 323, Charset::Utf8mb4},
    {576, 578, Charset::Utf8mb3},   {608, 610, Charset::Utf8mb4},   {640, 642, Charset::Ucs2},
    {672, 674, Charset::Utf16},     {736, 738, Charset::Utf32},     {1032, 1032, Charset::Latin1},
    {1035, 1035, Charset::Ascii},   {1057, 1057, Charset::Utf8mb3}, {1059, 1059, Charset::Ucs2},
    {1069, 1070, Charset::Utf8mb4}, {1071, 1071, Charset::Latin1},  {1078, 1079, Charset::Utf16},
    {1080, 1080, Charset::Utf16le}, {1084, 1085, Charset::Utf32},   {1086, 1086, Charset::Utf16le},
    {1089, 1089, Charset::Ascii},   {1107, 1107, Charset::Utf8mb3}, {1114, 1114, Charset::Ucs2},
    {1125, 1125, Charset::Utf16},   {1147, 1147, Charset::Utf16},   {1152, 1152, Charset::Ucs2},
    {1174, 1174, Charset::Ucs2},    {1184, 1184, Charset::Utf32},   {1206, 1206, Charset::Utf32},
    {1216, 1216, Charset::Utf8mb3}, {1238, 1238, Charset::Utf8mb3}, {1248, 1248, Charset::Utf8mb4},
    {1270, 1270, Charset::Utf8mb4}, {2048, 2247, Charset::Utf8mb3}, {2304, 2503, Charset::Utf8mb4},
    {2560, 2759, Charset::Ucs2},    {2816, 3015, Charset::Utf16},   {3072, 3271, Charset::Utf32},
};

constexpr bool sortedAndDisjoint() {
  for (size_t i = 1; i < std::size(kCollations); ++i) {
    if (kCollations[i].first <= kCollations[i - 1].last) {
      return false;
    }
  }
  return true;
}
static_assert(sortedAndDisjoint());

// kCollations spread out by id: charsetOfCollation() runs for every text value of every row.
constexpr auto kCharsetOfCollation = [] {
  std::array<Charset, std::end(kCollations)[-1].last + 1>
      table{};  // sorted: the last id is the largest
  for (const Range& range : kCollations) {
    for (uint32_t id = range.first; id <= range.last; ++id) {
      table[id] = range.charset;
    }
  }
  return table;
}();

// Windows-1252 0x80..0x9F; MySQL maps its five unassigned bytes to the C1 controls.
constexpr std::array<uint16_t, 32> kCp1252High = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

// Length of the well-formed UTF-8 sequence at bytes[i], 0 if it is malformed (RFC 3629 table 3-7).
size_t utf8SequenceLength(std::span<const uint8_t> bytes, size_t i) {
  const uint8_t b0 = bytes[i];
  if (b0 < 0x80) {
    return 1;
  }
  size_t length = 0;
  uint8_t lo = 0x80;
  uint8_t hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    lo = b0 == 0xE0 ? 0xA0 : 0x80;  // no overlong forms
    hi = b0 == 0xED ? 0x9F : 0xBF;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    lo = b0 == 0xF0 ? 0x90 : 0x80;
    hi = b0 == 0xF4 ? 0x8F : 0xBF;  // at most U+10FFFF
  } else {
    return 0;
  }
  if (bytes.size() - i < length || bytes[i + 1] < lo || bytes[i + 1] > hi) {
    return 0;
  }
  for (size_t k = 2; k < length; ++k) {
    if ((bytes[i + k] & 0xC0) != 0x80) {
      return 0;
    }
  }
  return length;
}

void transcodeUtf8(std::span<const uint8_t> bytes, std::string& out) {
  for (size_t i = 0; i < bytes.size();) {
    const size_t length = utf8SequenceLength(bytes, i);
    if (length == 0) {
      appendUtf8CodePoint(kReplacement, out);
      ++i;  // resynchronise on the next byte, as the WHATWG decoder does for a lone byte
      continue;
    }
    out.append(reinterpret_cast<const char*>(bytes.data() + i), length);
    i += length;
  }
}

void transcodeUtf16(std::span<const uint8_t> bytes, bool big_endian, bool surrogates,
                    std::string& out) {
  auto unit = [&](size_t i) -> uint32_t {
    return big_endian ? (bytes[i] << 8 | bytes[i + 1]) : (bytes[i + 1] << 8 | bytes[i]);
  };
  size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) {
    const uint32_t u = unit(i);
    if (surrogates && u >= 0xD800 && u <= 0xDBFF && i + 3 < bytes.size()) {
      const uint32_t low = unit(i + 2);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        appendUtf8CodePoint(0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00), out);
        i += 2;
        continue;
      }
    }
    appendUtf8CodePoint(u, out);  // a lone surrogate becomes U+FFFD there
  }
  if (i < bytes.size()) {
    appendUtf8CodePoint(kReplacement, out);
  }
}

void transcodeUtf32(std::span<const uint8_t> bytes, std::string& out) {
  size_t i = 0;
  for (; i + 3 < bytes.size(); i += 4) {
    appendUtf8CodePoint(static_cast<uint32_t>(bytes[i]) << 24 | bytes[i + 1] << 16 |
                            bytes[i + 2] << 8 | bytes[i + 3],
                        out);
  }
  if (i < bytes.size()) {
    appendUtf8CodePoint(kReplacement, out);
  }
}

}  // namespace

void appendUtf8CodePoint(uint32_t cp, std::string& out) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    cp = kReplacement;
  }
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

Charset charsetOfCollation(uint32_t collation) {
  return collation < kCharsetOfCollation.size() ? kCharsetOfCollation[collation] : Charset::Unknown;
}

Charset charsetByName(std::string_view name) {
  static constexpr std::pair<std::string_view, Charset> kNames[] = {
      {"utf8mb4", Charset::Utf8mb4}, {"utf8mb3", Charset::Utf8mb3}, {"utf8", Charset::Utf8mb3},
      {"latin1", Charset::Latin1},   {"ascii", Charset::Ascii},     {"ucs2", Charset::Ucs2},
      {"utf16", Charset::Utf16},     {"utf16le", Charset::Utf16le}, {"utf32", Charset::Utf32},
      {"binary", Charset::Binary},
  };
  for (const auto& [known, charset] : kNames) {
    if (name == known) {
      return charset;
    }
  }
  return Charset::Unknown;
}

Charset charsetOfCollationName(std::string_view collation) {
  return charsetByName(asciiLower(collation.substr(0, collation.find('_'))));
}

std::string_view charsetName(Charset charset) {
  switch (charset) {
    case Charset::Utf8mb4: return "utf8mb4";
    case Charset::Utf8mb3: return "utf8mb3";
    case Charset::Latin1: return "latin1";
    case Charset::Ascii: return "ascii";
    case Charset::Ucs2: return "ucs2";
    case Charset::Utf16: return "utf16";
    case Charset::Utf16le: return "utf16le";
    case Charset::Utf32: return "utf32";
    case Charset::Binary: return "binary";
    case Charset::Unknown: break;
  }
  return "";
}

uint32_t defaultCollationOf(Charset charset) {
  switch (charset) {
    case Charset::Unknown: return 0;
    case Charset::Utf8mb4: return 45;
    case Charset::Utf8mb3: return 33;
    case Charset::Latin1: return 8;
    case Charset::Ascii: return 11;
    case Charset::Ucs2: return 35;
    case Charset::Utf16: return 54;
    case Charset::Utf16le: return 56;
    case Charset::Utf32: return 60;
    case Charset::Binary: return 63;
  }
  return 0;
}

bool isValidUtf8(std::span<const uint8_t> bytes) {
  for (size_t i = 0; i < bytes.size();) {
    if (bytes[i] < 0x80) {
      ++i;
      continue;
    }
    const size_t length = utf8SequenceLength(bytes, i);
    if (length == 0) {
      return false;
    }
    i += length;
  }
  return true;
}

void transcodeToUtf8(Charset charset, std::span<const uint8_t> bytes, std::string& out) {
  out.clear();
  switch (charset) {
    case Charset::Latin1:
      for (uint8_t b : bytes) {
        appendUtf8CodePoint(b >= 0x80 && b < 0xA0 ? kCp1252High[b - 0x80] : b, out);
      }
      return;
    case Charset::Ascii:
      for (uint8_t b : bytes) {
        appendUtf8CodePoint(b < 0x80 ? b : kReplacement, out);
      }
      return;
    case Charset::Ucs2: transcodeUtf16(bytes, true, false, out); return;
    case Charset::Utf16: transcodeUtf16(bytes, true, true, out); return;
    case Charset::Utf16le: transcodeUtf16(bytes, false, true, out); return;
    case Charset::Utf32: transcodeUtf32(bytes, out); return;
    case Charset::Unknown:
    case Charset::Utf8mb4:
    case Charset::Utf8mb3:
    case Charset::Binary: transcodeUtf8(bytes, out); return;
  }
}

}  // namespace mm::binlog
