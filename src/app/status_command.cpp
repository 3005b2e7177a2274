#include "app/status_command.h"

#include "app/snapshot_command.h"

#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "app/configuration.h"
#include "app/exit_codes.h"
#include "app/origin_cut_over.h"
#include "app/snapshot_command.h"
#include "app/time_text.h"
#include "checkpoint/origin_state.h"
#include "checkpoint/state_file.h"
#include "mysql/binary_logs.h"
#include "mysql/binlog_stream.h"
#include "mysql/preflight.h"
#include "mysql/source_status.h"
#include "state/leader_lease.h"
#include "state/mysql_state_store.h"
#include "state/state_tables.h"

namespace mm::app {
namespace {

void line(std::string_view label, std::string_view text) {
  std::cout << fmt::format("{:<16} {}\n", fmt::format("{}:", label), text);
}

std::string humanBytes(uint64_t bytes) {
  if (bytes < 1024) {
    return fmt::format("{} bytes", bytes);
  }
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  for (value /= 1024; value >= 1024 && unit + 1 < std::size(units); value /= 1024) {
    ++unit;
  }
  return fmt::format("{} bytes ({:.1f} {})", bytes, value, units[unit]);
}

std::string humanSeconds(double seconds) {
  if (seconds < 120) {
    return fmt::format("{:.0f} s", seconds);
  }
  if (seconds < 2 * 3600) {
    return fmt::format("{:.0f} min", seconds / 60);
  }
  if (seconds < 2 * 86400) {
    return fmt::format("{:.1f} h", seconds / 3600);
  }
  return fmt::format("{:.1f} days", seconds / 86400);
}

// "saved 2026-11-25T10:00:00Z, 41 s ago" from the state file's modification time: when the
// position last advanced.
std::string savedWhen(const std::string& path) {
  std::error_code error;
  const auto modified = std::filesystem::last_write_time(path, error);
  if (error) {
    return "time unknown";
  }
  const auto when = std::chrono::file_clock::to_sys(modified);
  const auto age = std::chrono::duration<double>(std::chrono::system_clock::now() - when).count();
  const auto unix_seconds =
      std::chrono::floor<std::chrono::seconds>(when).time_since_epoch().count();
  return fmt::format("saved {}, {} ago", utcTimeText(unix_seconds),
                     humanSeconds(std::max(age, 0.0)));
}

// `label`: "state file" or "state table"; `when`: when it was last saved.
void printSavedState(std::string_view label, const std::string& path, const std::string& when,
                     const checkpoint::Checkpoint& checkpoint, const config::Config& config) {
  if (checkpoint.empty()) {
    auto origin = checkpoint::loadOriginState(config.monitor.origin_state_file);
    line(label,
         origin.isOk() && *origin
             ? fmt::format("{}: none yet (the monitor continues from the Python monitor's, below)",
                           path)
             : fmt::format("{}: none yet (the monitor starts at [mysql] start_position = {})", path,
                           config.mysql.start_position.text));
    return;
  }
  line(label, fmt::format("{} ({})", path, when));
  line("saved position", checkpoint::toString(checkpoint));
  if (!checkpoint.gtid_set.empty()) {
    line("saved gtid set", checkpoint.gtid_set);
  }
  // The snapshot: live from the running monitor when it answers, else as saved.
  if (const std::string live = snapshotStatusLines(config); !live.empty()) {
    std::cout << live;
  } else if (checkpoint.snapshot != nullptr && !checkpoint.snapshot->tables.empty()) {
    const checkpoint::SnapshotProgress& s = *checkpoint.snapshot;
    line("snapshot", fmt::format("{} saved at {}.{} ({} rows confirmed), {} table(s) left; the "
                                 "monitor continues it at its next start",
                                 s.id, s.tables.front().database, s.tables.front().table,
                                 s.rows_done, s.tables.size()));
  }
}

// How far the saved position is behind the server's end; exit 1 when its binlog is gone.
// Requires: `logs` is not empty.
int printBacklog(const checkpoint::Checkpoint& checkpoint,
                 const std::vector<mysql::BinaryLog>& logs) {
  const mysql::Backlog backlog = mysql::backlogOf(logs, checkpoint.file, checkpoint.offset);
  if (!backlog.file_present) {
    line("behind",
         fmt::format("unknown: the saved binlog {} is GONE from the server (oldest is {}); the "
                     "monitor will stop or, with [mysql] on_position_lost = current, skip to "
                     "the current position after a gap message",
                     checkpoint.file, logs.front().name));
    return kExitFailure;
  }
  line("behind", backlog.bytes == 0
                     ? std::string("0 bytes: up to date")
                     : fmt::format("{} in {} binlog file{}", humanBytes(backlog.bytes),
                                   backlog.later_files + 1, backlog.later_files == 0 ? "" : "s"));
  line("saved binlog", fmt::format("{} is still on the server", checkpoint.file));
  return kExitOk;
}

// The running monitor's snapshot when it answers, else the one saved in the state file.
void printSnapshot(const checkpoint::Checkpoint& checkpoint, const config::Config& config) {
  const std::string running = snapshotStatusLines(config);
  if (!running.empty()) {
    std::cout << running;
  } else if (checkpoint.snapshot != nullptr && !checkpoint.snapshot->tables.empty()) {
    line("snapshot", savedSnapshotText(*checkpoint.snapshot));
  }
}

// Without a state of our own: where the first start continues after the Python monitor's state
// file, and how far behind that is; nullopt when there is no such file.
std::optional<int> printCutOver(const config::Config& config, mysql::Connection& connection,
                                const std::vector<mysql::BinaryLog>& logs) {
  auto cut_over = originCutOver(config, connection);
  if (!cut_over.isOk()) {
    line("python monitor state", cut_over.status().message());
    return kExitFailure;
  }
  if (!*cut_over) {
    return std::nullopt;
  }
  const OriginCutOver& c = **cut_over;
  line("python monitor state",
       fmt::format("{}: {}:{}", config.monitor.origin_state_file, c.origin.file, c.origin.offset));
  line("resumes at", fmt::format("{}, the start of the transaction holding that position (its "
                                 "rows up to there are published again)",
                                 checkpoint::toString(c.start)));
  return printBacklog(c.start, logs);
}

}  // namespace

std::string savedSnapshotText(const checkpoint::SnapshotProgress& progress) {
  const auto& first = progress.tables.front();
  std::string text = fmt::format(
      "{} saved, continues at the next start: table {} ({} table{} left), {} rows confirmed",
      progress.id, tableText({first.database, first.table}), progress.tables.size(),
      progress.tables.size() == 1 ? "" : "s", progress.rows_done);
  if (!progress.table_started) {
    text += ", not started";
  }
  return text;
}

namespace {

// [monitor] state_store = mysql: who leads, and when the state row was saved
// (docs/high-availability.md).
// "" when the state server cannot be asked (the line says why).
std::string printLeader(const config::Config& config) {
  mysql::Connection connection;
  if (Status connected = connection.connect(stateConnectionOptions(config)); !connected.isOk()) {
    line("leader", connected.message());
    return "";
  }
  auto leadership = state::readLeadership(connection, config.state.database, config.monitor.name);
  auto saved = connection.query(fmt::format(
      "SELECT DATE_FORMAT(saved_at, '%Y-%m-%dT%H:%i:%SZ') FROM {}.monitor_state WHERE name = {} "
      "AND document = 'position'",
      state::quoteIdentifier(config.state.database),
      mysql::quoteLiteral(connection, config.monitor.name)));
  if (!leadership.isOk() || !saved.isOk()) {
    line("leader", (leadership.isOk() ? saved.status() : leadership.status()).message());
    return "";
  }
  const std::optional<state::LeaderRow>& leader = leadership->leader;
  if (!leader) {
    line("leader", "none yet: no monitor of this [monitor] name has led");
  } else {
    line("leader",
         fmt::format("{}, epoch {}, since {}: {}", leader->holder, leader->epoch, leader->since,
                     leadership->held ? "active (holds the lock)"
                                      : "NOT RUNNING (the lock is free: no monitor is active)"));
  }
  const bool has_saved = !saved->empty() && !(*saved)[0].empty() && (*saved)[0][0].has_value();
  return fmt::format("saved {}", has_saved ? *(*saved)[0][0] : std::string("never"));
}

// The state the configuration names, and how status labels it: where it is, when it was saved.
struct StatusState {
  std::unique_ptr<checkpoint::StateStore> store;
  std::string label;
  std::string where;
  std::string when;
};

StatusState openState(const config::Config& config) {
  StatusState state;
  if (config.monitor.state_store == config::StateStoreKind::Mysql) {
    state.when = printLeader(config);
    state.store = std::make_unique<state::MysqlStateStore>(state::MysqlStateOptions{
        stateConnectionOptions(config), config.state.database, config.monitor.name});
    state.label = "state";
    state.where = state.store->describe();
    return state;
  }
  auto file = std::make_unique<checkpoint::StateFile>(
      (std::filesystem::path(config.monitor.state_path) / "position").string());
  state.label = "state file";
  state.where = file->path();
  state.when = savedWhen(file->path());
  state.store = std::move(file);
  return state;
}

// The saved position's server against the one `status` reached, with its line when they differ:
// after a source failover the monitor continues on the other server by GTID set (app/run.cpp
// refuses only a resume by position), and the saved file:position is the other server's, so no
// backlog can be counted in this server's binlogs.
enum class SourceVerdict { Same, OtherByGtid, Refused };

SourceVerdict judgeSavedSource(const config::Config& config, const checkpoint::SavedState& saved,
                               const mysql::ServerIdentity& identity) {
  if (saved.source.empty() || saved.source == sourceIdentityOf(identity)) {
    return SourceVerdict::Same;
  }
  if (!resumesByGtid(config.mysql, saved.checkpoint)) {
    line("saved source", fmt::format("{}: ANOTHER SERVER; the saved position means nothing here "
                                     "and the monitor refuses to start",
                                     checkpoint::toString(saved.source)));
    return SourceVerdict::Refused;
  }
  line("saved source", fmt::format("{}: another server (a source failover); the monitor "
                                   "continues here by the saved GTID set",
                                   checkpoint::toString(saved.source)));
  return SourceVerdict::OtherByGtid;
}

}  // namespace

int runStatus(const config::Config& config) {
  const StatusState state = openState(config);
  auto saved = state.store->loadWithSource();
  if (!saved.isOk()) {
    line(state.label, saved.status().message());
    return kExitFailure;
  }
  const checkpoint::Checkpoint& checkpoint = saved->checkpoint;
  printSavedState(state.label, state.where, state.when, checkpoint, config);
  printSnapshot(checkpoint, config);

  mysql::Connection connection;
  const mysql::ConnectionOptions options = connectionOptions(config.mysql);
  Status connected = connection.connect(options);
  if (!connected.isOk()) {
    line("server", connected.message());
    return kExitFailure;
  }
  auto facts = mysql::fetchServerFacts(connection);
  auto identity = mysql::readServerIdentity(connection);
  auto current = mysql::resolveStartPosition(connection, binlog::StartPosition::current());
  auto logs = mysql::listBinaryLogs(connection);
  for (const Status* failed :
       {&facts.status(), &identity.status(), &current.status(), &logs.status()}) {
    if (!failed->isOk()) {
      line("server", failed->message());
      return kExitFailure;
    }
  }
  line("server", fmt::format("{}, {}, {}", connection.where(), facts->version,
                             mysql::describeIdentity(*identity)));
  const SourceVerdict verdict = judgeSavedSource(config, *saved, *identity);
  if (verdict == SourceVerdict::Refused) {
    return kExitFailure;
  }
  line("server position", fmt::format("{}:{}", current->position.file, current->position.offset));
  if (!current->gtid_set.empty()) {
    line("server gtid set", current->gtid_set);
  }
  uint64_t total = 0;
  for (const mysql::BinaryLog& log : *logs) {
    total += log.size;
  }
  line("binlogs", fmt::format("{} file{}, {}, oldest {}", logs->size(),
                              logs->size() == 1 ? "" : "s", humanBytes(total), logs->front().name));
  const double retention = static_cast<double>(mysql::binlogExpirySeconds(facts->variables));
  line("retention", retention > 0 ? fmt::format("binlogs expire after {}", humanSeconds(retention))
                                  : "binlogs are kept until purged by hand");
  if (verdict == SourceVerdict::OtherByGtid) {
    line("behind", "not counted: the saved position is the other server's binlog");
    return kExitOk;
  }
  return checkpoint.empty() ? printCutOver(config, connection, *logs).value_or(kExitOk)
                            : printBacklog(checkpoint, *logs);
}

}  // namespace mm::app
