#include "pipeline/statement_dml.h"

#include <gtest/gtest.h>

namespace mm::pipeline {
namespace {

std::optional<StatementTable> target(std::string_view query) { return statementDmlTarget(query, "app"); }

TEST(StatementDml, NamesTheTableOfEachDmlVerb) {
  EXPECT_EQ(target("INSERT INTO t VALUES (1)"), (StatementTable{"app", "t"}));
  EXPECT_EQ(target("insert ignore into shop.orders select * from x"), (StatementTable{"shop", "orders"}));
  EXPECT_EQ(target("INSERT LOW_PRIORITY t (a) VALUES (1)"), (StatementTable{"app", "t"}));
  EXPECT_EQ(target("REPLACE INTO `my db`.`odd``name` VALUES (1)"), (StatementTable{"my db", "odd`name"}));
  EXPECT_EQ(target("UPDATE LOW_PRIORITY IGNORE t SET a = 1"), (StatementTable{"app", "t"}));
  EXPECT_EQ(target("DELETE QUICK FROM shop.t WHERE a = 1"), (StatementTable{"shop", "t"}));
  EXPECT_EQ(target("DELETE t1, t2 FROM t1 JOIN t2"), (StatementTable{"app", "t1"}));
}

TEST(StatementDml, SkipsLeadingCommentsAndSpace) {
  EXPECT_EQ(target("  /* app:42 */ -- note\n# more\n\tUPDATE t SET a = 1"), (StatementTable{"app", "t"}));
}

TEST(StatementDml, OtherStatementsAreNotDml) {
  for (std::string_view query : {"BEGIN", "COMMIT", "CREATE TABLE t (a INT)", "ALTER TABLE t ADD b INT",
                                 "DROP TABLE t", "TRUNCATE TABLE t", "INSERTED", "UPDATER t", "",
                                 "/* unterminated", "SAVEPOINT s"}) {
    EXPECT_EQ(target(query), std::nullopt) << query;
  }
}

TEST(StatementDml, VerbWithoutTableIsNotDml) {
  EXPECT_EQ(target("INSERT INTO"), std::nullopt);
  EXPECT_EQ(target("UPDATE `unterminated"), std::nullopt);
  EXPECT_EQ(target("DELETE FROM db."), std::nullopt);
}

}  // namespace
}  // namespace mm::pipeline
