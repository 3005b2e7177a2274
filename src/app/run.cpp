#include "app/run.h"

#include "app/snapshot_command.h"
#include "mysql/snapshot_reader.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/configuration.h"
#include "app/exit_codes.h"
#include "app/origin_cut_over.h"
#include "app/source_poller.h"
#include "app/stop_signals.h"
#include "checkpoint/state_file.h"
#include "checkpoint/state_lock.h"
#include "common/check.h"
#include "common/clock.h"
#include "common/thread_name.h"
#include "config/config.h"
#include "message/message_route.h"
#include "metrics/exporter.h"
#include "metrics/stats.h"
#include "mysql/binlog_stream.h"
#include "mysql/information_schema.h"
#include "mysql/table_engines.h"
#include "pipeline/pipeline.h"
#include "schema/schema_history.h"
#include "sink/amqp_publisher.h"
#include "state/leader_lease.h"
#include "state/mysql_state_store.h"

namespace mm::app {
namespace {

// No state of our own: the Python monitor's position (app/origin_cut_over.h) when its state file
// is there, else the configured start position, saved at once.
Result<checkpoint::Checkpoint> firstStart(const config::Config& config,
                                          checkpoint::StateStore& state,
                                          mysql::Connection& connection, bool& first_start) {
  auto cut_over = originCutOver(config, connection);
  if (!cut_over.isOk()) {
    return cut_over.status();
  }
  if (*cut_over) {
    // Not a first start for [snapshot] mode = initial: the origin's consumers hold the rows.
    const checkpoint::Checkpoint& start = (*cut_over)->start;
    MM_RETURN_IF_ERROR(state.save(start));
    spdlog::info("no state in {}: continuing after the Python monitor's position {}:{} (from {}) "
                 "at the start of its transaction, {}",
                 state.describe(), (*cut_over)->origin.file, (*cut_over)->origin.offset,
                 config.monitor.origin_state_file, checkpoint::toString(start));
    return start;
  }
  const binlog::StartPosition& configured = config.mysql.start_position;
  auto position = mysql::resolveStartPosition(connection, configured);
  if (!position.isOk()) {
    return position.status();
  }
  // A start by GTID set has no position yet: the stream's first events tell it.
  checkpoint::Checkpoint start{position->position.file, position->position.offset, 0,
                               position->gtid_set};
  first_start = true;
  MM_RETURN_IF_ERROR(state.save(start));
  spdlog::info("no state in {}: starting at the {} position {}", state.describe(), configured.text,
               checkpoint::toString(start));
  return start;
}

// The saved checkpoint, or (first start) the configured start position, saved at once so a crash
// before the first confirm cannot skip the changes made meanwhile. The state also names the server
// its position belongs to: resuming against another server is refused, and a state file written
// before the identity was recorded gets it now.
// A stop request (`stop`) ends the connection attempt with Cancelled.
Result<checkpoint::Checkpoint> startingPoint(const config::Config& config,
                                             checkpoint::StateStore& state, bool& first_start,
                                             const std::atomic<bool>& stop) {
  auto saved = state.loadWithSource();
  if (!saved.isOk()) {
    return saved.status();
  }
  mysql::Connection connection;
  MM_RETURN_IF_ERROR(connection.connect(connectionOptions(config.mysql), &stop));
  auto identity = mysql::readServerIdentity(connection);
  if (!identity.isOk()) {
    return identity.status();
  }
  const checkpoint::SourceIdentity source = sourceIdentityOf(*identity);
  state.setSource(source);
  if (!saved->checkpoint.empty()) {
    const bool by_gtid = resumesByGtid(config.mysql, saved->checkpoint);
    if (config.mysql.resume_by_gtid && !by_gtid) {
      spdlog::warn("[mysql] resume_by = gtid, but {} holds no GTID set (the server logs "
                   "none, or an older version wrote the file): resuming by position",
                   state.describe());
    }
    if (saved->source.empty()) {
      MM_RETURN_IF_ERROR(state.save(saved->checkpoint));
      spdlog::info("{} now records the source's {}", state.describe(),
                   checkpoint::toString(source));
    } else if (!(saved->source == source)) {
      if (!by_gtid) {
        return Status::invalidArgument(fmt::format(
            "{} holds a position on the server with {}, but the server at {} has {}: a "
            "binlog position means nothing on another server. Point [mysql] host at the original "
            "server, set [mysql] resume_by = gtid to continue by GTID set (after a failover), or "
            "delete the state to start again from [mysql] start_position",
            state.describe(), checkpoint::toString(saved->source), connection.where(),
            checkpoint::toString(source)));
      }
      spdlog::warn("{} was written on the server with {}; the server at {} has {}: "
                   "continuing after GTID set {} ([mysql] resume_by = gtid)",
                   state.describe(), checkpoint::toString(saved->source), connection.where(),
                   checkpoint::toString(source), saved->checkpoint.gtid_set);
    }
    return saved->checkpoint;
  }
  return firstStart(config, state, connection, first_start);
}

pipeline::PipelineOptions pipelineOptions(const config::Config& config) {
  const message::RoutingKeyTemplate& routing = config.amqp.routing;
  pipeline::PipelineOptions o;
  o.reader.filter = pipeline::TableFilterOptions{config.mysql.databases, config.mysql.tables,
                                                 config.mysql.exclude_tables};
  if (config.monitor.state_store == config::StateStoreKind::Mysql) {
    // The monitor's own state writes are never published, whatever the filters say; and a
    // transaction of nothing else does not move the checkpoint (docs/high-availability.md).
    o.reader.filter.exclude_tables.push_back(config.state.database + ".*");
    o.reader.own_database = config.state.database;
  }
  o.reader.on_position_lost = config.mysql.on_position_lost == config::OnPositionLost::Current
                                  ? pipeline::PositionLostPolicy::ResumeAtCurrent
                                  : pipeline::PositionLostPolicy::Fail;
  o.reader.resume_by_gtid = config.mysql.resume_by_gtid;
  o.reader.max_held_bytes = static_cast<uint64_t>(config.monitor.max_held_mb) << 20;
  o.routing_key = routing;
  o.publisher.heartbeat_routing_key = routing.expand(message::RouteFacts{"heartbeat", "", "", ""});
  o.publisher.confirm_window = static_cast<size_t>(config.amqp.confirm_window);
  o.publisher.on_oversize = config.amqp.on_oversize == config::OnOversize::Stub
                                ? pipeline::OversizePolicy::Stub
                                : pipeline::OversizePolicy::Fail;
  o.publisher.checkpoint_interval =
      std::chrono::milliseconds(config.monitor.checkpoint_interval_ms);
  o.publisher.heartbeat_interval = std::chrono::seconds(config.monitor.heartbeat_interval_seconds);
  o.delay = std::chrono::seconds(config.monitor.delay_seconds);
  o.message_format = config.message.format;
  o.publisher.message_format = config.message.format;
  // [monitor] stop_timeout bounds the wait for confirms at stop; draining also waits for the delay
  // buffer's content to be confirmed.
  o.publisher.drain_timeout = std::chrono::seconds(config.monitor.stop_timeout_seconds);
  o.stop_timeout = o.publisher.drain_timeout + o.delay;
  o.snapshot.mode = config.snapshot.mode == config::SnapshotMode::Initial
                        ? pipeline::SnapshotOptions::Mode::Initial
                        : pipeline::SnapshotOptions::Mode::Never;
  o.snapshot.chunk_rows = static_cast<size_t>(config.snapshot.chunk_rows);
  o.snapshot.max_rows_per_second = static_cast<uint64_t>(config.snapshot.max_rows_per_second);
  o.snapshot.keyless_max_rows = static_cast<size_t>(config.snapshot.keyless_max_rows);
  return o;
}

// The metrics endpoints and the source poll behind the runway and /readyz; both stop when the
// returned objects are destroyed. Errors: the listen address cannot be bound.
struct MetricsService {
  std::optional<metrics::Exporter> exporter;
  std::optional<SourcePoller> poller;
};

// The servers of [mysql] host, and the preference connections share, for the source_server
// metric (before any thread reads the stats).
void nameSourceServers(const config::MysqlConfig& mysql, metrics::Stats& stats) {
  for (const config::HostPort& server : mysql.servers) {
    stats.source_servers.push_back(fmt::format("{}:{}", server.host, server.port));
  }
  if (stats.source_servers.empty()) {
    stats.source_servers.push_back(fmt::format("{}:{}", mysql.host, mysql.port));
  }
  stats.source_server_in_use = connectionOptions(mysql).preferred;
}

Status startMetrics(const config::Config& config, metrics::Stats& stats, const Clock& clock,
                    pipeline::SnapshotControl& snapshot, MetricsService& service) {
  if (!config.metrics.enabled) {
    return Status::ok();
  }
  // Poll the source often enough that a stall is seen well within stall_seconds.
  const auto stall = std::chrono::seconds(config.metrics.stall_seconds);
  const auto poll_interval =
      std::clamp(stall / 3, std::chrono::seconds{1}, std::chrono::seconds{10});
  // A soft limit of 1,024 descriptors would let idle HTTP clients crowd out the state file and the
  // server connections; the HTTP server keeps a reserve below whatever limit is in force.
  metrics::raiseOpenFileLimit();
  service.exporter.emplace(
      stats, clock,
      metrics::ExporterOptions{config.metrics.host, config.metrics.port, stall, 3 * poll_interval});
  service.exporter->setMoreRoutes(snapshotRoutes(snapshot));
  if (Status started = service.exporter->start(); !started.isOk()) {
    return Status::io(
        fmt::format("[metrics] listen: {} (set another HOST:PORT, or off)", started.message()));
  }
  spdlog::info(
      "metrics on http://{}:{}/metrics, health on /healthz and /readyz (at most {} connections)",
      config.metrics.host, service.exporter->port(), service.exporter->maxConnections());
  service.poller.emplace(connectionOptions(config.mysql), poll_interval, stats, clock);
  return Status::ok();
}

// Takes SIGINT/SIGTERM/SIGHUP (blocked in every thread, app/stop_signals.h) from the daemon's
// first moment, so a stop is seen in every phase: delay_start, connecting, the pipeline. SIGHUP is
// logged and changes nothing. A stop request sets stopFlag() (connects watch it) and is passed on
// to the attached pipeline, the second one too (which stops it at once).
class SignalWatcher {
 public:
  SignalWatcher() {
    thread_ = std::jthread([this](std::stop_token stop) {
      nameThisThread("mm-signals");
      // A thread must not end in an exception (std::terminate): a library's (std::bad_alloc, a
      // logging format error) stops the daemon as a signal would, so it cannot go unstoppable.
      try {
        watch(stop);
      } catch (const std::exception& e) {
        spdlog::error("the signal watcher failed ({}); stopping", e.what());
        requestStop();
      }
    });
  }

