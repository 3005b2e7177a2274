// The endpoints: routes, status codes and bodies, with a fake clock.
#include "metrics/exporter.h"

#include <gtest/gtest.h>

#include "metrics/exposition.h"
#include "support/fake_clock.h"

namespace mm::metrics {
namespace {

using namespace std::chrono_literals;

using FakeClock = test::FakeClock;

class ExporterTest : public ::testing::Test {
 protected:
  HttpResponse get(const std::string& path) { return exporter_.handle(HttpRequest{"GET", path}); }

  Stats stats_;
  FakeClock clock_;
  Exporter exporter_{stats_, clock_, ExporterOptions{"127.0.0.1", 0, 60s, 30s}};
};

TEST_F(ExporterTest, HealthzIsOkWhileTheProcessRuns) {
  const HttpResponse r = get("/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok\n");
}

TEST_F(ExporterTest, MetricsAreTheExposition) {
  add(stats_.rows_read, 3);
  const HttpResponse r = get("/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, kExpositionContentType);
  EXPECT_NE(r.body.find("\nmysql_monitor_rows_read_total 3\n"), std::string::npos);
}

TEST_F(ExporterTest, ReadyzFollowsTheConnectionsAndSaysWhy) {
  HttpResponse r = get("/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "not ready: the binlog stream is not connected\n");
  set(stats_.source_connected, true);
  set(stats_.broker_connected, true);
  stats_.setReadFile("mysql-bin.000001");
  set<uint64_t>(stats_.read_position, 400);
  r = get("/readyz");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "ready: streaming at mysql-bin.000001:400, broker connected\n");
  EXPECT_NE(get("/metrics").body.find("\nmysql_monitor_ready 1\n"), std::string::npos);
}

TEST_F(ExporterTest, ReadyzFailsWhenTheServerMovesOnAndTheReaderDoesNot) {
  set(stats_.source_connected, true);
  set(stats_.broker_connected, true);
  stats_.setReadFile("mysql-bin.000001");
  set<uint64_t>(stats_.read_position, 400);
  EXPECT_EQ(get("/readyz").status, 200);
  for (int i = 0; i < 7; ++i) {
    clock_.advance(10s);
    stats_.setServerState(
        ServerBinlogState{{"mysql-bin.000001", 9000}, 0, unixSeconds(clock_.now())});
    get("/readyz");
  }
  const HttpResponse r = get("/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("stalled"), std::string::npos) << r.body;
}

TEST_F(ExporterTest, OtherPathsAre404) {
  for (const char* path : {"/", "/metrics/", "/health", "/READYZ"}) {
    EXPECT_EQ(get(path).status, 404) << path;
  }
}

TEST_F(ExporterTest, OtherMethodsAre405) {
  for (const char* method : {"POST", "PUT", "DELETE", "HEAD", "get"}) {
    const HttpResponse r = exporter_.handle(HttpRequest{method, "/metrics"});
    EXPECT_EQ(r.status, 405) << method;
    EXPECT_EQ(r.allow, "GET");
  }
}

}  // namespace
}  // namespace mm::metrics
