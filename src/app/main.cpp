// mysql-monitor: parses the command line, loads the configuration and runs one command. Every
// path ends in one of the exit codes of app/exit_codes.h: 2 for anything the user must fix in the
// arguments or the configuration, before anything connects.
#include <iostream>

#include <spdlog/spdlog.h>

#include "app/check_command.h"
#include "app/configuration.h"
#include "app/decode_command.h"
#include "app/exit_codes.h"
#include "app/import_state_command.h"
#include "app/logging.h"
#include "app/options.h"
#include "app/run.h"
#include "app/snapshot_command.h"
#include "app/status_command.h"
#include "app/stop_signals.h"
#include "app/tail_command.h"

namespace mm::app {
namespace {

int runCommand(int argc, char** argv) {
  auto command_line = parseCommandLine(argc, argv);
  if (!command_line.isOk()) {
    if (command_line.status().code() == StatusCode::Cancelled) {
      return kExitOk;
    }
    std::cerr << "mysql-monitor: " << command_line.status().message() << "\n";
    return kExitUsage;
  }
  if (command_line->command == Command::Decode) {
    return runDecode(command_line->files, command_line->all_events);
  }
  auto config = loadConfiguration(*command_line);
  if (!config.isOk()) {
    std::cerr << "mysql-monitor: configuration error: " << config.status().message() << "\n";
    return kExitUsage;
  }
  if (command_line->check_config) {
    for (const std::string& warning : config->warnings) {
      std::cerr << "mysql-monitor: warning: " << warning << "\n";
    }
    std::cout << "configuration OK\n";
    return kExitOk;
  }
  // Before any thread starts, so only the code that waits for them receives SIGINT/SIGTERM (and
  // the daemon's SIGHUP, which it logs and survives).
  blockStopSignals(command_line->command == Command::Run);
  setUpLogging(config->monitor.log_level, config->monitor.log_format);
  for (const std::string& warning : config->warnings) {
    spdlog::warn("{}", warning);
  }
  switch (command_line->command) {
    case Command::Check:
      mysql::mysqlLibraryInit();
      return runCheck(*config, connectionOptions(config->mysql), amqpOptions(*config));
    case Command::Status: mysql::mysqlLibraryInit(); return runStatus(*config);
    case Command::ImportState: mysql::mysqlLibraryInit(); return runImportState(*config);
    case Command::Tail: return runTail(*config, *command_line);
    case Command::Snapshot: return runSnapshotCommand(*config, *command_line);
    case Command::Run:
    case Command::Decode: break;
  }
  return runDaemon(*config);
}

}  // namespace
}  // namespace mm::app

// The main thread catches what a library may still throw (std::bad_alloc, a format error), so the
// process ends with a message and exit 1 rather than std::terminate's abort.
int main(int argc, char** argv) {
  try {
    return mm::app::runCommand(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "mysql-monitor: internal error: " << e.what() << "\n";
    return mm::app::kExitFailure;
  }
}
