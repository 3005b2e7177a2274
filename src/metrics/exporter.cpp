#include "metrics/exporter.h"

#include "metrics/exposition.h"

namespace mm::metrics {

Exporter::Exporter(Stats& stats, const Clock& clock, ExporterOptions options)
    : stats_(stats), clock_(clock), options_(std::move(options)), rule_(options_.stall_after),
      server_(
          HttpServerOptions{options_.host, options_.port},
          [this](const HttpRequest& r) { return handle(r); }, [this] { (void)judge(); }) {}

Readiness Exporter::judge() {
  return rule_.judge(
      sampleReadiness(stats_, unixSeconds(clock_.now()), options_.server_state_max_age),
      clock_.monotonicNow());
}

HttpResponse Exporter::handle(const HttpRequest& request) {
  HttpResponse response;
  if (request.path != "/metrics" && request.path != "/healthz" && request.path != "/readyz") {
    if (more_routes_) {
      response = more_routes_(request);
      if (response.status != 404) {
        return response;
      }
    }
    response = HttpResponse{};
    response.status = 404;
    response.body = "not found: try /metrics, /healthz or /readyz\n";
    return response;
  }
  if (request.method != "GET") {
    response.status = 405;
    response.allow = "GET";
    response.body = "method not allowed: only GET\n";
    return response;
  }
  if (request.path == "/healthz") {
    response.body = "ok\n";
    return response;
  }
  const Readiness readiness = judge();
  if (request.path == "/readyz") {
    response.status = readiness.ready ? 200 : 503;
    response.body = readiness.reason + "\n";
    return response;
  }
  response.content_type = std::string(kExpositionContentType);
  response.body = renderMetrics(stats_, unixSeconds(clock_.now()), readiness);
  return response;
}

}  // namespace mm::metrics
