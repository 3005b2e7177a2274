// JsonBuffer writes what rapidjson's Writer wrote before it, byte for byte: every byte value in a
// string, long strings that need many escapes, integer extremes.
#include "message/json_buffer.h"

#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/base64.h"

namespace mm::message {
namespace {

std::string viaRapidjson(std::string_view text) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  return {buffer.GetString(), buffer.GetSize()};
}

std::string viaJsonBuffer(std::string_view text) {
  JsonBuffer out;
  out.string(text);
  return std::string(out.view());
}

TEST(JsonBuffer, EveryByteIsEscapedAsRapidjsonDoes) {
  for (int c = 0; c < 256; ++c) {
    const std::string text = std::string("a") + static_cast<char>(c) + "b";
    EXPECT_EQ(viaJsonBuffer(text), viaRapidjson(text)) << "byte " << c;
  }
  EXPECT_EQ(viaJsonBuffer(std::string("\0\x1f\"\\/\x7f", 6)), R"("\u0000\u001F\"\\/)"
                                                              "\x7f\"");
  EXPECT_EQ(viaJsonBuffer(""), "\"\"");
  EXPECT_EQ(viaJsonBuffer("h\xC3\xA9llo"), "\"h\xC3\xA9llo\"");  // UTF-8 copied as is
}

TEST(JsonBuffer, LongStringsOfEscapesMatchRapidjson) {
  // Longer than the 4 KiB slices the buffer escapes at a time, all of it needing escapes.
  const std::string controls(10000, '\x01');
  EXPECT_EQ(viaJsonBuffer(controls), viaRapidjson(controls));
  std::mt19937 random(8);
  std::string mixed(20000, ' ');
  for (char& c : mixed) {
    c = static_cast<char>(random() % 256);
  }
  EXPECT_EQ(viaJsonBuffer(mixed), viaRapidjson(mixed));
}

TEST(JsonBuffer, AnEscapeAtEveryPlaceOfARunMatchesRapidjson) {
  // Runs without escapes are copied in blocks of 16 and 8 bytes: an escape at each offset within
  // and across those blocks, alone, doubled, and at the very end.
  for (size_t length : {1u, 7u, 8u, 15u, 16u, 17u, 31u, 32u, 33u, 47u, 70u}) {
    for (size_t at = 0; at < length; ++at) {
      for (char special : {'"', '\\', '\n', '\x1f', '\x00'}) {
        std::string text(length, 'a');
        text[at] = special;
        EXPECT_EQ(viaJsonBuffer(text), viaRapidjson(text)) << length << " " << at;
        if (at + 1 < length) {
          text[at + 1] = '\x7f';  // not escaped, next to one that is
          EXPECT_EQ(viaJsonBuffer(text), viaRapidjson(text)) << length << " " << at;
          text[at + 1] = special;
          EXPECT_EQ(viaJsonBuffer(text), viaRapidjson(text)) << length << " " << at;
        }
      }
    }
  }
  std::string high(40, '\xC3');  // bytes >= 0x80 are copied as they are, never taken for controls
  EXPECT_EQ(viaJsonBuffer(high), "\"" + high + "\"");
}

TEST(JsonBuffer, PaddedTextIsAppendedWholeOrWithoutItsFirstByte) {
  for (size_t length : {0u, 1u, 15u, 16u, 17u, 31u, 32u, 33u, 100u}) {
    std::string text(length, 'n');
    for (size_t i = 0; i < length; ++i) {
      text[i] = static_cast<char>('a' + i % 26);
    }
    const PaddedText padded = padJsonText(text);
    EXPECT_EQ(padded.size, length);
    EXPECT_GE(padded.bytes.size(), length + 16);
    EXPECT_EQ(padded.bytes.size() % 16, 0u);
    JsonBuffer out;
    out.put('[');
    out.rawPadded(padded);
    out.put(']');
    EXPECT_EQ(out.view(), "[" + text + "]");
    if (length > 0) {
      out.clear();
      out.rawPadded(padded, 1);
      out.put(']');
      EXPECT_EQ(out.view(), text.substr(1) + "]");
    }
  }
}

TEST(JsonBuffer, IntegersMatchRapidjson) {
  for (int64_t v : {std::numeric_limits<int64_t>::min(), int64_t{-1}, int64_t{0}, int64_t{42},
                    std::numeric_limits<int64_t>::max()}) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    writer.Int64(v);
    JsonBuffer out;
    out.int64(v);
    EXPECT_EQ(out.view(), std::string_view(buffer.GetString(), buffer.GetSize()));
  }
  JsonBuffer out;
  out.uint64(std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(out.view(), "18446744073709551615");
}

TEST(JsonBuffer, ClearKeepsNothingOfThePreviousMessage) {
  JsonBuffer out;
  out.raw(std::string(1000, 'x'));
  out.clear();
  out.put('{');
  out.put('}');
  EXPECT_EQ(out.view(), "{}");
}

// A large message leaves the buffer without a copy (the same bytes, the id appended in the room
// the buffer kept for it), and the buffer starts empty afterwards.
TEST(JsonBuffer, TakeMovesTheMessageOutWithItsSuffix) {
  JsonBuffer out;
  const std::string text(3 << 20, 'x');
  out.put('{');
  out.string(text);
  out.put('}');
  const char* written_at = out.view().data();
  const std::string expected = "{" + viaRapidjson(text) + "}";
  std::string taken = out.take("mysql-bin.000042:91234:0");
  EXPECT_EQ(taken, expected + "mysql-bin.000042:91234:0");
  EXPECT_EQ(taken.data(), written_at) << "the message was copied";
  EXPECT_EQ(out.size(), 0u);
  out.raw("{}");
  EXPECT_EQ(out.view(), "{}");
  // A suffix longer than the kept room still comes out whole.
  out.raw("[1]");
  EXPECT_EQ(out.take(std::string(200, 's')), "{}[1]" + std::string(200, 's'));
}

TEST(JsonBuffer, Base64IsWrittenInPlaceWithPadding) {
  const std::vector<uint8_t> bytes = {0x00, 0xFF, 0x7F, 0x80, 0x41};
  for (size_t length = 0; length <= bytes.size(); ++length) {
    for (size_t padded : {size_t{0}, length + 2}) {
      const std::span<const uint8_t> part(bytes.data(), length);
      std::string expected;
      appendBase64(part, padded, expected);
      JsonBuffer out;
      out.base64(part, padded);
      EXPECT_EQ(out.view(), expected) << length << " bytes padded to " << padded;
    }
  }
  JsonBuffer out;
  out.base64(bytes, 6);
  EXPECT_EQ(out.view(), "AP9/gEEA");  // BINARY(6) holding 00 FF 7F 80 41, its last zero stripped
}

TEST(JsonBuffer, PreparedStringsMatchTheBuffer) {
  std::string prepared = "x";
  appendJsonString("na\"me\n", prepared);
  EXPECT_EQ(prepared, "x" + viaRapidjson("na\"me\n"));
}

}  // namespace
}  // namespace mm::message