  const std::atomic<bool>& stopFlag() const { return stop_requested_; }
  bool stopRequested() const { return stop_requested_.load(); }

  // Waits up to `duration` for a stop request; true when one came.
  bool waitForStop(std::chrono::milliseconds duration) {
    std::unique_lock lock(mutex_);
    return stopped_cv_.wait_for(lock, duration, [this] { return stop_requested_.load(); });
  }

  // Passes stop requests on to `pipeline` (null: to nobody); requests that came before are passed
  // on at once, and a deposed leader's pipeline is stopped at once. `pipeline` must stay alive
  // until attach(nullptr).
  void attach(pipeline::Pipeline* pipeline) {
    std::lock_guard lock(mutex_);
    pipeline_ = pipeline;
    const int stops = deposed_ ? 2 : std::min(stop_signals_, 2);
    for (int i = 0; pipeline_ != nullptr && i < stops; ++i) {
      pipeline_->requestStop();
    }
  }

  // The leader lock is lost (state/leader_lease.h): the pipeline stops at once, without waiting
  // for confirms (a newer leader publishes them again), and so does one attached later, until
  // undepose(). The daemon goes on (standing by): this is not a stop request.
  void depose() {
    std::lock_guard lock(mutex_);
    deposed_ = true;
    for (int i = 0; pipeline_ != nullptr && i < 2; ++i) {
      pipeline_->requestStop();
    }
  }
  void undepose() {
    std::lock_guard lock(mutex_);
    deposed_ = false;
  }

