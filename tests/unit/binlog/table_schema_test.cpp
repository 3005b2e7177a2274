// completeTableMap(): what information_schema adds to a TABLE_MAP logged without (all) metadata.
#include "binlog/table_schema.h"

#include <gtest/gtest.h>

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

// CREATE TABLE db.t (id INT PRIMARY KEY, name VARCHAR(10) CHARACTER SET latin1, doc JSON) on MariaDB,
// logged with binlog_row_metadata=NO_LOG: no names, no charsets.
TableMap noLogTable() {
  TableMap map;
  map.database = "db";
  map.table = "t";
  map.columns = {column(MYSQL_TYPE_LONG), column(MYSQL_TYPE_VARCHAR, 10), column(MYSQL_TYPE_BLOB, 4)};
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

}  // namespace
}  // namespace mm::binlog
