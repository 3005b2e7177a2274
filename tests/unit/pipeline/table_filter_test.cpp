#include "pipeline/table_filter.h"

#include <gtest/gtest.h>

namespace mm::pipeline {
namespace {

TEST(Wildcard, StarMatchesAnyRunIncludingNone) {
  EXPECT_TRUE(matchesWildcard("shop.*", "shop.orders"));
  EXPECT_TRUE(matchesWildcard("shop.*", "shop."));
  EXPECT_TRUE(matchesWildcard("*.audit_*", "crm.audit_2024"));
  EXPECT_TRUE(matchesWildcard("*", ""));
  EXPECT_TRUE(matchesWildcard("a*b*c", "aXXbYYbZc"));
  EXPECT_FALSE(matchesWildcard("a*b*c", "aXXbYY"));
  EXPECT_FALSE(matchesWildcard("shop.*", "shopping.orders"));
  EXPECT_FALSE(matchesWildcard("shop.orders", "shop.orders2"));
  EXPECT_FALSE(matchesWildcard("Shop.orders", "shop.orders")) << "names compare exactly";
}

TEST(TableFilter, EmptyFilterPassesEverything) {
  EXPECT_TRUE(TableFilter().passes("any", "table"));
}

TEST(TableFilter, DatabasesListRestrictsSchemas) {
  TableFilter filter(TableFilterOptions{{"shop", "crm"}, {}, {}});
  EXPECT_TRUE(filter.passes("shop", "orders"));
  EXPECT_TRUE(filter.passes("crm", "people"));
  EXPECT_FALSE(filter.passes("shop2", "orders"));
}

TEST(TableFilter, TablesPatternsRestrictAndExcludesWin) {
  TableFilter filter(TableFilterOptions{{}, {"shop.*", "crm.people"}, {"shop.*_log"}});
  EXPECT_TRUE(filter.passes("shop", "orders"));
  EXPECT_TRUE(filter.passes("crm", "people"));
  EXPECT_FALSE(filter.passes("crm", "deals"));
  EXPECT_FALSE(filter.passes("shop", "access_log"));
}

TEST(TableFilter, AllThreeCombine) {
  TableFilter filter(TableFilterOptions{{"shop"}, {"*.orders*"}, {"*.orders_archive"}});
  EXPECT_TRUE(filter.passes("shop", "orders"));
  EXPECT_FALSE(filter.passes("crm", "orders")) << "schema not listed";
  EXPECT_FALSE(filter.passes("shop", "orders_archive"));
  EXPECT_FALSE(filter.passes("shop", "items"));
}

}  // namespace
}  // namespace mm::pipeline
