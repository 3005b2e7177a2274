#include "app/run.h"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <iostream>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/check_command.h"
#include "app/decode_command.h"
#include "app/logging.h"
#include "app/options.h"
#include "app/source_poller.h"
#include "checkpoint/state_file.h"
#include "common/clock.h"
#include "common/check.h"
#include "config/config.h"
#include "message/message_route.h"
#include "metrics/exporter.h"
#include "metrics/stats.h"
#include "mysql/binlog_stream.h"
#include "mysql/information_schema.h"
#include "pipeline/pipeline.h"
#include "schema/schema_history.h"
#include "sink/amqp_publisher.h"

namespace mm::app {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitBadConfig = 2;

Result<config::Config> loadConfig(const CommandLine& cl) {
  config::Config config;
  if (!cl.config_path.empty()) {
    auto loaded = config::loadConfigFile(cl.config_path);
    if (!loaded.isOk()) {
      return loaded.status();
    }
    config = std::move(*loaded);
  }
  MM_RETURN_IF_ERROR(config::applyEnvironment(config, config::processEnvironment()));
  if (cl.log_level) {
    auto with_level = config::parseConfig(fmt::format("[monitor]\nlog_level = {}\n", *cl.log_level),
                                          "--log-level");
    if (!with_level.isOk()) {
      return with_level.status();
    }
    config.monitor.log_level = with_level->monitor.log_level;
  }
  return config;
}

mysql::ConnectionOptions connectionOptions(const config::MysqlConfig& c) {
  mysql::ConnectionOptions o;
  o.host = c.host;
  o.port = c.port;
  o.user = c.user;
  o.password = c.password;
  return o;
}

// The saved checkpoint, or (first start) the configured start position, saved at once so a crash
// before the first confirm cannot skip the changes made meanwhile. The state also names the server
// its position belongs to: resuming against another server is refused, and a state file written
// before the identity was recorded gets it now.
Result<checkpoint::Checkpoint> startingPoint(const config::Config& config,
                                             checkpoint::StateFile& state, bool& first_start) {
  auto saved = state.loadWithSource();
  if (!saved.isOk()) {
    return saved.status();
  }
  mysql::Connection connection;
  MM_RETURN_IF_ERROR(connection.connect(connectionOptions(config.mysql)));
  auto identity = mysql::readServerIdentity(connection);
  if (!identity.isOk()) {
    return identity.status();
  }
  const checkpoint::SourceIdentity source{identity->server_uuid,
                                          identity->server_uuid.empty() ? identity->server_id : 0};
  state.setSource(source);
  if (!saved->checkpoint.empty()) {
    const bool by_gtid = config.mysql.resume_by_gtid && !saved->checkpoint.gtid_set.empty();
    if (config.mysql.resume_by_gtid && !by_gtid) {
      spdlog::warn("[mysql] resume_by = gtid, but state file {} holds no GTID set (the server logs "
                   "none, or an older version wrote the file): resuming by position",
                   state.path());
    }
    if (saved->source.empty()) {
      MM_RETURN_IF_ERROR(state.save(saved->checkpoint));
      spdlog::info("state file {} now records the source's {}", state.path(), checkpoint::toString(source));
    } else if (!(saved->source == source)) {
      if (!by_gtid) {
        return Status::invalidArgument(fmt::format(
            "state file {} holds a position on the server with {}, but the server at {} has {}: a "
            "binlog position means nothing on another server. Point [mysql] host at the original "
            "server, set [mysql] resume_by = gtid to continue by GTID set (after a failover), or "
            "delete the state file to start again from [mysql] start_position",
            state.path(), checkpoint::toString(saved->source), connection.where(),
            checkpoint::toString(source)));
      }
      spdlog::warn("state file {} was written on the server with {}; the server at {} has {}: "
                   "continuing after GTID set {} ([mysql] resume_by = gtid)",
                   state.path(), checkpoint::toString(saved->source), connection.where(),
                   checkpoint::toString(source), saved->checkpoint.gtid_set);
    }
    return saved->checkpoint;
  }
  auto position = mysql::resolveStartPosition(connection, config.mysql.start_position);
  if (!position.isOk()) {
    return position.status();
  }
  // A start by GTID set has no position yet: the stream's first events tell it.
  checkpoint::Checkpoint start{position->position.file, position->position.offset, 0, position->gtid_set};
  first_start = true;
  MM_RETURN_IF_ERROR(state.save(start));
  spdlog::info("no state in {}: starting at the {} position {}", state.path(),
               config.mysql.start_position, checkpoint::toString(start));
  return start;
}

sink::AmqpOptions amqpOptions(const config::Config& config) {
  sink::AmqpOptions amqp;
  amqp.brokers.clear();
  auto brokers = config::brokerAddresses(config.amqp);
  MM_CHECK(brokers.isOk(), "the configuration was validated");
  for (const config::HostPort& broker : *brokers) {
    amqp.brokers.push_back(sink::BrokerAddress{broker.host, broker.port});
  }
  amqp.user = config.amqp.user;
  amqp.password = config.amqp.password;
  amqp.vhost = config.amqp.vhost;
  amqp.exchange = config.amqp.exchange;
  amqp.exchange_type = config.amqp.exchange_type;
  amqp.mandatory = config.amqp.mandatory;
  amqp.heartbeat_seconds = config.amqp.heartbeat_seconds;
  amqp.tls = sink::TlsOptions{config.amqp.ssl, config.amqp.ssl_ca, config.amqp.ssl_verify,
                              config.amqp.ssl_cert, config.amqp.ssl_key};
  return amqp;
}

pipeline::PipelineOptions pipelineOptions(const config::Config& config, const message::RoutingKeyTemplate& routing,
                                          metrics::Stats& stats) {
  pipeline::PipelineOptions o;
  o.stats = &stats;
  o.reader.stats = &stats;
  o.publisher.stats = &stats;
  o.reader.filter = pipeline::TableFilterOptions{config::splitList(config.mysql.database),
                                                 config.mysql.tables, config.mysql.exclude_tables};
  o.reader.on_position_lost = config.mysql.on_position_lost == config::OnPositionLost::Current
                                  ? pipeline::PositionLostPolicy::ResumeAtCurrent
                                  : pipeline::PositionLostPolicy::Fail;
  o.reader.resume_by_gtid = config.mysql.resume_by_gtid;
  o.routing_key = routing;
  o.publisher.heartbeat_routing_key = routing.expand(message::RouteFacts{"heartbeat", "", "", ""});
  o.publisher.confirm_window = static_cast<size_t>(config.amqp.confirm_window);
  o.publisher.heartbeat_interval = std::chrono::seconds(config.monitor.heartbeat_interval_seconds);
  o.delay = std::chrono::seconds(config.monitor.delay_seconds);
  // Draining at stop also waits for the delay buffer's content to be confirmed.
  o.stop_timeout += o.delay;
  return o;
}

// The metrics endpoints and the source poll behind the runway and /readyz; both stop when the
// returned objects are destroyed. Errors: the listen address cannot be bound.
struct MetricsService {
  std::optional<metrics::Exporter> exporter;
  std::optional<SourcePoller> poller;
};

Status startMetrics(const config::Config& config, metrics::Stats& stats, const Clock& clock,
                    MetricsService& service) {
  if (!config.metrics.enabled) {
    return Status::ok();
  }
  // Poll the source often enough that a stall is seen well within stall_seconds.
  const auto stall = std::chrono::seconds(config.metrics.stall_seconds);
  const auto poll_interval = std::clamp(stall / 3, std::chrono::seconds{1}, std::chrono::seconds{10});
  service.exporter.emplace(stats, clock, metrics::ExporterOptions{config.metrics.host, config.metrics.port,
                                                                  stall, 3 * poll_interval});
  if (Status started = service.exporter->start(); !started.isOk()) {
    return Status::io(fmt::format("[metrics] listen: {} (set another HOST:PORT, or off)", started.message()));
  }
  spdlog::info("metrics on http://{}:{}/metrics, health on /healthz and /readyz", config.metrics.host,
               service.exporter->port());
  service.poller.emplace(connectionOptions(config.mysql), poll_interval, stats, clock);
  return Status::ok();
}

// SIGINT/SIGTERM are blocked in every thread and taken here, synchronously, so stopping is ordinary
// code instead of a signal handler.
class SignalWatcher {
 public:
  explicit SignalWatcher(pipeline::Pipeline& pipeline) {
    thread_ = std::jthread([&pipeline](std::stop_token stop) {
      sigset_t set = stopSignals();
      const timespec tick{0, 200'000'000};
      while (!stop.stop_requested()) {
        const int signal = sigtimedwait(&set, nullptr, &tick);
        if (signal > 0) {
          spdlog::info("received {}; stopping (again to stop at once)", strsignal(signal));
          pipeline.requestStop();
        }
      }
    });
  }

