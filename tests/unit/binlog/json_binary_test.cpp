// MySQL binary JSON -> JSON text (docs/binlog-format.md §4.7). Documents are built byte by byte
// from the layout; each names the SQL value it encodes.
#include "binlog/json_binary.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "binlog/json_text.h"
#include "support/binlog_bytes.h"

namespace mm::binlog {
namespace {

using test::Bytes;

std::string render(const Bytes& doc) {
  std::string out;
  Status st = appendJsonFromBinary(doc, out);
  EXPECT_TRUE(st.isOk()) << st.toString();
  return out;
}

// '{"a":1,"bb":[1,"x",true]}': a small object whose second value is a small array at an offset.
Bytes objectWithArray() {
  return {0x00,                    // small object
          0x02, 0x00, 0x24, 0x00,  // 2 members, 36 bytes
          0x12, 0x00, 0x01, 0x00,  // key "a" at 18
          0x13, 0x00, 0x02, 0x00,  // key "bb" at 19
          0x05, 0x01, 0x00,        // int16 1, inlined
          0x02, 0x15, 0x00,        // small array at 21
          'a', 'b', 'b',
          // the array: 3 elements, 15 bytes
          0x03, 0x00, 0x0F, 0x00, 0x05, 0x01, 0x00, 0x0C, 0x0D, 0x00, 0x04, 0x01, 0x00, 0x01, 'x'};
}

TEST(JsonBinary, ScalarsRenderAsMysqlPrintsThem) {
  EXPECT_EQ(render({}), "null");  // zero-length value: JSON null (MySQL bug 88791)
  EXPECT_EQ(render({0x04, 0x00}), "null");
  EXPECT_EQ(render({0x04, 0x01}), "true");
  EXPECT_EQ(render({0x04, 0x02}), "false");
  EXPECT_EQ(render({0x05, 0x00, 0x80}), "-32768");
  EXPECT_EQ(render({0x06, 0xFF, 0xFF}), "65535");
  EXPECT_EQ(render({0x07, 0x00, 0x00, 0x00, 0x80}), "-2147483648");
  EXPECT_EQ(render({0x08, 0xFF, 0xFF, 0xFF, 0xFF}), "4294967295");
  EXPECT_EQ(render({0x09, 0, 0, 0, 0, 0, 0, 0, 0x80}), "-9223372036854775808");
  EXPECT_EQ(render({0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}), "18446744073709551615");
  EXPECT_EQ(render({0x0B, 0x9A, 0x99, 0x99, 0x99, 0x99, 0x99, 0xF1, 0x3F}),
            "1.1");  // shortest text
  // A string with a quote, a newline, a control byte and an invalid UTF-8 byte.
  EXPECT_EQ(render({0x0C, 0x05, 'a', '"', '\n', 0x01, 0xFF}), R"("a\"\n\u0001)"
                                                              "\xEF\xBF\xBD\"");
  // Variable length over two bytes: a 200-byte string.
  Bytes long_string = {0x0C, 0xC8, 0x01};
  long_string.insert(long_string.end(), 200, 'y');
  EXPECT_EQ(render(long_string), "\"" + std::string(200, 'y') + "\"");
}

TEST(JsonBinary, OpaqueValues) {
  // CAST(CAST('12.50' AS DECIMAL(4,2)) AS JSON): precision 4, scale 2, packed 12.50.
  EXPECT_EQ(render({0x0F, 0xF6, 0x04, 0x04, 0x02, 0x8C, 0x32}), "12.50");
  // CAST(TIME'-01:02:03.5' AS JSON): packed -(((1 << 12 | 2 << 6 | 3) << 24) + 500000).
  const int64_t time = -((int64_t{1 << 12 | 2 << 6 | 3} << 24) + 500000);
  Bytes t = {0x0F, 0x0B, 0x08};
  test::appendLe(t, static_cast<uint64_t>(time), 8);
  EXPECT_EQ(render(t), R"("-01:02:03.500000")");
  // TIME of 838 hours: the hour field is wider than a DATETIME's.
  Bytes t838 = {0x0F, 0x0B, 0x08};
  test::appendLe(t838, uint64_t{838 << 12 | 59 << 6 | 59} << 24, 8);
  EXPECT_EQ(render(t838), R"("838:59:59.000000")");
  // CAST(DATE'2012-03-18' AS JSON) and a DATETIME 2012-03-18 11:30:45.25.
  const uint64_t ymd = (2012 * 13 + 3) << 5 | 18;
  Bytes date = {0x0F, 0x0A, 0x08};
  test::appendLe(date, ymd << 17 << 24, 8);
  EXPECT_EQ(render(date), R"("2012-03-18")");
  Bytes datetime = {0x0F, 0x0C, 0x08};
  test::appendLe(datetime, ((ymd << 17 | 11 << 12 | 30 << 6 | 45) << 24) + 250000, 8);
  EXPECT_EQ(render(datetime), R"("2012-03-18 11:30:45.250000")");
  // Any other type: base64 with its type number (json-opaque.binlog: a VARCHAR 'U' is type 15).
  EXPECT_EQ(render({0x0F, 0x0F, 0x01, 'U'}), R"("base64:type15:VQ==")");
  EXPECT_EQ(render({0x0F, 0xFC, 0x00}), R"("base64:type252:")");
}

TEST(JsonBinary, ContainersInStoredOrder) {
  EXPECT_EQ(render(objectWithArray()), R"({"a":1,"bb":[1,"x",true]})");
  EXPECT_EQ(render({0x00, 0x00, 0x00, 0x04, 0x00}), "{}");
  EXPECT_EQ(render({0x02, 0x00, 0x00, 0x04, 0x00}), "[]");
}

// What a MySQL SELECT returns for a JSON column (its text form, with ", " and ": ") compacts to
// what the binlog's binary document renders as: the snapshot's row_snapshot then carries the
// row_insert's bytes (mysql/snapshot_reader.h). Whitespace inside strings stays.
TEST(JsonBinary, MysqlSelectTextCompactsToTheBinaryRendering) {
  EXPECT_EQ(compactJsonText(R"({"a": 1, "bb": [1, "x", true]})"), render(objectWithArray()));
  EXPECT_EQ(compactJsonText(R"({"k": "a b", "q": "say \"hi, there\": ok", "e": "\\"})"),
            R"({"k":"a b","q":"say \"hi, there\": ok","e":"\\"})");
  EXPECT_EQ(compactJsonText(" [ ]\n"), "[]");
  EXPECT_EQ(compactJsonText("null"), "null");
}

