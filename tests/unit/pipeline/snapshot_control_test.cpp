// SnapshotControl (pipeline/snapshot_control.h): one snapshot at a time, requests refused with the
// reason the CLI prints, and ids unique and readable.
#include "pipeline/snapshot_control.h"

#include <regex>
#include <set>

#include <gtest/gtest.h>

namespace mm::pipeline {
namespace {

using Outcome = SnapshotControl::Outcome;

void attachShop(SnapshotControl& control) {
  control.attach([](const binlog::TableName& t) { return t.database == "shop"; });
}

TEST(SnapshotControl, UnavailableBeforeAttachAndAfterDetach) {
  SnapshotControl control;
  EXPECT_EQ(control.request({}).outcome, Outcome::Unavailable);
  attachShop(control);
  const auto accepted = control.request({});
  EXPECT_EQ(accepted.outcome, Outcome::Accepted);
  control.detach();
  const auto after = control.request({});
  EXPECT_EQ(after.outcome, Outcome::Unavailable);
  EXPECT_FALSE(after.message.empty());
  EXPECT_FALSE(control.takeRequest().has_value()) << "detach drops the pending request";
  EXPECT_FALSE(control.status().running);
}

TEST(SnapshotControl, AcceptedRequestIsTakenOnceWithItsTables) {
  SnapshotControl control;
  attachShop(control);
  const auto answer = control.request({{"shop", "orders"}, {"shop", "a.b,c"}});
  ASSERT_EQ(answer.outcome, Outcome::Accepted) << answer.message;
  EXPECT_NE(answer.message.find(answer.id), std::string::npos);
  EXPECT_TRUE(control.status().running) << "accepted counts as running before the worker takes it";
  EXPECT_EQ(control.status().id, answer.id);
  auto taken = control.takeRequest();
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->id, answer.id);
  ASSERT_EQ(taken->tables.size(), 2u);
  EXPECT_EQ(taken->tables[1].table, "a.b,c");
  EXPECT_FALSE(control.takeRequest().has_value());
  EXPECT_TRUE(control.status().running);
  EXPECT_EQ(control.status().id, answer.id);
}

TEST(SnapshotControl, SecondRequestIsBusyWhilePendingOrRunning) {
  SnapshotControl control;
  attachShop(control);
  const auto first = control.request({});
  ASSERT_EQ(first.outcome, Outcome::Accepted);
  auto pending = control.request({});
  EXPECT_EQ(pending.outcome, Outcome::Busy);
  EXPECT_NE(pending.message.find(first.id), std::string::npos) << pending.message;
  ASSERT_TRUE(control.takeRequest().has_value());
  auto running = control.request({{"shop", "orders"}});
  EXPECT_EQ(running.outcome, Outcome::Busy);
  EXPECT_TRUE(running.id.empty());
  // Once the worker reports the end, a new one is taken.
  SnapshotStatus done = control.status();
  done.running = false;
  control.update(done);
  EXPECT_EQ(control.request({}).outcome, Outcome::Accepted);
}

TEST(SnapshotControl, UnpublishedOrUnnamedTableIsInvalid) {
  SnapshotControl control;
  attachShop(control);
  const auto other = control.request({{"shop", "orders"}, {"hr", "salaries"}});
  EXPECT_EQ(other.outcome, Outcome::Invalid);
  EXPECT_NE(other.message.find("hr.salaries"), std::string::npos) << other.message;
  EXPECT_EQ(control.request({{"shop", ""}}).outcome, Outcome::Invalid);
  EXPECT_EQ(control.request({{"", "orders"}}).outcome, Outcome::Invalid);
  EXPECT_FALSE(control.takeRequest().has_value()) << "a refused request leaves nothing pending";
}

TEST(SnapshotControl, CancelDropsAPendingRequestOrStopsTheRunningOne) {
  SnapshotControl control;
  attachShop(control);
  EXPECT_FALSE(control.cancel()) << "none runs";
  ASSERT_EQ(control.request({}).outcome, Outcome::Accepted);
  EXPECT_TRUE(control.cancel());
  EXPECT_FALSE(control.takeRequest().has_value());
  EXPECT_FALSE(control.takeCancel()) << "nothing ran, nothing to stop";
  ASSERT_EQ(control.request({}).outcome, Outcome::Accepted);
  ASSERT_TRUE(control.takeRequest().has_value());
  EXPECT_FALSE(control.takeCancel());
  EXPECT_TRUE(control.cancel());
  EXPECT_TRUE(control.takeCancel());
  EXPECT_FALSE(control.takeCancel()) << "taken once";
}

TEST(SnapshotControl, StatusIsTheWorkersLatest) {
  SnapshotControl control;
  SnapshotStatus s;
  s.running = true;
  s.id = "X";
  s.table = "shop.orders";
  s.table_rows_done = 10;
  s.tables_total = 2;
  control.update(s);
  EXPECT_EQ(control.status().table, "shop.orders");
  EXPECT_EQ(control.status().table_rows_done, 10u);
}

TEST(SnapshotControl, IdsAreUtcTimeAndAFourHexSuffixAndUnique) {
  const std::regex form(R"(20261205T011500Z-[0-9a-f]{4})");
  std::set<std::string> ids;
  for (int i = 0; i < 64; ++i) {
    const std::string id = newSnapshotId(1'796'433'300);  // 2026-12-05T01:15:00Z
    EXPECT_TRUE(std::regex_match(id, form)) << id;
    ids.insert(id);
  }
  // 64 draws of 16 bits: all equal only if the suffix is not random.
  EXPECT_GT(ids.size(), 32u);
}

}  // namespace
}  // namespace mm::pipeline
