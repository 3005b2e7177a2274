// Choosing the columns that identify a row when information_schema fills in the key.
#include "mysql/information_schema.h"

#include <gtest/gtest.h>

namespace mm::mysql {
namespace {

// Table (id, email NOT NULL, nick NULL, a NOT NULL, b NOT NULL).
const std::map<std::string, size_t, std::less<>> kColumns = {
    {"id", 0}, {"email", 1}, {"nick", 2}, {"a", 3}, {"b", 4}};
const std::vector<bool> kNullable = {false, false, true, false, false};

std::vector<std::string> names(const std::vector<UniqueIndexColumn>& key) {
  std::vector<std::string> out;
  for (const auto& c : key) {
    out.push_back(c.column);
  }
  return out;
}

TEST(ChooseKey, PrimaryKeyWins) {
  const std::vector<UniqueIndexColumn> indexes = {{"u_email", "email", 1}, {"PRIMARY", "id", 1}};
  EXPECT_EQ(names(chooseKey(indexes, kColumns, kNullable)), std::vector<std::string>{"id"});
}

TEST(ChooseKey, FirstUniqueIndexOverNotNullColumnsStandsIn) {
  const std::vector<UniqueIndexColumn> indexes = {
      {"u_nick", "nick", 1}, {"u_ab", "a", 1}, {"u_ab", "b", 2}, {"u_email", "email", 1}};
  const auto key = chooseKey(indexes, kColumns, kNullable);
  EXPECT_EQ(names(key), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(key[1].seq_in_index, 2u);
}

TEST(ChooseKey, NoUsableIndexMeansNoKey) {
  EXPECT_TRUE(chooseKey({{"u_nick", "nick", 1}}, kColumns, kNullable).empty());
  EXPECT_TRUE(chooseKey({}, kColumns, kNullable).empty());
}

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
