#include "sql/statement_kind.h"

#include <gtest/gtest.h>

namespace mm::sql {
namespace {

std::optional<StatementTable> target(std::string_view query) {
  return statementDmlTarget(query, "app");
}

TEST(StatementDml, NamesTheTableOfEachDmlVerb) {
  EXPECT_EQ(target("INSERT INTO t VALUES (1)"), (StatementTable{"app", "t"}));
  EXPECT_EQ(target("insert ignore into shop.orders select * from x"),
            (StatementTable{"shop", "orders"}));
  EXPECT_EQ(target("INSERT LOW_PRIORITY t (a) VALUES (1)"), (StatementTable{"app", "t"}));
  EXPECT_EQ(target("REPLACE INTO `my db`.`odd``name` VALUES (1)"),
            (StatementTable{"my db", "odd`name"}));
  EXPECT_EQ(target("UPDATE LOW_PRIORITY IGNORE t SET a = 1"), (StatementTable{"app", "t"}));
  EXPECT_EQ(target("DELETE QUICK FROM shop.t WHERE a = 1"), (StatementTable{"shop", "t"}));
  EXPECT_EQ(target("DELETE t1, t2 FROM t1 JOIN t2"), (StatementTable{"app", "t1"}));
}

TEST(StatementDml, SkipsLeadingCommentsAndSpace) {
  EXPECT_EQ(target("  /* app:42 */ -- note\n# more\n\tUPDATE t SET a = 1"),
            (StatementTable{"app", "t"}));
}

TEST(StatementDml, OtherStatementsAreNotDml) {
  for (std::string_view query :
       {"BEGIN", "COMMIT", "CREATE TABLE t (a INT)", "ALTER TABLE t ADD b INT", "DROP TABLE t",
        "TRUNCATE TABLE t", "INSERTED", "UPDATER t", "", "/* unterminated", "SAVEPOINT s"}) {
    EXPECT_EQ(target(query), std::nullopt) << query;
  }
}

TEST(StatementDml, VerbWithoutTableIsNotDml) {
  EXPECT_EQ(target("INSERT INTO"), std::nullopt);
  EXPECT_EQ(target("UPDATE `unterminated"), std::nullopt);
  EXPECT_EQ(target("DELETE FROM db."), std::nullopt);
}

TEST(StatementDml, NamesTheTableOfLoadData) {
  EXPECT_EQ(
      target("LOAD DATA INFILE '/tmp/SQL_LOAD-1-2-3.data' INTO TABLE `t` FIELDS TERMINATED BY ','"),
      (StatementTable{"app", "t"}));
  EXPECT_EQ(target("load data low_priority local infile 'x.csv' replace into table shop.items"),
            (StatementTable{"shop", "items"}));
  EXPECT_EQ(target("LOAD INDEX INTO CACHE t"), std::nullopt);
}

StatementKind kindOf(std::string_view query) { return classifyStatement(query, "app").kind; }

TEST(ClassifyStatement, TransactionBoundaries) {
  EXPECT_EQ(kindOf("BEGIN"), StatementKind::Begin);
  EXPECT_EQ(kindOf("  begin work ;\n"), StatementKind::Begin);
  EXPECT_EQ(kindOf("START TRANSACTION READ ONLY"), StatementKind::Begin);
  EXPECT_EQ(kindOf("/* app */ start transaction with consistent snapshot"), StatementKind::Begin);
  EXPECT_EQ(kindOf("COMMIT"), StatementKind::Commit);
  EXPECT_EQ(kindOf("commit work and no chain no release"), StatementKind::Commit);
  EXPECT_EQ(kindOf("ROLLBACK"), StatementKind::Rollback);
  EXPECT_EQ(kindOf("Rollback Work"), StatementKind::Rollback);
  // A stored block is no transaction start (MariaDB's BEGIN NOT ATOMIC).
  EXPECT_EQ(kindOf("BEGIN NOT ATOMIC SELECT 1; END"), StatementKind::Other);
  EXPECT_EQ(kindOf("BEGINNING"), StatementKind::Other);
  EXPECT_EQ(kindOf(""), StatementKind::Other);
}

TEST(ClassifyStatement, SavepointsWithTheirNames) {
  Statement s = classifyStatement("SAVEPOINT `s1`");
  EXPECT_EQ(s.kind, StatementKind::Savepoint);
  EXPECT_EQ(s.savepoint, "s1");
  s = classifyStatement("savepoint plain");
  EXPECT_EQ(s.kind, StatementKind::Savepoint);
  EXPECT_EQ(s.savepoint, "plain");
  s = classifyStatement("ROLLBACK TO SAVEPOINT `sp one`");
  EXPECT_EQ(s.kind, StatementKind::RollbackToSavepoint);
  EXPECT_EQ(s.savepoint, "sp one");
  s = classifyStatement("rollback work to `s``q`");
  EXPECT_EQ(s.kind, StatementKind::RollbackToSavepoint);
  EXPECT_EQ(s.savepoint, "s`q");
  s = classifyStatement("ROLLBACK TO s\xc3\xa4vepunkt");
  EXPECT_EQ(s.kind, StatementKind::RollbackToSavepoint);
  EXPECT_EQ(s.savepoint, "s\xc3\xa4vepunkt");
  s = classifyStatement("/* orm */ RELEASE SAVEPOINT `django_1`");
  EXPECT_EQ(s.kind, StatementKind::ReleaseSavepoint);
  EXPECT_EQ(s.savepoint, "django_1");
  EXPECT_EQ(kindOf("RELEASE"), StatementKind::Other);
}

TEST(ClassifyStatement, ExecutableCommentsAreRead) {
  EXPECT_EQ(kindOf("/*!40101 SAVEPOINT s1 */"), StatementKind::Savepoint);
  EXPECT_EQ(kindOf("/*M!100500 XA END 'a' */"), StatementKind::XaEnd);
  EXPECT_EQ(kindOf("/* SAVEPOINT s1 */ COMMIT"), StatementKind::Commit);
}

TEST(ClassifyStatement, XaVerbsWithTheirXid) {
  // As the servers write them in the binlog: hex gtrid and bqual, then the format id.
  Statement s = classifyStatement("XA START X'7831',X'',1");
  EXPECT_EQ(s.kind, StatementKind::XaStart);
  ASSERT_TRUE(s.xid.has_value());
  EXPECT_EQ(*s.xid, (XaId{1, "x1", ""}));
  s = classifyStatement("XA END X'7832',X'6232',7");
  EXPECT_EQ(s.kind, StatementKind::XaEnd);
  EXPECT_EQ(*s.xid, (XaId{7, "x2", "b2"}));
  s = classifyStatement("xa prepare 'x3'");
  EXPECT_EQ(s.kind, StatementKind::XaPrepare);
  EXPECT_EQ(*s.xid, (XaId{1, "x3", ""}));
  s = classifyStatement("XA COMMIT 0x7834, 'b', -2");
  EXPECT_EQ(s.kind, StatementKind::XaCommit);
  EXPECT_EQ(*s.xid, (XaId{-2, "x4", "b"}));
  s = classifyStatement("XA COMMIT X'7835',X'',1 ONE PHASE");
  EXPECT_EQ(s.kind, StatementKind::XaCommitOnePhase);
  EXPECT_EQ(*s.xid, (XaId{1, "x5", ""}));
  s = classifyStatement("XA ROLLBACK X'7836',X'',1");
  EXPECT_EQ(s.kind, StatementKind::XaRollback);
  EXPECT_EQ(*s.xid, (XaId{1, "x6", ""}));
  EXPECT_EQ(kindOf("XA BEGIN 'y'"), StatementKind::XaStart);
  EXPECT_EQ(kindOf("XA RECOVER"), StatementKind::XaOther);
  // The two spellings of one xid are one key.
  EXPECT_EQ(classifyStatement("XA COMMIT 'x1'").xid,
            classifyStatement("XA COMMIT X'7831',X'',1").xid);
  EXPECT_EQ((XaId{7, "x2", "b2"}).text(), "X'7832',X'6232',7");
}

TEST(ClassifyStatement, MalformedXidIsKeptUnread) {
  EXPECT_FALSE(classifyStatement("XA COMMIT").xid.has_value());
  EXPECT_FALSE(classifyStatement("XA COMMIT X'zz'").xid.has_value());
  EXPECT_FALSE(classifyStatement("XA COMMIT 'a', 'b', notanumber").xid.has_value());
}

TEST(ClassifyStatement, StatementFormatWritesNameTheirTable) {
  Statement s = classifyStatement("INSERT INTO t VALUES (1)", "app");
  EXPECT_EQ(s.kind, StatementKind::Dml);
  EXPECT_EQ(s.table, (StatementTable{"app", "t"}));
  EXPECT_EQ(kindOf("LOAD DATA INFILE 'f' INTO TABLE t"), StatementKind::Dml);
}

TEST(ClassifyStatement, DdlEndingInStartTransactionOpensOne) {
  // MySQL 8.0.21+ writes CREATE TABLE ... SELECT so (WL#13355).
  EXPECT_TRUE(classifyStatement("CREATE TABLE `c` (`id` int NOT NULL) START TRANSACTION")
                  .opens_transaction);
  EXPECT_TRUE(classifyStatement("create table c (id int) start transaction ;\n").opens_transaction);
  EXPECT_FALSE(classifyStatement("CREATE TABLE c (id int)").opens_transaction);
  EXPECT_FALSE(classifyStatement("CREATE TABLE c (note VARCHAR(9) DEFAULT 'START TRANSACTION')")
                   .opens_transaction);
  EXPECT_FALSE(classifyStatement("START TRANSACTION").opens_transaction);  // a Begin
}

TEST(ClassifyStatement, DdlAndTheRestAreOther) {
  for (std::string_view query :
       {"CREATE TABLE t (a INT)", "ALTER TABLE t ADD b INT", "DROP TABLE t", "TRUNCATE TABLE t",
        "GRANT SELECT ON *.* TO u", "SET @a = 1"}) {
    EXPECT_EQ(kindOf(query), StatementKind::Other) << query;
  }
}

}  // namespace
}  // namespace mm::sql
