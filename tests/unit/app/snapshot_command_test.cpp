// The snapshot's controls (app/snapshot_command.h): the table list syntax, the HTTP routes over a
// SnapshotControl, and the saved progress `status` prints (app/status_command.h).
#include "app/snapshot_command.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "app/status_command.h"

namespace mm::app {
namespace {

TEST(SnapshotTableList, PlainAndBackquotedNames) {
  auto parsed = parseTableList("shop.orders,`we.ird,db`.`t``1 é`,db.x.y");
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  ASSERT_EQ(parsed->size(), 3u);
  EXPECT_EQ((*parsed)[0], (binlog::TableName{"shop", "orders"}));
  EXPECT_EQ((*parsed)[1], (binlog::TableName{"we.ird,db", "t`1 é"}));
  EXPECT_EQ((*parsed)[2], (binlog::TableName{"db", "x.y"})) << "the first dot splits";
}

TEST(SnapshotTableList, BadListsNameTheProblem) {
  for (const char* bad : {"shop", "shop.", ".orders", "`shop.orders", "`a`x.t", "a.b,,c.d"}) {
    auto parsed = parseTableList(bad);
    ASSERT_FALSE(parsed.isOk()) << bad;
    EXPECT_EQ(parsed.status().code(), StatusCode::InvalidArgument);
    EXPECT_NE(parsed.status().message().find(bad), std::string::npos) << parsed.status().message();
  }
}

TEST(SnapshotTableList, TableTextReadsBack) {
  for (const binlog::TableName& t : std::vector<binlog::TableName>{
           {"shop", "orders"}, {"a.b", "c,d"}, {"x`y", "sp ace"}, {"ü", "t=1"}}) {
    const std::string text = tableText(t);
    auto parsed = parseTableList(text);
    ASSERT_TRUE(parsed.isOk()) << text;
    ASSERT_EQ(parsed->size(), 1u) << text;
    EXPECT_EQ(parsed->front(), t) << text;
  }
  EXPECT_EQ(tableText({"shop", "orders"}), "shop.orders");
  EXPECT_EQ(tableText({"a.b", "c"}), "`a.b`.c");
}

metrics::HttpRequest req(std::string method, std::string path,
                         std::map<std::string, std::string> arguments = {}) {
  return metrics::HttpRequest{std::move(method), std::move(path), std::move(arguments)};
}

TEST(SnapshotRoutes, AnswerEachOutcomeWithItsStatusCode) {
  pipeline::SnapshotControl control;
  auto routes = snapshotRoutes(control);
  EXPECT_EQ(routes(req("POST", "/snapshot")).status, 503);
  control.attach([](const binlog::TableName& t) { return t.database == "shop"; });
  EXPECT_EQ(routes(req("POST", "/snapshot", {{"tables", "hr.pay"}})).status, 400);
  EXPECT_EQ(routes(req("POST", "/snapshot", {{"tables", "shop"}})).status, 400);
  EXPECT_EQ(routes(req("POST", "/snapshot/cancel")).status, 409);
  const auto accepted = routes(req("POST", "/snapshot", {{"tables", "shop.a,`shop`.`b.c`"}}));
  EXPECT_EQ(accepted.status, 202) << accepted.body;
  EXPECT_EQ(routes(req("POST", "/snapshot")).status, 409);
  auto taken = control.takeRequest();
  ASSERT_TRUE(taken.has_value());
  EXPECT_NE(accepted.body.find(taken->id), std::string::npos) << accepted.body;
  ASSERT_EQ(taken->tables.size(), 2u);
  EXPECT_EQ(taken->tables[1].table, "b.c");
  EXPECT_EQ(routes(req("POST", "/snapshot/cancel")).status, 200);
  EXPECT_EQ(routes(req("DELETE", "/snapshot")).status, 405);
  EXPECT_EQ(routes(req("GET", "/elsewhere")).status, 404);
}

TEST(SnapshotRoutes, GetIsTheStatusAsJson) {
  pipeline::SnapshotControl control;
  pipeline::SnapshotStatus s;
  s.running = true;
  s.id = "20261205T011500Z-3f9a";
  s.table = "shop.orders";
  s.table_rows_done = 4096;
  s.table_estimated_rows = 10000;
  s.tables_total = 2;
  s.errors = {"shop.\"x\": no key"};
  control.update(s);
  const auto r = snapshotRoutes(control)(req("GET", "/snapshot"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  rapidjson::Document doc;
  doc.Parse(r.body.c_str());
  ASSERT_FALSE(doc.HasParseError()) << r.body;
  EXPECT_TRUE(doc["running"].GetBool());
  EXPECT_STREQ(doc["id"].GetString(), "20261205T011500Z-3f9a");
  EXPECT_EQ(doc["table_rows_done"].GetUint64(), 4096u);
  EXPECT_EQ(doc["table_estimated_rows"].GetUint64(), 10000u);
  EXPECT_EQ(doc["tables_total"].GetUint64(), 2u);
  ASSERT_EQ(doc["errors"].Size(), 1u);
  EXPECT_STREQ(doc["errors"][0].GetString(), "shop.\"x\": no key");
}

TEST(StatusSnapshot, SavedProgressNamesTableRowsAndTablesLeft) {
  checkpoint::SnapshotProgress p{"S-1", {{"shop", "or.ders"}, {"shop", "b"}}, "k", 4096, true};
  const std::string text = savedSnapshotText(p);
  EXPECT_NE(text.find("S-1"), std::string::npos) << text;
  EXPECT_NE(text.find("shop.`or.ders`"), std::string::npos) << text;
  EXPECT_NE(text.find("2 tables left"), std::string::npos) << text;
  EXPECT_NE(text.find("4096 rows confirmed"), std::string::npos) << text;
  EXPECT_EQ(text.find("not started"), std::string::npos) << text;
  p.table_started = false;
  p.tables.pop_back();
  EXPECT_NE(savedSnapshotText(p).find("(1 table left), "), std::string::npos);
  EXPECT_NE(savedSnapshotText(p).find("not started"), std::string::npos);
}

}  // namespace
}  // namespace mm::app
