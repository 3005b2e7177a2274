// completeTableMap(): what information_schema adds to a TABLE_MAP logged without (all) metadata.
#include "binlog/table_schema.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "binlog/column_type.h"

namespace mm::binlog {
namespace {

TableMapColumn column(uint8_t type, uint16_t metadata = 0, uint32_t collation = 0) {
  TableMapColumn c;
  c.type = type;
  c.real_type = type;
  c.metadata = metadata;
  c.collation = collation;
  return c;
}

// CREATE TABLE db.t (id INT PRIMARY KEY, name VARCHAR(10) CHARACTER SET latin1, doc JSON) on
// MariaDB, logged with binlog_row_metadata=NO_LOG: no names, no charsets.
TableMap noLogTable() {
  TableMap map;
  map.database = "db";
  map.table = "t";
  map.columns = {column(MYSQL_TYPE_LONG), column(MYSQL_TYPE_VARCHAR, 10),
                 column(MYSQL_TYPE_BLOB, 4)};
  return map;
}

TableSchema schemaOfTable() {
  TableSchema schema;
  for (const char* name : {"id", "name", "doc"}) {
    schema.columns.emplace_back().name = name;
  }
  schema.columns[0].is_primary_key = true;
  schema.columns[0].key_ordinal = 1;
  schema.columns[1].charset = Charset::Latin1;
  schema.columns[2].charset = Charset::Utf8mb4;
  schema.columns[2].is_json = true;  // LONGTEXT with CHECK (json_valid(`doc`))
  return schema;
}

TEST(CompleteTableMap, CharsetsAndMariadbJsonComeFromTheSchema) {
  auto completed = completeTableMap(noLogTable(), schemaOfTable());
  ASSERT_TRUE(completed.isOk()) << completed.status().toString();
  EXPECT_EQ(charsetOfCollation(completed->columns[1].collation), Charset::Latin1);
  EXPECT_EQ(charsetOfCollation(completed->columns[2].collation), Charset::Utf8mb4);
  EXPECT_FALSE(completed->columns[1].is_json);
  EXPECT_TRUE(completed->columns[2].is_json);
  EXPECT_EQ(completed->primary_key, (std::vector<uint32_t>{0}));
}

TEST(CompleteTableMap, LoggedCollationWins) {
  TableMap map = noLogTable();
  map.columns[1].collation = 45;
  auto completed = completeTableMap(map, schemaOfTable());
  ASSERT_TRUE(completed.isOk());
  EXPECT_EQ(completed->columns[1].collation, 45u);
}

TEST(NeedsSchema, FullMetadataLongtextUtf8mb4BinMayBeMariadbJson) {
  // FULL metadata logs names, key and collations, but not that a LONGTEXT utf8mb4_bin is JSON.
  TableMap map = noLogTable();
  map.has_column_names = true;
  map.has_primary_key = true;
  map.columns[0].has_signedness = true;
  map.columns[1].collation = 8;
  map.columns[2].collation = 46;
  EXPECT_TRUE(needsSchema(map));
  map.columns[2].collation = 45;  // a LONGTEXT of another collation is no MariaDB JSON
  EXPECT_FALSE(needsSchema(map));
}

// Table (id, email NOT NULL, nick NULL, a NOT NULL, b NOT NULL).
TableSchema keyedTable(std::vector<UniqueKey> keys) {
  TableSchema schema;
  for (const auto& [name, nullable] : std::vector<std::pair<std::string, bool>>{
           {"id", false}, {"email", false}, {"nick", true}, {"a", false}, {"b", false}}) {
    SchemaColumn c;
    c.name = name;
    c.nullable = nullable;
    schema.columns.push_back(c);
  }
  schema.unique_keys = std::move(keys);
  markRowKey(schema);
  return schema;
}

std::vector<std::string> keyColumns(const TableSchema& schema) {
  std::vector<std::pair<uint32_t, std::string>> key;
  for (const SchemaColumn& c : schema.columns) {
    if (c.is_primary_key) {
      key.emplace_back(c.key_ordinal, c.name);
    }
  }
  std::sort(key.begin(), key.end());
  std::vector<std::string> out;
  for (const auto& k : key) {
    out.push_back(k.second);
  }
  return out;
}

TEST(MarkRowKey, PrimaryKeyWins) {
  EXPECT_EQ(keyColumns(keyedTable({{"u_email", {"email"}}, {"PRIMARY", {"id"}}})),
            std::vector<std::string>{"id"});
}

TEST(MarkRowKey, FirstUniqueKeyOverNotNullColumnsStandsIn) {
  const TableSchema schema =
      keyedTable({{"u_nick", {"nick"}}, {"u_ab", {"b", "a"}}, {"u_email", {"email"}}});
  EXPECT_EQ(keyColumns(schema), (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(schema.columns[4].key_ordinal, 1u);
}

TEST(MarkRowKey, ColumnNamesCompareWithoutCase) {
  EXPECT_EQ(keyColumns(keyedTable({{"u", {"EMAIL"}}})), std::vector<std::string>{"email"});
}

TEST(MarkRowKey, NoUsableIndexMeansNoKey) {
  EXPECT_TRUE(keyColumns(keyedTable({{"u_nick", {"nick"}}})).empty());
  EXPECT_TRUE(keyColumns(keyedTable({})).empty());
  EXPECT_TRUE(keyColumns(keyedTable({{"u_gone", {"dropped"}}})).empty());
}

TEST(MarkRowKey, ClearsAnEarlierKey) {
  TableSchema schema = keyedTable({{"PRIMARY", {"id"}}});
  schema.unique_keys.clear();
  markRowKey(schema);
  EXPECT_TRUE(keyColumns(schema).empty());
}

SchemaColumn typed(std::string name, std::string data_type) {
  SchemaColumn c;
  c.name = std::move(name);
  c.data_type = std::move(data_type);
  return c;
}

TEST(CheckColumnTypes, MatchingTypesPass) {
  TableMap map = noLogTable();  // INT, VARCHAR, LONGTEXT (MariaDB JSON)
  TableSchema schema;
  schema.columns = {typed("id", "int"), typed("name", "varchar"), typed("doc", "json")};
  EXPECT_TRUE(checkColumnTypes(map, schema).isOk());
  schema.columns[2] = typed("doc", "longtext");
  EXPECT_TRUE(checkColumnTypes(map, schema).isOk());
  schema.columns[1] = typed("name", "");  // unknown type: only the count is checked
  EXPECT_TRUE(checkColumnTypes(map, schema).isOk());
}

TEST(CheckColumnTypes, ACountMismatchNamesTheTable) {
  TableSchema schema;
  schema.columns = {typed("id", "int"), typed("name", "varchar")};
  const Status status = checkColumnTypes(noLogTable(), schema);
  EXPECT_EQ(status.code(), StatusCode::Corruption);
  EXPECT_NE(status.message().find("db.t"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("3 columns"), std::string::npos) << status.message();
}

TEST(CheckColumnTypes, ATypeMismatchNamesTheColumn) {
  TableSchema schema;
  schema.columns = {typed("id", "int"), typed("name", "int"), typed("doc", "json")};
  Status status = checkColumnTypes(noLogTable(), schema);
  EXPECT_EQ(status.code(), StatusCode::Corruption);
  EXPECT_NE(status.message().find("`name` int"), std::string::npos) << status.message();
  // TEXT and LONGTEXT are both BLOBs in the binlog; their length bytes tell them apart.
  schema.columns = {typed("id", "int"), typed("name", "varchar"), typed("doc", "text")};
  EXPECT_FALSE(checkColumnTypes(noLogTable(), schema).isOk());
  // Swapped columns of different types are caught.
  schema.columns = {typed("name", "varchar"), typed("id", "int"), typed("doc", "json")};
  EXPECT_FALSE(checkColumnTypes(noLogTable(), schema).isOk());
}

}  // namespace
}  // namespace mm::binlog