TEST(JsonBinary, Int32IsInlinedOnlyInLargeContainers) {
  // [70000] as a large array: the int32 sits in the value entry (PMR #311, vitess #8187).
  EXPECT_EQ(render({0x03, 1, 0, 0, 0, 13, 0, 0, 0, 0x07, 0x70, 0x11, 0x01, 0x00}), "[70000]");
  // [70000] as a small array: the entry holds an offset (7) to the int32.
  EXPECT_EQ(render({0x02, 1, 0, 11, 0, 0x07, 0x07, 0x00, 0x70, 0x11, 0x01, 0x00}), "[70000]");
  // {"k":-1} as a large object: key entry 4+2 bytes, uint32 inlined.
  EXPECT_EQ(
      render({0x01, 1, 0, 0, 0, 20, 0, 0, 0, 19, 0, 0, 0, 1, 0, 0x07, 0xFF, 0xFF, 0xFF, 0xFF, 'k'}),
      R"({"k":-1})");
}

TEST(JsonBinary, MalformedDocumentsAreCorruptionNamingTheProblem) {
  const std::vector<std::pair<Bytes, std::string>> cases = {
      {{0x0D, 0x00}, "unknown value type 0x0D"},
      {{0x04, 0x07}, "unknown literal"},
      {{0x00, 0x01, 0x00, 0x40, 0x00}, "past the 4 bytes left"},
      {{0x02, 0x05, 0x00, 0x06, 0x00, 0x05, 0x00}, "does not fit"},
      {{0x02, 0x01, 0x00, 0x07, 0x00, 0x0C, 0x09, 0x00}, "past the container's 7 bytes"},
      {{0x0C, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, "string truncated"},
      {{0x0B, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF0, 0x7F}, "double is not finite"},
      {{0x0F, 0x0A, 0x01, 0x00}, "opaque DATE value of 1 bytes"},
  };
  for (const auto& [doc, message] : cases) {
    std::string out;
    Status st = appendJsonFromBinary(doc, out);
    ASSERT_FALSE(st.isOk()) << message;
    EXPECT_EQ(st.code(), StatusCode::Corruption);
    EXPECT_NE(st.message().find(message), std::string::npos) << st.message();
  }
}

TEST(JsonBinary, NestingDeeperThanMysqlAllowsIsCorruption) {
  // [[[...[]...]]] with 102 arrays: each level one element, a small array at offset 7.
  Bytes content = {0x00, 0x00, 0x04, 0x00};
  for (int level = 0; level < 101; ++level) {
    Bytes outer = {0x01, 0x00};
    test::appendLe(outer, 7 + content.size(), 2);
    outer.insert(outer.end(), {0x02, 0x07, 0x00});
    outer.insert(outer.end(), content.begin(), content.end());
    content = std::move(outer);
  }
  Bytes doc = {0x02};
  doc.insert(doc.end(), content.begin(), content.end());
  std::string out;
  Status st = appendJsonFromBinary(doc, out);
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("nested deeper than 100"), std::string::npos) << st.message();
}

TEST(JsonBinary, EveryPrefixOfADocumentFails) {
  const Bytes doc = objectWithArray();
  test::expectEveryPrefixFails(doc, [](std::span<const uint8_t> prefix) -> Result<std::string> {
    if (prefix.empty()) {
      return Status::corruption("empty is null, not a prefix");
    }
    std::string out;
    MM_RETURN_IF_ERROR(appendJsonFromBinary(prefix, out));
    return out;
  });
}

TEST(JsonBinary, OutputIsAlwaysValidJson) {
  for (const Bytes& doc :
       {objectWithArray(), Bytes{0x0C, 0x03, 0xFF, 0xFE, '"'}, Bytes{0x0F, 0x10, 0x01, 0xFF}}) {
    std::string out;
    ASSERT_TRUE(appendJsonFromBinary(doc, out).isOk());
    EXPECT_TRUE(isValidJson(out)) << out;
  }
}

TEST(JsonBinary, TreeRendersLikeTheText) {
  auto tree = parseJsonBinary(objectWithArray());
  ASSERT_TRUE(tree.isOk()) << tree.status().toString();
  ASSERT_EQ(tree->type, JsonNode::Type::Object);
  ASSERT_EQ(tree->members.size(), 2u);
  EXPECT_EQ(tree->members[1].first, "bb");
  EXPECT_EQ(tree->members[1].second.elements.size(), 3u);
  std::string out;
  appendJsonNode(*tree, out);
  EXPECT_EQ(out, render(objectWithArray()));
}

}  // namespace
}  // namespace mm::binlog
