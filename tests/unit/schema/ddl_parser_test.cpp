// parseDdl(): DDL text as MySQL and MariaDB log it -> what it does to table shapes.
#include "schema/ddl_parser.h"

#include <random>

#include <gtest/gtest.h>

#include "schema/schema_model.h"

namespace mm::schema {
namespace {

using binlog::Charset;
using binlog::TableName;

template <typename T>
T as(const DdlStatement& statement) {
  const T* value = std::get_if<T>(&statement);
  if (value == nullptr) {
    ADD_FAILURE() << "unexpected statement kind " << statement.index()
                  << (std::holds_alternative<Unparsed>(statement)
                          ? ": " + std::get<Unparsed>(statement).reason
                          : "");
    return T{};
  }
  return *value;
}

std::vector<std::string> names(const binlog::TableSchema& schema) {
  std::vector<std::string> out;
  for (const auto& c : schema.columns) {
    out.push_back(c.name);
  }
  return out;
}

TEST(DdlParser, CreateTableReadsColumnsTypesAndKeys) {
  const auto create = as<CreateTable>(parseDdl(
      "CREATE TABLE t (\n"
      "  id INT UNSIGNED NOT NULL AUTO_INCREMENT,\n"
      "  name VARCHAR(50) CHARACTER SET latin1 COLLATE latin1_bin DEFAULT 'x, (y)' COMMENT "
      "'it''s',\n"
      "  kind ENUM('a', 'it''s', \"dq\", 'back\\\\slash') NOT NULL DEFAULT 'a',\n"
      "  flags SET('x','y'),\n"
      "  price DECIMAL(10,2) DEFAULT 1.5,\n"
      "  seen DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),\n"
      "  email VARCHAR(100) NOT NULL UNIQUE,\n"
      "  bin VARBINARY(16), doc JSON, body TEXT,\n"
      "  PRIMARY KEY (id),\n"
      "  KEY idx_name (name(10)),\n"
      "  CONSTRAINT fk FOREIGN KEY (id) REFERENCES other (id) ON DELETE SET NULL,\n"
      "  UNIQUE KEY uk_kind (kind, flags)\n"
      ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='t'",
      "db"));
  EXPECT_EQ(create.table, (TableName{"db", "t"}));
  EXPECT_FALSE(create.if_not_exists);
  const auto& c = create.schema.columns;
  ASSERT_EQ(names(create.schema),
            (std::vector<std::string>{"id", "name", "kind", "flags", "price", "seen", "email",
                                      "bin", "doc", "body"}));
  EXPECT_EQ(c[0].data_type, "int");
  EXPECT_TRUE(c[0].is_unsigned);
  EXPECT_FALSE(c[0].nullable);
  EXPECT_EQ(c[1].charset, Charset::Latin1);
  EXPECT_TRUE(c[1].nullable);
  EXPECT_EQ(c[2].members, (std::vector<std::string>{"a", "it's", "dq", "back\\slash"}));
  EXPECT_FALSE(c[2].nullable);
  EXPECT_EQ(c[2].charset, Charset::Utf8mb4);  // the table's default
  EXPECT_EQ(c[3].data_type, "set");
  EXPECT_EQ(c[4].data_type, "decimal");
  EXPECT_EQ(c[5].data_type, "datetime");
  EXPECT_FALSE(c[5].nullable);
  EXPECT_TRUE(c[7].is_binary);
  EXPECT_EQ(c[7].charset, Charset::Binary);
  EXPECT_TRUE(c[8].is_json);
  EXPECT_EQ(c[9].data_type, "text");
  EXPECT_EQ(create.schema.default_charset, Charset::Utf8mb4);
  ASSERT_EQ(create.schema.unique_keys.size(), 3u);
  EXPECT_EQ(create.schema.unique_keys[0].name, "PRIMARY");
  EXPECT_EQ(create.schema.unique_keys[0].columns, std::vector<std::string>{"id"});
  EXPECT_EQ(create.schema.unique_keys[1].name, "");  // inline UNIQUE: named by the model
  EXPECT_EQ(create.schema.unique_keys[1].columns, std::vector<std::string>{"email"});
  EXPECT_EQ(create.schema.unique_keys[2].columns, (std::vector<std::string>{"kind", "flags"}));
}

TEST(DdlParser, QuotedNamesCommentsAndExecutableComments) {
  const auto create = as<CreateTable>(
      parseDdl("/* leading */ CREATE TABLE IF NOT EXISTS `my db`.`we``ird` ( -- a comment\n"
               "  `a b` INT, # another\n"
               "  \"dq name\" INT /*!50606 NOT NULL */,\n"
               "  `ünï` TEXT /*M!100301 COMPRESSED*/,\n"
               "  `key` INT /* KEY */\n"
               ") /*!50100 PARTITION BY HASH (`a b`) PARTITIONS 2 */",
               "db"));
  EXPECT_EQ(create.table, (TableName{"my db", "we`ird"}));
  EXPECT_TRUE(create.if_not_exists);
  EXPECT_EQ(names(create.schema), (std::vector<std::string>{"a b", "dq name", "ünï", "key"}));
  EXPECT_FALSE(create.schema.columns[1].nullable);  // from the executable comment
  EXPECT_TRUE(create.schema.unique_keys.empty());
}

TEST(DdlParser, TypeAliasesResolveToInformationSchemaNames) {
  const auto create = as<CreateTable>(
      parseDdl("CREATE TABLE t (a SERIAL, b BOOL, c INTEGER(11) ZEROFILL, d DOUBLE PRECISION, e "
               "NATIONAL VARCHAR(5), "
               "f NCHAR(2), g DEC(5,1), h LONG VARBINARY, i CHARACTER VARYING(3), j INT4 SIGNED, "
               "k LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin CHECK (json_valid(`k`)), l "
               "CHAR(4) CHARACTER SET binary, "
               "m GEOMETRY NOT NULL SRID 4326, n INT AS (j + 1) VIRTUAL, o BIT(1) DEFAULT b'0')",
               "db"));
  const auto& c = create.schema.columns;
  ASSERT_EQ(c.size(), 15u);
  const std::vector<std::string> types = {"bigint",   "tinyint", "int",        "double",  "varchar",
                                          "char",     "decimal", "mediumblob", "varchar", "int",
                                          "longtext", "char",    "geometry",   "int",     "bit"};
  for (size_t i = 0; i < types.size(); ++i) {
    EXPECT_EQ(c[i].data_type, types[i]) << c[i].name;
  }
  EXPECT_TRUE(c[0].is_unsigned);
  EXPECT_FALSE(c[0].nullable);
  ASSERT_EQ(create.schema.unique_keys.size(), 1u);  // SERIAL is UNIQUE
  EXPECT_TRUE(c[2].is_unsigned);                    // ZEROFILL implies UNSIGNED
  EXPECT_EQ(c[4].charset, Charset::Utf8mb3);        // NATIONAL
  EXPECT_EQ(c[5].charset, Charset::Utf8mb3);
  EXPECT_FALSE(c[9].is_unsigned);
  EXPECT_TRUE(c[10].is_json);  // MariaDB's spelling of JSON
  EXPECT_TRUE(c[11].is_binary);
}

TEST(DdlParser, CreateTableLikeAndVariants) {
  const auto like =
      as<CreateTableLike>(parseDdl("CREATE TABLE IF NOT EXISTS copy LIKE other.src", "db"));
  EXPECT_EQ(like.table, (TableName{"db", "copy"}));
  EXPECT_EQ(like.source, (TableName{"other", "src"}));
  EXPECT_TRUE(like.if_not_exists);
  const auto parenthesized = as<CreateTableLike>(parseDdl("create table copy (like src)", "db"));
  EXPECT_EQ(parenthesized.source, (TableName{"db", "src"}));
  const auto replace =
      as<CreateTable>(parseDdl("CREATE OR REPLACE TABLE IF NOT EXISTS t (a INT)", "db"));
  EXPECT_FALSE(replace.if_not_exists);  // OR REPLACE always replaces
  EXPECT_TRUE(
      std::holds_alternative<NoSchemaChange>(parseDdl("CREATE TEMPORARY TABLE t (a INT)", "db")));
}

TEST(DdlParser, CreateTableSelectIsUnparsedNamingTheTable) {
  for (const char* sql :
       {"CREATE TABLE t AS SELECT 1 AS a", "CREATE TABLE t (a INT) SELECT 1 AS a, 2 AS b",
        "CREATE TABLE t SELECT * FROM u", "CREATE TABLE t (SELECT 1)"}) {
    const auto unparsed = as<Unparsed>(parseDdl(sql, "db"));
    EXPECT_EQ(unparsed.tables, std::vector<TableName>{(TableName{"db", "t"})}) << sql;
    EXPECT_FALSE(unparsed.reason.empty());
  }
}

TEST(DdlParser, AlterTableWithManyClauses) {
  const auto alter =
      as<AlterTable>(parseDdl("ALTER TABLE `db2`.t ADD COLUMN IF NOT EXISTS x INT NOT NULL AFTER "
                              "y, DROP COLUMN IF EXISTS z, "
                              "MODIFY COLUMN a BIGINT UNSIGNED NOT NULL FIRST, CHANGE b `c``d` "
                              "VARCHAR(5) CHARACTER SET latin1, "
                              "RENAME COLUMN d TO e, ADD PRIMARY KEY (id), DROP PRIMARY KEY, ADD "
                              "CONSTRAINT uk UNIQUE KEY (a, b(10)), "
                              "DROP INDEX IF EXISTS uk, DROP KEY k2, ADD INDEX plain (a), ADD "
                              "FOREIGN KEY (a) REFERENCES u (id), "
                              "RENAME INDEX uk TO uk2, ALTER COLUMN a SET DEFAULT 1, DROP FOREIGN "
                              "KEY fk, ALGORITHM=INPLACE, LOCK=NONE, "
                              "DEFAULT CHARSET = latin1, RENAME TO other.t2",
                              "db"));
  EXPECT_EQ(alter.table, (TableName{"db2", "t"}));
  ASSERT_EQ(alter.operations.size(), 13u);
  const auto add = std::get<AddColumn>(alter.operations[0]);
  EXPECT_EQ(add.column.name, "x");
  EXPECT_TRUE(add.if_not_exists);
  EXPECT_FALSE(add.column.nullable);
  EXPECT_EQ(add.placement.where, ColumnPlacement::Where::After);
  EXPECT_EQ(add.placement.after, "y");
  EXPECT_TRUE(std::get<DropColumn>(alter.operations[1]).if_exists);
  const auto modify = std::get<ChangeColumn>(alter.operations[2]);
  EXPECT_EQ(modify.old_name, "a");
  EXPECT_EQ(modify.column.data_type, "bigint");
  EXPECT_EQ(modify.placement.where, ColumnPlacement::Where::First);
  const auto change = std::get<ChangeColumn>(alter.operations[3]);
  EXPECT_EQ(change.old_name, "b");
  EXPECT_EQ(change.column.name, "c`d");
  EXPECT_EQ(change.column.charset, Charset::Latin1);
  EXPECT_EQ(change.placement.where, ColumnPlacement::Where::Keep);
  EXPECT_EQ(std::get<RenameColumn>(alter.operations[4]).new_name, "e");
  EXPECT_EQ(std::get<AddKey>(alter.operations[5]).key.name, "PRIMARY");
  EXPECT_EQ(std::get<DropKey>(alter.operations[6]).name, "PRIMARY");
  const auto unique = std::get<AddKey>(alter.operations[7]);
  EXPECT_EQ(unique.key.columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(std::get<DropKey>(alter.operations[8]).if_exists);
  EXPECT_EQ(std::get<DropKey>(alter.operations[9]).name, "k2");
  EXPECT_EQ(std::get<RenameKey>(alter.operations[10]).new_name, "uk2");
  EXPECT_EQ(std::get<DefaultCharset>(alter.operations[11]).charset, Charset::Latin1);
  EXPECT_EQ(std::get<RenameTableTo>(alter.operations[12]).to, (TableName{"other", "t2"}));
}

TEST(DdlParser, AlterTableMariadbAndMysqlSpellings) {
  const auto alter =
      as<AlterTable>(parseDdl("ALTER ONLINE IGNORE TABLE IF EXISTS t WAIT 5 ADD (p INT, q INT "
                              "UNIQUE), ADD r INT PRIMARY KEY FIRST",
                              "db"));
  EXPECT_TRUE(alter.if_exists);
  ASSERT_EQ(alter.operations.size(), 5u);
  EXPECT_EQ(std::get<AddColumn>(alter.operations[0]).column.name, "p");
  EXPECT_EQ(std::get<AddColumn>(alter.operations[1]).column.name, "q");
  EXPECT_EQ(std::get<AddKey>(alter.operations[2]).key.columns, std::vector<std::string>{"q"});
  EXPECT_EQ(std::get<AddColumn>(alter.operations[3]).placement.where,
            ColumnPlacement::Where::First);
  EXPECT_EQ(std::get<AddKey>(alter.operations[4]).key.name, "PRIMARY");
  const auto prefixed = as<AlterTable>(parseDdl(
      "SET STATEMENT max_statement_time = 60, lock_wait_timeout = (5) FOR ALTER TABLE t DROP a",
      "db"));
  EXPECT_EQ(std::get<DropColumn>(prefixed.operations.at(0)).name, "a");
  const auto convert = as<AlterTable>(
      parseDdl("ALTER TABLE t CONVERT TO CHARACTER SET latin1 COLLATE latin1_bin", "db"));
  ASSERT_EQ(convert.operations.size(), 1u);
  EXPECT_EQ(std::get<ConvertCharset>(convert.operations[0]).charset, Charset::Latin1);
  EXPECT_TRUE(as<AlterTable>(parseDdl("ALTER TABLE t ENGINE=InnoDB", "db")).operations.empty());
  EXPECT_TRUE(as<AlterTable>(parseDdl("ALTER TABLE t PARTITION BY HASH(id) PARTITIONS 4", "db"))
                  .operations.empty());
  // MySQL 8 functional key parts identify no columns: not a key for messages.
  EXPECT_TRUE(as<AlterTable>(parseDdl("ALTER TABLE t ADD UNIQUE INDEX f ((lower(a)))", "db"))
                  .operations.empty());
}

TEST(DdlParser, UnknownAlterClausesAreUnparsedNamingTheTable) {
  for (const char* sql :
       {"ALTER TABLE t ADD SYSTEM VERSIONING", "ALTER TABLE t FROBNICATE a",
        "ALTER TABLE t ADD COLUMN", "ALTER TABLE t MODIFY", "ALTER TABLE t ADD (a INT",
        "ALTER TABLE t CONVERT TO CHARACTER SET DEFAULT"}) {
    const auto unparsed = as<Unparsed>(parseDdl(sql, "db"));
    EXPECT_EQ(unparsed.tables, std::vector<TableName>{(TableName{"db", "t"})}) << sql;
    EXPECT_FALSE(unparsed.reason.empty()) << sql;
  }
}

TEST(DdlParser, RenameDropAndIndexStatements) {
  const auto rename = as<RenameTables>(parseDdl("RENAME TABLE a TO b, x.c TO `y`.`d`", "db"));
  ASSERT_EQ(rename.renames.size(), 2u);
  EXPECT_EQ(rename.renames[0].first, (TableName{"db", "a"}));
  EXPECT_EQ(rename.renames[1].second, (TableName{"y", "d"}));
  const auto drop =
      as<DropTables>(parseDdl("DROP TABLE IF EXISTS `a`, db2.b /* generated by server */", "db"));
  EXPECT_EQ(drop.tables, (std::vector<TableName>{{"db", "a"}, {"db2", "b"}}));
  const auto create_index =
      as<AlterTable>(parseDdl("CREATE UNIQUE INDEX ux ON t (a, b DESC)", "db"));
  EXPECT_EQ(std::get<AddKey>(create_index.operations.at(0)).key.name, "ux");
  const auto drop_index = as<AlterTable>(parseDdl("DROP INDEX ux ON db2.t", "db"));
  EXPECT_EQ(drop_index.table, (TableName{"db2", "t"}));
  EXPECT_EQ(std::get<DropKey>(drop_index.operations.at(0)).name, "ux");
  const auto create_db = as<CreateDatabase>(
      parseDdl("CREATE DATABASE IF NOT EXISTS `n``ew` CHARACTER SET utf8mb4", ""));
  EXPECT_EQ(create_db.name, "n`ew");
  EXPECT_TRUE(create_db.if_not_exists);
  EXPECT_EQ(create_db.default_charset, Charset::Utf8mb4);
  EXPECT_EQ(as<CreateDatabase>(parseDdl("CREATE SCHEMA s COLLATE latin1_bin", "")).default_charset,
            Charset::Latin1);
  EXPECT_EQ(as<DropDatabase>(parseDdl("DROP SCHEMA IF EXISTS old", "")).name, "old");
}

TEST(DdlParser, StatementsThatChangeNoTableShape) {
  for (const char* sql :
       {"TRUNCATE TABLE t", "TRUNCATE t", "GRANT SELECT ON *.* TO 'u'@'%'",
        "CREATE INDEX i ON t (a)", "CREATE FULLTEXT INDEX i ON t (a)",
        "CREATE DEFINER=`root`@`localhost` TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET @x = 1",
        "CREATE OR REPLACE VIEW v AS SELECT 1", "DROP VIEW v",
        "ALTER DATABASE d CHARACTER SET latin1", "DROP TEMPORARY TABLE IF EXISTS t",
        "RENAME USER a TO b", "FLUSH PRIVILEGES", "OPTIMIZE TABLE t", "CREATE USER u",
        "DROP PROCEDURE p", "SAVEPOINT s", ""}) {
    EXPECT_TRUE(std::holds_alternative<NoSchemaChange>(parseDdl(sql, "db"))) << sql;
  }
}

TEST(DdlParser, UnterminatedQuotesAreUnparsed) {
  EXPECT_TRUE(
      std::holds_alternative<Unparsed>(parseDdl("ALTER TABLE t ADD c INT COMMENT 'oops", "db")));
  EXPECT_TRUE(std::holds_alternative<Unparsed>(parseDdl("ALTER TABLE `t ADD c INT", "db")));
}

TEST(DdlParser, EveryPrefixOfAStatementParsesWithoutCrashing) {
  const std::string sql =
      "CREATE TABLE `d`.`t` (id INT PRIMARY KEY, e ENUM('a','b') DEFAULT 'a', v VARCHAR(10) "
      "COMMENT 'x', "
      "UNIQUE KEY u (v(3)), CHECK (id > 0)) /*!50100 PARTITION BY HASH(id) */ DEFAULT CHARSET "
      "latin1";
  for (size_t n = 0; n <= sql.size(); ++n) {
    const DdlStatement parsed = parseDdl(sql.substr(0, n), "db");
    if (const auto* create = std::get_if<CreateTable>(&parsed)) {
      EXPECT_GE(n, sql.find("CHECK")) << "a CREATE TABLE needs its closing parenthesis";
      EXPECT_EQ(create->schema.columns.size(), 3u);
    }
  }
}

// Mangled statements (quotes, parentheses, commas and comment markers dropped in or cut out, with a
// fixed seed) end as some statement or Unparsed with a reason, and the model takes any of them:
// never a crash or a hang (ASan/UBSan run this in CI).
TEST(DdlParser, MangledStatementsNeverCrashTheParserOrTheModel) {
  const std::vector<std::string> seeds = {
      "CREATE TABLE `d`.`t` (id INT PRIMARY KEY, e ENUM('a','b') DEFAULT 'a', v VARCHAR(10) "
      "COMMENT 'x', UNIQUE KEY u (v(3))) DEFAULT CHARSET latin1",
      "ALTER TABLE t ADD COLUMN IF NOT EXISTS x INT AFTER id, DROP v, CHANGE e f SET('x') FIRST, "
      "ADD UNIQUE (x), DROP PRIMARY KEY, RENAME COLUMN f TO g, RENAME TO t2",
      "RENAME TABLE t2 TO t, t TO u", "/*!40000 CREATE TABLE x LIKE t */",
      "DROP TABLE IF EXISTS t, u /* generated by server */"};
  const std::string noise = "()'`\",;./*!-#\n ";
  std::mt19937 random(20261126);
  SchemaModel model;
  int unparsed = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string sql = seeds[random() % seeds.size()];
    for (int edits = 1 + static_cast<int>(random() % 4); edits > 0; --edits) {
      const size_t at = random() % (sql.size() + 1);
      if (random() % 2 == 0 && at < sql.size()) {
        sql.erase(at, 1 + random() % 5);
      } else {
        sql.insert(at, 1, noise[random() % noise.size()]);
      }
    }
    const DdlStatement statement = parseDdl(sql, "d");
    if (const auto* u = std::get_if<Unparsed>(&statement)) {
      EXPECT_FALSE(u->reason.empty()) << sql;
      ++unparsed;
    }
    (void)model.apply(statement);
  }
  EXPECT_GT(unparsed, 0);
}

}  // namespace
}  // namespace mm::schema
