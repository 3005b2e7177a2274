// Exporter: the HTTP endpoints over a Stats.
//
//   GET /metrics  Prometheus text (metrics/exposition.h)
//   GET /healthz  200 "ok" while the process runs (liveness)
//   GET /readyz   200 when ReadinessRule says ready, else 503; the body says why
// Other paths get 404 (unless setMoreRoutes() answers them), other methods on these paths 405.
//
// The readiness rule is fed a sample every second from the server's ticker (and at each request),
// so a stall is timed even when nobody asks; the server never runs the two at once. The endpoints
// answer on the server's own threads, so idle or slow HTTP clients (up to its connection limit)
// cost the pipeline nothing. `stats` and `clock` must outlive the exporter.
#pragma once

#include <chrono>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "metrics/http_server.h"
#include "metrics/readiness.h"
#include "metrics/stats.h"

namespace mm::metrics {

struct ExporterOptions {
  std::string host = "127.0.0.1";
  int port = 9650;
  std::chrono::seconds stall_after{60};           // [metrics] stall_seconds
  std::chrono::seconds server_state_max_age{60};  // older server polls are not used by /readyz
};

class Exporter {
 public:
  Exporter(Stats& stats, const Clock& clock, ExporterOptions options);

  // Starts listening (errors as HttpServer::start()).
  Status start() { return server_.start(); }
  void stop() { server_.stop(); }
  int port() const { return server_.port(); }
  size_t maxConnections() const { return server_.maxConnections(); }

  // Routes the exporter does not know go to `routes` first (the snapshot's, app/); its 404 falls
  // through to the exporter's own. Call before start().
  void setMoreRoutes(HttpHandler routes) { more_routes_ = std::move(routes); }

  // Answers one request; what the server thread calls (public for tests).
  HttpResponse handle(const HttpRequest& request);

 private:
  Readiness judge();

  Stats& stats_;
  const Clock& clock_;
  ExporterOptions options_;
  ReadinessRule rule_;  // used under the server's handler lock only
  HttpHandler more_routes_;
  HttpServer server_;
};

}  // namespace mm::metrics
