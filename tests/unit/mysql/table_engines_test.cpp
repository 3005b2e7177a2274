#include "mysql/table_engines.h"

#include <gtest/gtest.h>

namespace mm::mysql {
namespace {

TEST(TableEngines, RollbackUndoesOnlyTransactionalEngines) {
  for (const char* engine : {"InnoDB", "innodb", "ROCKSDB", "TokuDB", "ndbcluster"}) {
    EXPECT_TRUE(isTransactionalEngine(engine)) << engine;
  }
  for (const char* engine :
       {"MyISAM", "Aria", "MEMORY", "CSV", "ARCHIVE", "MRG_MyISAM", "BLACKHOLE", ""}) {
    EXPECT_FALSE(isTransactionalEngine(engine)) << engine;
  }
}

}  // namespace
}  // namespace mm::mysql
