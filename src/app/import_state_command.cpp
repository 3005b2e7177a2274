#include "app/import_state_command.h"

#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "app/configuration.h"
#include "app/exit_codes.h"
#include "checkpoint/state_file.h"
#include "state/leader_lease.h"
#include "state/mysql_state_store.h"
#include "state/state_tables.h"

namespace mm::app {
namespace {

int fail(const std::string& why) {
  std::cerr << "mysql-monitor import-state: " << why << "\n";
  return kExitFailure;
}

}  // namespace

int runImportState(const config::Config& config) {
  checkpoint::StateFile file(
      (std::filesystem::path(config.monitor.state_path) / "position").string());
  auto saved = file.loadWithSource();
  if (!saved.isOk()) {
    return fail(saved.status().toString());
  }
  if (saved->checkpoint.empty()) {
    return fail(fmt::format("{} holds no state: nothing to import ([monitor] state_path)",
                            file.describe()));
  }
  const std::string history_name(state::kSchemaHistoryDocument);
  auto history = file.documents().read(history_name);
  if (!history.isOk()) {
    return fail(history.status().toString());
  }
  state::MysqlStateStore store(state::MysqlStateOptions{
      stateConnectionOptions(config), config.state.database, config.monitor.name});
  if (Status prepared = store.prepare(); !prepared.isOk()) {
    return fail(prepared.toString());
  }
  if (auto existing = store.load(); !existing.isOk() || !existing->empty()) {
    return fail(existing.isOk()
                    ? fmt::format("{} already holds a state ({}): not overwriting it. Delete its "
                                  "rows to import again",
                                  store.describe(), checkpoint::toString(*existing))
                    : existing.status().toString());
  }
  state::LeaderLease lease(state::LeaseOptions{stateConnectionOptions(config),
                                               config.state.database, config.monitor.name,
                                               "mysql-monitor import-state"});
  auto epoch = lease.tryAcquire();
  if (!epoch.isOk() || !epoch->has_value()) {
    return fail(epoch.isOk() ? fmt::format("a monitor named '{}' is running (it holds the leader "
                                           "lock): stop it first",
                                           config.monitor.name)
                             : epoch.status().toString());
  }
  store.setEpoch(**epoch);
  store.setSource(saved->source);
  Status written = store.save(saved->checkpoint);
  if (written.isOk() && history->has_value()) {
    written = store.documents().write(history_name, **history);
  }
  lease.release();
  if (!written.isOk()) {
    return fail(written.toString());
  }
  std::cout << fmt::format("imported {} ({}){} into {}\n", file.describe(),
                           checkpoint::toString(saved->checkpoint),
                           history->has_value() ? " and its schema history" : "", store.describe());
  return kExitOk;
}

}  // namespace mm::app
