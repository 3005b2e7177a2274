// PARTIAL_UPDATE_ROWS JSON diffs applied to the before document (docs/binlog-format.md §3.4;
// semantics of MySQL's apply_json_diffs in sql/json_diff.cc).
#include "binlog/json_diff.h"

#include <gtest/gtest.h>

#include <string>

#include "support/binlog_bytes.h"

namespace mm::binlog {
namespace {

using test::Bytes;

// '{"a":1,"bb":[1,"x",true]}' (see json_binary_test.cpp).
const Bytes kDoc = {0x00, 0x02, 0x00, 0x24, 0x00, 0x12, 0x00, 0x01, 0x00, 0x13, 0x00, 0x02, 0x00,
                    0x05, 0x01, 0x00, 0x02, 0x15, 0x00, 'a',  'b',  'b',  0x03, 0x00, 0x0F, 0x00,
                    0x05, 0x01, 0x00, 0x0C, 0x0D, 0x00, 0x04, 0x01, 0x00, 0x01, 'x'};

// A diff vector: 4-byte length, then each diff.
struct Diffs {
  Bytes body;
  Diffs& add(uint8_t op, std::string_view path, const Bytes& value = {}) {
    body.push_back(op);
    body.push_back(static_cast<uint8_t>(path.size()));
    body.insert(body.end(), path.begin(), path.end());
    if (op != 2) {
      body.push_back(static_cast<uint8_t>(value.size()));
      body.insert(body.end(), value.begin(), value.end());
    }
    return *this;
  }
  Bytes vector() const {
    Bytes out;
    test::appendLe(out, body.size(), 4);
    out.insert(out.end(), body.begin(), body.end());
    return out;
  }
};

constexpr uint8_t kReplace = 0;
constexpr uint8_t kInsert = 1;
constexpr uint8_t kRemove = 2;
const Bytes kInt26 = {0x05, 0x1A, 0x00};
const Bytes kString = {0x0C, 0x02, 'h', 'i'};

std::string applied(const Diffs& diffs) {
  std::string out;
  Status st = applyJsonDiffs(kDoc, diffs.vector(), out);
  EXPECT_TRUE(st.isOk()) << st.toString();
  return out;
}

TEST(JsonDiff, EveryDiffOfTheVectorIsApplied) {
  // UPDATE t SET j = JSON_SET(j, '$.a', 26, '$.bb[1]', 'hi'): two REPLACEs in one vector (go-mysql
  // decodes only the first).
  EXPECT_EQ(applied(Diffs{}.add(kReplace, "$.a", kInt26).add(kReplace, "$.bb[1]", kString)),
            R"({"a":26,"bb":[1,"hi",true]})");
}

TEST(JsonDiff, InsertKeepsMysqlKeyOrderAndArrayPositions) {
  // JSON_INSERT(j, '$.c', 26): keys order by length, then bytes: "a", "c", "bb".
  EXPECT_EQ(applied(Diffs{}.add(kInsert, "$.c", kInt26)), R"({"a":1,"c":26,"bb":[1,"x",true]})");
  // JSON_ARRAY_INSERT(j, '$.bb[0]', 'hi') and an insert past the end, which appends.
  EXPECT_EQ(applied(Diffs{}.add(kInsert, "$.bb[0]", kString).add(kInsert, "$.bb[9]", kInt26)),
            R"({"a":1,"bb":["hi",1,"x",true,26]})");
  // A quoted member name with a space.
  EXPECT_EQ(applied(Diffs{}.add(kInsert, R"($."a b")", kInt26)),
            R"({"a":1,"bb":[1,"x",true],"a b":26})");
}

TEST(JsonDiff, RemoveMembersAndElements) {
  EXPECT_EQ(applied(Diffs{}.add(kRemove, "$.a").add(kRemove, "$.bb[last]")), R"({"bb":[1,"x"]})");
  EXPECT_EQ(applied(Diffs{}.add(kRemove, "$.bb[0]")), R"({"a":1,"bb":["x",true]})");
}

TEST(JsonDiff, DiffsThatDoNotFitTheDocumentAreCorruption) {
  const std::vector<std::pair<Diffs, std::string>> cases = {
      {Diffs{}.add(kReplace, "$.zz", kInt26), "REPLACE at '$.zz' does not fit"},
      {Diffs{}.add(kInsert, "$.a", kInt26), "INSERT at '$.a' does not fit"},
      {Diffs{}.add(kRemove, "$.bb[3]"), "REMOVE at '$.bb[3]' does not fit"},
      {Diffs{}.add(kReplace, "$", kInt26), "REPLACE at '$' does not fit"},
      {Diffs{}.add(kReplace, "$.a[", kInt26), "path '$.a[' does not parse"},
      {Diffs{}.add(kReplace, "$.*", kInt26), "does not parse"},
      {Diffs{}.add(7, "$.a"), "unknown operation 7"},
      {Diffs{}.add(kReplace, "$.a", {0x0D}), "unknown value type 0x0D"},
  };
  for (const auto& [diffs, message] : cases) {
    std::string out;
    Status st = applyJsonDiffs(kDoc, diffs.vector(), out);
    ASSERT_FALSE(st.isOk()) << message;
    EXPECT_EQ(st.code(), StatusCode::Corruption);
    EXPECT_NE(st.message().find(message), std::string::npos) << st.message();
  }
}

TEST(JsonDiff, EveryPrefixOfTheVectorFails) {
  const Bytes vector = Diffs{}.add(kReplace, "$.a", kInt26).add(kRemove, "$.bb[0]").vector();
  test::expectEveryPrefixFails(vector, [](std::span<const uint8_t> prefix) -> Result<std::string> {
    std::string out;
    MM_RETURN_IF_ERROR(applyJsonDiffs(kDoc, prefix, out));
    return out;
  });
}

}  // namespace
}  // namespace mm::binlog
