// The snapshot's key text and the SQL built from it and from a message's "keys" objects
// (mysql/snapshot_key.h): what the live test (tests/integration/snapshot_reader_test.cpp) runs
// against the server, pinned here literal by literal.
#include "mysql/snapshot_key.h"

#include <gtest/gtest.h>

#include "binlog/column_type.h"

namespace mm::mysql {
namespace {

using namespace binlog;

TableMapColumn column(std::string name, uint8_t real_type, uint16_t metadata = 0) {
  TableMapColumn c;
  c.name = std::move(name);
  c.type = real_type == MYSQL_TYPE_ENUM || real_type == MYSQL_TYPE_SET ? uint8_t{MYSQL_TYPE_STRING}
                                                                       : real_type;
  c.real_type = real_type;
  c.metadata = metadata;
  return c;
}

// A table keyed by (id INT, name VARCHAR utf8mb4_general_ci), with more key-able columns after.
struct Table {
  TableMap map;
  std::vector<ColumnSql> sql;
};

Table table() {
  Table t;
  t.map.database = "db";
  t.map.table = "t";
  auto add = [&](TableMapColumn c, std::string charset = "", std::string collation = "") {
    t.sql.push_back({c.name, std::move(charset), std::move(collation)});
    t.map.columns.push_back(std::move(c));
  };
  add(column("id", MYSQL_TYPE_LONG));
  add(column("na`me", MYSQL_TYPE_VARCHAR, 400), "utf8mb4", "utf8mb4_general_ci");
  add(column("d", MYSQL_TYPE_DATETIME2, 3));
  add(column("ts", MYSQL_TYPE_TIMESTAMP2, 0));
  add(column("dec", MYSQL_TYPE_NEWDECIMAL, 5 << 8 | 2));
  add(column("bits", MYSQL_TYPE_BIT, 1 << 8));
  add(column("bin", MYSQL_TYPE_VARCHAR, 10), "binary", "binary");
  add(column("l1", MYSQL_TYPE_STRING, 10), "latin1", "latin1_swedish_ci");
  add(column("f", MYSQL_TYPE_FLOAT, 4));
  add(column("e", MYSQL_TYPE_ENUM, 1), "utf8mb4", "utf8mb4_general_ci");
  add(column("t", MYSQL_TYPE_TIME2, 0));
  t.map.primary_key = {0, 1};
  t.map.has_primary_key = true;
  return t;
}

TEST(SnapshotKey, KeyTextRoundTripsAnyBytes) {
  const std::vector<std::vector<std::string>> keys = {
      {"42"},
      {""},
      {"-5", std::string("a,b\xFF\0x", 6), ""},
      {"2024-01-01 00:00:00.000000", "-838:59:58.000000"},
  };
  for (const auto& values : keys) {
    const std::string text = encodeKeyText(values);
    EXPECT_EQ(text.find_first_not_of("x0123456789ABCDEF,"), std::string::npos) << text;
    auto back = decodeKeyText(text);
    ASSERT_TRUE(back.isOk()) << back.status().toString();
    EXPECT_EQ(*back, values);
  }
  EXPECT_EQ(encodeKeyText({"a", "B"}), "x61,x42");
  EXPECT_EQ(encodeKeyText({""}), "x");
  for (const char* bad : {"", "61", "x6", "x61,", "x61,,x62", "xZZ", "x61;x62"}) {
    auto values = decodeKeyText(bad);
    EXPECT_EQ(values.status().code(), StatusCode::InvalidArgument) << bad;
  }
}

TEST(SnapshotKey, LiteralsCompareAsTheColumnOrders) {
  const Table t = table();
  auto literal = [&](size_t i, std::string_view text) {
    auto l = keyLiteral(t.map.columns[i], t.sql[i], text);
    return l.isOk() ? *l : "error: " + l.status().toString();
  };
  EXPECT_EQ(literal(0, "-17"), "-17");
  EXPECT_EQ(literal(1, "a'B"), "_utf8mb4 X'612742' COLLATE utf8mb4_general_ci");
  EXPECT_EQ(literal(2, "2024-01-01 00:00:00.500000"), "'2024-01-01 00:00:00.500000'");
  EXPECT_EQ(literal(4, "-12.50"), "-12.50");
  EXPECT_EQ(literal(5, std::string("\x01\x00", 2)), "X'0100'");
  EXPECT_EQ(literal(6, "\xFF"), "X'FF'");
  EXPECT_EQ(literal(8, "1.100000023841858"), "1.100000023841858");
  EXPECT_EQ(literal(9, "3"), "3");  // an ENUM by index: ORDER BY orders it so
  EXPECT_EQ(literal(10, "-838:59:58.000000"), "'-838:59:58.000000'");
  // Nothing but the expected characters reaches the SQL unquoted.
  for (auto [i, bad] : {std::pair<size_t, std::string_view>{0, "1; DROP TABLE t"},
                        {0, ""},
                        {2, "2024-01-01' OR '1"},
                        {4, "1)"}}) {
    auto l = keyLiteral(t.map.columns[i], t.sql[i], bad);
    EXPECT_EQ(l.status().code(), StatusCode::InvalidArgument) << bad;
  }
}

TEST(SnapshotKey, RowsAfterAKeyText) {
  const Table t = table();
  auto where = rowsAfter(t.map, t.sql, encodeKeyText({"7", "B"}));
  ASSERT_TRUE(where.isOk()) << where.status().toString();
  EXPECT_EQ(*where, "WHERE ((`id` > 7) OR (`id` = 7 AND `na``me` > _utf8mb4 X'42' COLLATE "
                    "utf8mb4_general_ci))");
  // Another table's key, or an edited state file: refused, naming the table.
  for (const std::string& bad : {encodeKeyText({"7"}), encodeKeyText({"7", "B", "c"}),
                                 std::string("7,B"), encodeKeyText({"seven", "B"})}) {
    auto refused = rowsAfter(t.map, t.sql, bad);
    ASSERT_EQ(refused.status().code(), StatusCode::InvalidArgument) << bad;
    EXPECT_NE(refused.status().message().find("db.t"), std::string::npos)
        << refused.status().toString();
  }
  EXPECT_NE(rowsAfter(t.map, t.sql, "x37").status().message().find("db.t"), std::string::npos);
}

std::string keysSql(const Table& t, std::string_view json) {
  auto l = keysObjectLiterals(t.map, t.sql, json);
  return l.isOk() ? *l : "error: " + l.status().toString();
}

TEST(SnapshotKey, KeysObjectsAsMessagesWriteThem) {
  Table t = table();
  EXPECT_EQ(keysSql(t, R"({"id":5,"na`me":"x"})"),
            "5, CONVERT(_utf8mb4 X'78' USING utf8mb4) COLLATE utf8mb4_general_ci");
  auto keyed = [&](std::vector<uint32_t> key) {
    Table k = t;
    k.map.primary_key = std::move(key);
    return k;
  };
  // Temporals: 'T' and the TIMESTAMP's Z as the message writes them; the session is in UTC.
  EXPECT_EQ(
      keysSql(keyed({2, 3, 10}),
              R"({"d":"2024-01-01T00:00:00.500","ts":"2038-01-19T03:14:07Z","t":"-01:02:03"})"),
      "'2024-01-01 00:00:00.500', '2038-01-19 03:14:07', '-01:02:03'");
  EXPECT_EQ(keysSql(keyed({4, 5}), R"({"dec":"-12.50","bits":258})"), "-12.50, 258");
  EXPECT_EQ(keysSql(keyed({6, 7}), R"({"bin":"AP8=","l1":"caf\u00e9"})"),
            "X'00FF', CONVERT(_utf8mb4 X'636166C3A9' USING latin1) COLLATE latin1_swedish_ci");
  // A FLOAT key: the float the message's shortest text names, widened to a double.
  EXPECT_EQ(keysSql(keyed({8}), R"({"f":1.1})"), "1.100000023841858");
  EXPECT_EQ(keysSql(keyed({9}), R"({"e":"m300"})"),
            "CONVERT(_utf8mb4 X'6D333030' USING utf8mb4) COLLATE utf8mb4_general_ci");
  EXPECT_EQ(keysSql(keyed({0}), R"({"id":18446744073709551615})"), "18446744073709551615");
  EXPECT_EQ(keysSql(keyed({0}), R"({"id":-9223372036854775808})"), "-9223372036854775808");
  // Refusals name the object and what is wrong.
  for (const char* bad : {R"({"na`me":"x"})", R"({"id":null,"na`me":"x"})", "[5]", "{",
                          R"({"id":true,"na`me":"x"})"}) {
    const std::string refused = keysSql(t, bad);
    EXPECT_EQ(refused.rfind("error: ", 0), 0u) << bad;
  }
  EXPECT_NE(keysSql(t, R"({"na`me":"x"})").find("lacks key column id of db.t"), std::string::npos);
  EXPECT_NE(keysSql(keyed({6}), R"({"bin":"%%"})").find("not base64"), std::string::npos);
  EXPECT_NE(keysSql(keyed({2}), R"({"d":"2024' OR 1"})").find("does not fit column d"),
            std::string::npos);
}

TEST(SnapshotKey, QuotedIdentifiers) {
  EXPECT_EQ(quoteIdentifier("a`b"), "`a``b`");
  EXPECT_EQ(keyColumnList(table().map), "`id`, `na``me`");
}

}  // namespace
}  // namespace mm::mysql
