// SchemaModel::apply(): tables change as the server changed them; what it cannot follow is a
// Conflict.
#include "schema/schema_model.h"

#include <gtest/gtest.h>

namespace mm::schema {
namespace {

using binlog::TableName;

const TableName kT{"db", "t"};

std::string shape(const SchemaModel& model, const TableName& name = kT) {
  const binlog::TableSchema* t = model.find(name);
  if (t == nullptr) {
    return "unknown";
  }
  std::string out;
  for (const auto& c : t->columns) {
    out += (out.empty() ? "" : ",") + c.name + ":" + c.data_type + (c.nullable ? "" : "!") +
           (c.is_primary_key ? "*" + std::to_string(c.key_ordinal) : "");
  }
  return out;
}

std::vector<Conflict> apply(SchemaModel& model, std::string_view sql) {
  return model.apply(parseDdl(sql, "db"));
}

SchemaModel modelWith(std::string_view create) {
  SchemaModel model;
  EXPECT_TRUE(apply(model, create).empty());
  return model;
}

TEST(SchemaModel, AlterColumnsInPlace) {
  SchemaModel model = modelWith("CREATE TABLE t (id INT PRIMARY KEY, a INT, b VARCHAR(5))");
  EXPECT_EQ(shape(model), "id:int!*1,a:int,b:varchar");
  EXPECT_TRUE(
      apply(model, "ALTER TABLE t ADD c INT FIRST, ADD d TEXT AFTER a, ADD e BIGINT").empty());
  EXPECT_EQ(shape(model), "c:int,id:int!*1,a:int,d:text,b:varchar,e:bigint");
  EXPECT_TRUE(
      apply(model, "ALTER TABLE t DROP c, MODIFY b INT NOT NULL FIRST, CHANGE a A2 CHAR(1) AFTER e")
          .empty());
  EXPECT_EQ(shape(model), "b:int!,id:int!*1,d:text,e:bigint,A2:char");
  EXPECT_TRUE(
      apply(model, "ALTER TABLE t RENAME COLUMN `a2` TO z, DROP COLUMN IF EXISTS nothing").empty());
  EXPECT_EQ(shape(model), "b:int!,id:int!*1,d:text,e:bigint,z:char");
}

TEST(SchemaModel, ClausesOfOneAlterNameColumnsAsTheyWereBeforeIt) {
  SchemaModel model =
      modelWith("CREATE TABLE t (id INT, a INT NOT NULL, b VARCHAR(5), UNIQUE KEY ua (a))");
  EXPECT_EQ(shape(model), "id:int,a:int!*1,b:varchar");
  // A swap in one statement (Maxwell #468: a count and type check cannot see it).
  EXPECT_TRUE(apply(model, "ALTER TABLE t CHANGE a b INT NOT NULL, CHANGE b a VARCHAR(5)").empty());
  EXPECT_EQ(shape(model), "id:int,b:int!*1,a:varchar");
  EXPECT_TRUE(apply(model, "ALTER TABLE t RENAME COLUMN a TO b, RENAME COLUMN b TO a").empty());
  EXPECT_EQ(shape(model), "id:int,a:int!*1,b:varchar");
  // New names are the ones later clauses add keys over and place columns after.
  EXPECT_TRUE(apply(model, "ALTER TABLE t CHANGE id ident INT NOT NULL, ADD c INT AFTER ident, "
                           "ADD PRIMARY KEY (ident)")
                  .empty());
  EXPECT_EQ(shape(model), "ident:int!*1,c:int,a:int!,b:varchar");
  const auto clash = apply(model, "ALTER TABLE t CHANGE c a INT");
  ASSERT_EQ(clash.size(), 1u);
  EXPECT_NE(clash[0].reason.find("two columns named `a`"), std::string::npos) << clash[0].reason;
  EXPECT_EQ(shape(model), "ident:int!*1,c:int,a:int!,b:varchar");
}

TEST(SchemaModel, KeysFollowRenamesDropsAndFallBackToUniqueNotNull) {
  SchemaModel model =
      modelWith("CREATE TABLE t (id INT, u INT NOT NULL, n INT, UNIQUE KEY un (n), UNIQUE (u))");
  EXPECT_EQ(shape(model), "id:int,u:int!*1,n:int");  // the NULL-able `un` does not identify rows
  EXPECT_TRUE(apply(model, "ALTER TABLE t ADD PRIMARY KEY (id)").empty());
  EXPECT_EQ(shape(model), "id:int!*1,u:int!,n:int");  // primary key columns become NOT NULL
  EXPECT_TRUE(apply(model, "ALTER TABLE t CHANGE id ident INT").empty());
  EXPECT_EQ(shape(model), "ident:int!*1,u:int!,n:int");
  EXPECT_TRUE(apply(model, "ALTER TABLE t DROP PRIMARY KEY").empty());
  EXPECT_EQ(shape(model), "ident:int!,u:int!*1,n:int");
  EXPECT_TRUE(apply(model, "ALTER TABLE t RENAME COLUMN u TO v").empty());
  EXPECT_EQ(shape(model), "ident:int!,v:int!*1,n:int");
  EXPECT_TRUE(
      apply(model, "DROP INDEX u ON t").empty());  // the inline UNIQUE was named after its column
  EXPECT_EQ(shape(model), "ident:int!,v:int!,n:int");
  EXPECT_TRUE(apply(model, "ALTER TABLE t MODIFY n INT NOT NULL").empty());
  EXPECT_EQ(shape(model), "ident:int!,v:int!,n:int!*1");
  EXPECT_TRUE(apply(model, "ALTER TABLE t DROP COLUMN n").empty());  // its key goes with it
  EXPECT_EQ(shape(model), "ident:int!,v:int!");
  EXPECT_TRUE(apply(model, "CREATE UNIQUE INDEX two ON t (v, ident)").empty());
  EXPECT_EQ(shape(model), "ident:int!*2,v:int!*1");
}

TEST(SchemaModel, WhatCannotBeFollowedIsAConflict) {
  SchemaModel model = modelWith("CREATE TABLE t (id INT PRIMARY KEY, a INT)");
  for (const char* sql :
       {"ALTER TABLE t DROP COLUMN missing", "ALTER TABLE t ADD a INT",
        "ALTER TABLE t ADD PRIMARY KEY (a)", "ALTER TABLE t ADD b INT AFTER missing",
        "ALTER TABLE t CHANGE a id INT", "ALTER TABLE t ADD SYSTEM VERSIONING"}) {
    const auto conflicts = apply(model, sql);
    ASSERT_EQ(conflicts.size(), 1u) << sql;
    EXPECT_EQ(conflicts[0].table, kT);
    EXPECT_FALSE(conflicts[0].reason.empty());
    EXPECT_EQ(shape(model), "id:int!*1,a:int") << "a failed ALTER changes nothing: " << sql;
  }
  EXPECT_TRUE(
      apply(model, "ALTER TABLE t ADD COLUMN IF NOT EXISTS a INT, DROP INDEX not_unique").empty());
  EXPECT_TRUE(apply(model, "ALTER TABLE unknown DROP COLUMN x").empty())
      << "unknown tables stay unknown";
  EXPECT_EQ(shape(model, {"db", "unknown"}), "unknown");
  const auto like = apply(model, "CREATE TABLE c LIKE nowhere");
  ASSERT_EQ(like.size(), 1u);
  EXPECT_EQ(like[0].table, (TableName{"db", "c"}));
}

TEST(SchemaModel, TablesAndDatabasesComeAndGo) {
  SchemaModel model = modelWith("CREATE TABLE t (id INT PRIMARY KEY)");
  EXPECT_TRUE(apply(model, "CREATE TABLE IF NOT EXISTS t (other INT)").empty());
  EXPECT_EQ(shape(model), "id:int!*1");
  EXPECT_TRUE(apply(model, "CREATE TABLE copy LIKE t").empty());
  EXPECT_EQ(shape(model, {"db", "copy"}), "id:int!*1");
  EXPECT_TRUE(apply(model, "RENAME TABLE t TO tmp, copy TO t, tmp TO other.moved").empty());
  EXPECT_EQ(shape(model, {"other", "moved"}), "id:int!*1");
  EXPECT_EQ(shape(model, {"db", "tmp"}), "unknown");
  EXPECT_TRUE(apply(model, "ALTER TABLE t ADD x INT, RENAME TO t2").empty());
  EXPECT_EQ(shape(model, {"db", "t2"}), "id:int!*1,x:int");
  EXPECT_EQ(shape(model), "unknown");
  EXPECT_TRUE(apply(model, "DROP TABLE t2").empty());
  EXPECT_EQ(shape(model, {"db", "t2"}), "unknown");
  EXPECT_TRUE(apply(model, "CREATE DATABASE IF NOT EXISTS other").empty());
  EXPECT_EQ(shape(model, {"other", "moved"}), "id:int!*1");
  EXPECT_TRUE(apply(model, "CREATE DATABASE other").empty());  // created now: it was empty
  EXPECT_EQ(shape(model, {"other", "moved"}), "unknown");
  EXPECT_TRUE(apply(model, "CREATE TABLE other.x (a INT)").empty());
  EXPECT_TRUE(apply(model, "DROP DATABASE other").empty());
  EXPECT_TRUE(model.tables().empty());
}

TEST(SchemaModel, TextColumnsTakeTheTableCharset) {
  SchemaModel model = modelWith(
      "CREATE TABLE t (a VARCHAR(5), b VARCHAR(5) CHARSET utf8mb4, c BLOB) CHARSET latin1");
  const auto charsets = [&] {
    std::vector<binlog::Charset> out;
    for (const auto& c : model.find(kT)->columns) {
      out.push_back(c.charset);
    }
    return out;
  };
  using binlog::Charset;
  EXPECT_EQ(charsets(), (std::vector<Charset>{Charset::Latin1, Charset::Utf8mb4, Charset::Binary}));
  EXPECT_TRUE(apply(model, "ALTER TABLE t ADD d TEXT").empty());
  EXPECT_EQ(charsets().back(), Charset::Latin1);
  EXPECT_TRUE(apply(model, "ALTER TABLE t CONVERT TO CHARACTER SET utf8mb4").empty());
  EXPECT_EQ(charsets(), (std::vector<Charset>{Charset::Utf8mb4, Charset::Utf8mb4, Charset::Binary,
                                              Charset::Utf8mb4}));
}

TEST(SchemaModel, TablesTakeTheDatabaseCharset) {
  SchemaModel model;
  EXPECT_TRUE(apply(model, "CREATE DATABASE d DEFAULT CHARACTER SET = latin1").empty());
  EXPECT_TRUE(
      apply(model, "CREATE TABLE d.t (a VARCHAR(5), b TEXT CHARACTER SET utf8mb4)").empty());
  const binlog::TableSchema* t = model.find({"d", "t"});
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->default_charset, binlog::Charset::Latin1);
  EXPECT_EQ(t->columns[0].charset, binlog::Charset::Latin1);
  EXPECT_EQ(t->columns[1].charset, binlog::Charset::Utf8mb4);
  // Without a CREATE DATABASE the caller resolves it.
  EXPECT_TRUE(apply(model, "CREATE TABLE u (a CHAR(1))").empty());
  EXPECT_EQ(model.find({"db", "u"})->columns[0].charset, binlog::Charset::Unknown);
  model.setTableCharset({"db", "u"}, binlog::Charset::Ucs2);
  EXPECT_EQ(model.find({"db", "u"})->columns[0].charset, binlog::Charset::Ucs2);
  model.setTableCharset({"db", "u"}, binlog::Charset::Latin1);  // only a missing one is filled
  EXPECT_EQ(model.find({"db", "u"})->default_charset, binlog::Charset::Ucs2);
}

}  // namespace
}  // namespace mm::schema
