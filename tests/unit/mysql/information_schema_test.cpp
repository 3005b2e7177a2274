// Reading information_schema's text: MariaDB's JSON checks and ENUM/SET members.
#include "mysql/information_schema.h"

#include <gtest/gtest.h>

namespace mm::mysql {
namespace {

TEST(JsonValidColumn, MariadbJsonCheckNamesItsColumn) {
  // MariaDB stores `j JSON` as LONGTEXT with CHECK_CLAUSE "json_valid(`j`)".
  EXPECT_EQ(jsonValidColumn("json_valid(`j`)"), "j");
  EXPECT_EQ(jsonValidColumn("json_valid(`a``b`)"), "a`b");
  EXPECT_EQ(jsonValidColumn("json_valid(`a`) and `b` > 0"), std::nullopt);
  EXPECT_EQ(jsonValidColumn("`n` > 0"), std::nullopt);
  EXPECT_EQ(jsonValidColumn(""), std::nullopt);
}

}  // namespace
}  // namespace mm::mysql