 private:
  void watch(const std::stop_token& stop) {
    while (!stop.stop_requested()) {
      if (auto signal = waitForStopSignal(std::chrono::milliseconds(200))) {
        onSignal(*signal);
      }
    }
  }

  void onSignal(int signal) {
    if (signal == SIGHUP) {
      spdlog::warn("received {}: ignored (mysql-monitor re-reads nothing on SIGHUP; restart it to "
                   "apply a changed configuration)",
                   strsignal(signal));
      return;
    }
    spdlog::info("received {}; stopping (again to stop at once)", strsignal(signal));
    requestStop();
  }

  void requestStop() {
    std::lock_guard lock(mutex_);
    ++stop_signals_;
    stop_requested_ = true;
    stopped_cv_.notify_all();
    if (pipeline_ != nullptr) {
      pipeline_->requestStop();
    }
  }

  std::mutex mutex_;
  std::condition_variable stopped_cv_;
  std::atomic<bool> stop_requested_{false};
  int stop_signals_ = 0;                    // guarded by mutex_
  bool deposed_ = false;                    // guarded by mutex_
  pipeline::Pipeline* pipeline_ = nullptr;  // guarded by mutex_
  std::jthread thread_;                     // last: stops first
};

// Waits [monitor] delay_start; true when a stop request came meanwhile.
bool stoppedDuringDelayStart(const config::Config& config, SignalWatcher& signals) {
  if (config.monitor.delay_start_seconds <= 0) {
    return false;
  }
  spdlog::info("waiting {} s before connecting ([monitor] delay_start)",
               config.monitor.delay_start_seconds);
  if (signals.waitForStop(std::chrono::seconds(config.monitor.delay_start_seconds))) {
    spdlog::info("stopped during delay_start, before connecting");
    return true;
  }
  return false;
}

// What runDaemon builds before streaming and hands to runPipeline().
struct DaemonParts {
  SignalWatcher& signals;
  pipeline::SnapshotControl& snapshot;
  const Clock& clock;
  metrics::Stats& stats;
  checkpoint::StateStore* state;
  // The leader's lease (state/leader_lease.h): nothing is published past it. Null: no election.
  const std::atomic<int64_t>* lease_valid_until = nullptr;
};

// Opens the schema history at `start` and runs the pipeline from there until a stop or a failure.
int runPipeline(const config::Config& config, const checkpoint::Checkpoint& start, bool first_start,
                DaemonParts parts) {
  // The schema history lives beside the state file: captured at the first start, else replayed up
  // to the checkpoint (an old history would miss the DDL between its end and a new start).
  mysql::InformationSchema information_schema(connectionOptions(config.mysql));
  schema::SchemaHistory history(
      schema::SchemaHistoryOptions{"schema_history", config.mysql.databases},
      parts.state->documents(), information_schema);
  const binlog::Position history_start{start.file, start.offset};
  if (Status opened = first_start ? history.capture(history_start) : history.resume(history_start);
      !opened.isOk()) {
    spdlog::error("{}", opened.toString());
    return kExitFailure;
  }

  mysql::BinlogStream source(mysql::BinlogStreamOptions{connectionOptions(config.mysql),
                                                        config.mysql.server_id,
                                                        config.mysql.heartbeat_period_seconds});
  sink::AmqpPublisher publisher(amqpOptions(config));
  // Asked by the reader when a logged ROLLBACK TO undoes rows: which of them happened anyway.
  mysql::TableEngines engines(connectionOptions(config.mysql));
  pipeline::PipelineOptions options = pipelineOptions(config);
  options.publisher.lease_valid_until = parts.lease_valid_until;
  options.reader.non_transactional = [&engines](const std::string& database,
                                                const std::string& table) {
    return engines.nonTransactional(database, table);
  };
  pipeline::Pipeline pipeline(source, &history, publisher, *parts.state, parts.clock, parts.stats,
                              std::move(options));
  // The snapshot reads with a connection of its own (docs/design.md §13).
  mysql::SnapshotReader snapshot_reader(connectionOptions(config.mysql));
  pipeline.attachSnapshot(snapshot_reader, parts.snapshot, first_start);
  parts.signals.attach(&pipeline);
  Status status = pipeline.run(start);
  parts.signals.attach(nullptr);
  if (!status.isOk()) {
    spdlog::error("{}", status.toString());
    return kExitFailure;
  }
  spdlog::info("stopped cleanly");
  return kExitOk;
}

// Resumes from the saved state (or starts) and streams until a stop or a failure.
int runFromState(const config::Config& config, DaemonParts parts) {
  bool first_start = false;
  auto start = startingPoint(config, *parts.state, first_start, parts.signals.stopFlag());
  if (parts.signals.stopRequested()) {
    spdlog::info("stopped before streaming{}",
                 start.isOk() ? "" : " (while connecting to the server)");
    return kExitOk;
  }
  if (!start.isOk()) {
    spdlog::error("{}", start.status().toString());
    return kExitFailure;
  }
  spdlog::info("resuming from {}", checkpoint::toString(*start));
  return runPipeline(config, *start, first_start, parts);
}

std::string holderName(const config::Config& config) {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) {
    std::snprintf(host, sizeof(host), "unknown-host");
  }
  return fmt::format("{} pid {} server_id {}", host, getpid(), config.mysql.server_id);
}

// Creates the state tables, trying again every second while the state server cannot be reached.
// False when stopped or refused for good (logged).
bool prepareStateTables(state::MysqlStateStore& store, SignalWatcher& signals) {
  bool logged = false;
  while (!signals.stopRequested()) {
    Status prepared = store.prepare();
    if (prepared.isOk()) {
      return true;
    }
    if (prepared.code() != StatusCode::Io) {
      spdlog::error("{}", prepared.toString());
      return false;
    }
    if (!logged) {
      spdlog::warn("{}; trying again every second", prepared.toString());
      logged = true;
    }
    signals.waitForStop(std::chrono::seconds(1));
  }
  return false;
}

// [monitor] state_store = mysql: stands by until this monitor holds the leader lock, leads until
// a stop or until it loses the lock (then stands by again), docs/high-availability.md.
int runAsLeaderOrStandby(const config::Config& config, DaemonParts parts) {
  // A save on a link gone silent must fail, not hang the stop: within the lock's own timeout.
  mysql::ConnectionOptions store_connection = stateConnectionOptions(config);
  store_connection.read_timeout_seconds = config.state.lock_timeout_seconds;
  state::MysqlStateStore store(state::MysqlStateOptions{
      std::move(store_connection), config.state.database, config.monitor.name});
  state::LeaderLease lease(state::LeaseOptions{
      stateConnectionOptions(config), config.state.database, config.monitor.name,
      holderName(config), std::chrono::seconds(config.state.lock_timeout_seconds)});
  if (!prepareStateTables(store, parts.signals)) {
    return parts.signals.stopRequested() ? kExitOk : kExitFailure;
  }
  parts.state = &store;
  parts.lease_valid_until = &lease.validUntil();
  while (true) {
    metrics::set(parts.stats.role, static_cast<int>(metrics::Role::Standby));
    spdlog::info("standing by: waiting for the leader lock of '{}' on {}", config.monitor.name,
                 store.describe());
    auto epoch = lease.acquire(parts.signals.stopFlag(), [](const state::LeaderRow& leader) {
      spdlog::info("standby: the active monitor is {} (epoch {}, since {})", leader.holder,
                   leader.epoch, leader.since);
    });
    if (parts.signals.stopRequested()) {
      spdlog::info("stopped while standing by");
      return kExitOk;
    }
    if (!epoch.isOk()) {
      spdlog::error("{}", epoch.status().toString());
      return kExitFailure;
    }
    store.setEpoch(*epoch);
    metrics::set(parts.stats.leader_epoch, *epoch);
    metrics::set(parts.stats.role, static_cast<int>(metrics::Role::Active));
    spdlog::info("leading as epoch {} ({})", *epoch, store.describe());
    std::atomic<bool> lost{false};
    parts.signals.undepose();
    lease.watch([&lost, &parts](const Status& why) {
      lost = true;
      spdlog::error("lost the leader lock ({}): publishing stops now; standing by", why.toString());
      parts.signals.depose();
    });
    const int exit_code = runFromState(config, parts);
    lease.release();
    if (parts.signals.stopRequested() || !(lost.load() || store.fenced())) {
      return exit_code;
    }
    spdlog::warn("deposed (another monitor of '{}' took over): standing by again",
                 config.monitor.name);
  }
}

}  // namespace