  static sigset_t stopSignals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
  }

 private:
  std::jthread thread_;
};

}  // namespace

int runDaemon(int argc, char** argv) {
  auto cl = parseCommandLine(argc, argv);
  if (!cl.isOk()) {
    if (cl.status().code() == StatusCode::Cancelled) {
      return kExitOk;
    }
    std::cerr << "mysql-monitor: " << cl.status().message() << "\n";
    return kExitBadConfig;
  }
  if (cl->command == Command::Decode) {
    return runDecode(cl->files, cl->all_events);
  }
  auto config = loadConfig(*cl);
  if (!config.isOk()) {
    std::cerr << "mysql-monitor: configuration error: " << config.status().message() << "\n";
    return kExitBadConfig;
  }
  auto routing = message::RoutingKeyTemplate::parse(config->amqp.routing_key);
  if (!routing.isOk()) {
    std::cerr << "mysql-monitor: configuration error: [amqp] routing_key: " << routing.status().message() << "\n";
    return kExitBadConfig;
  }
  if (cl->check_config) {
    std::cout << "configuration OK\n";
    return kExitOk;
  }
  if (cl->command == Command::Check) {
    mysql::mysqlLibraryInit();
    return runCheck(*config, connectionOptions(config->mysql), amqpOptions(*config));
  }
  setUpLogging(config->monitor.log_level);
  // Block the stop signals before any thread starts, so only SignalWatcher receives them.
  sigset_t signals = SignalWatcher::stopSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  SystemClock clock;
  metrics::Stats stats;
  mysql::mysqlLibraryInit();
  MetricsService metrics_service;
  if (Status status = startMetrics(*config, stats, clock, metrics_service); !status.isOk()) {
    spdlog::error("{}", status.toString());
    return kExitFailure;
  }

  if (config->monitor.delay_start_seconds > 0) {
    spdlog::info("waiting {} s before connecting ([monitor] delay_start)", config->monitor.delay_start_seconds);
    std::this_thread::sleep_for(std::chrono::seconds(config->monitor.delay_start_seconds));
  }
  checkpoint::StateFile state((std::filesystem::path(config->monitor.state_path) / "position").string());
  bool first_start = false;
  auto start = startingPoint(*config, state, first_start);
  if (!start.isOk()) {
    spdlog::error("{}", start.status().toString());
    return kExitFailure;
  }
  spdlog::info("resuming from {}", checkpoint::toString(*start));
  // The schema history lives beside the state file: captured at the first start, else replayed up
  // to the checkpoint (an old history would miss the DDL between its end and a new start).
  mysql::InformationSchema information_schema(connectionOptions(config->mysql));
  const std::string history_path =
      (std::filesystem::path(config->monitor.state_path) / "schema_history").string();
  schema::SchemaHistory history(
      schema::SchemaHistoryOptions{history_path, config::splitList(config->mysql.database)},
      information_schema);
  const binlog::Position history_start{start->file, start->position};
  if (Status opened = first_start ? history.capture(history_start) : history.resume(history_start);
      !opened.isOk()) {
    spdlog::error("{}", opened.toString());
    return kExitFailure;
  }

  mysql::BinlogStream source(mysql::BinlogStreamOptions{
      connectionOptions(config->mysql), config->mysql.server_id, config->mysql.heartbeat_period_seconds});
  sink::AmqpPublisher publisher(amqpOptions(*config));
  pipeline::Pipeline pipeline(source, &history, publisher, state, clock, pipelineOptions(*config, *routing, stats));
  Status status;
  {
    SignalWatcher watcher(pipeline);
    status = pipeline.run(*start);
  }
  if (!status.isOk()) {
    spdlog::error("{}", status.toString());
    return kExitFailure;
  }
  spdlog::info("stopped cleanly");
  return kExitOk;
}

}  // namespace mm::app