int runDaemon(const config::Config& config) {
  // Before anything touches the state: a second monitor on it would publish everything twice.
  // (The state tables' leader lock does this for state_store = mysql, docs/high-availability.md.)
  std::optional<checkpoint::StateLock> state_lock;
  if (config.monitor.state_store == config::StateStoreKind::File) {
    auto lock = checkpoint::StateLock::acquire(config.monitor.state_path);
    if (!lock.isOk()) {
      spdlog::error("{}", lock.status().toString());
      return kExitFailure;
    }
    state_lock.emplace(std::move(*lock));
  }
  SignalWatcher signals;
  SystemClock clock;
  metrics::Stats stats;
  nameSourceServers(config.mysql, stats);
  mysql::mysqlLibraryInit();
  // The health endpoints answer from the start, delay_start included (liveness while waiting).
  MetricsService metrics_service;
  pipeline::SnapshotControl snapshot;  // requests answer Unavailable until the pipeline runs
  if (Status status = startMetrics(config, stats, clock, snapshot, metrics_service);
      !status.isOk()) {
    spdlog::error("{}", status.toString());
    return kExitFailure;
  }
  if (stoppedDuringDelayStart(config, signals)) {
    return kExitOk;
  }
  if (config.monitor.state_store == config::StateStoreKind::Mysql) {
    return runAsLeaderOrStandby(config, DaemonParts{signals, snapshot, clock, stats, nullptr});
  }
  checkpoint::StateFile state(
      (std::filesystem::path(config.monitor.state_path) / "position").string());
  return runFromState(config, DaemonParts{signals, snapshot, clock, stats, &state});
}

}  // namespace mm::app
