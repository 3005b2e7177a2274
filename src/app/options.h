// Command line of the mysql-monitor executable (CLI11). Parsing only; the commands do the work.
//   mysql-monitor [run] --config PATH      the daemon (default command)
//   mysql-monitor check --config PATH      checks the server and broker settings
//   mysql-monitor status --config PATH     saved position against the server's binlogs
//   mysql-monitor tail --config PATH       prints the messages arriving at the exchange
//   mysql-monitor snapshot --config PATH [DB.TABLE...] [--cancel]  asks the running monitor
//   mysql-monitor decode FILE... [--all-events]
// Every command that reads the configuration also takes --set section.key=value (repeatable) and
// --log-level.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace mm::app {

enum class Command { Run, Decode, Check, Tail, Status, Snapshot, ImportState };

struct CommandLine {
  Command command = Command::Run;
  std::string config_path;                 // --config; empty = defaults + environment only
  std::vector<std::string> overrides;      // --set section.key=value, in order
  std::optional<std::string> log_level;    // --log-level overrides [monitor] log_level
  bool check_config = false;               // --check-config: validate and exit
  std::vector<std::string> files;          // decode: binlog files (.gz accepted)
  bool all_events = false;                 // decode: also print non-row events
  std::optional<std::string> binding_key;  // tail: instead of the one derived from the exchange
  int count = 0;                           // tail: stop after this many messages (0 = when stopped)
  bool compact = false;                    // tail: bodies on one line as published
  std::vector<std::string> tables;         // snapshot: DB.TABLE names (none = every published)
  bool cancel = false;                     // snapshot: cancel the running one instead
};

// Parses argv. Cancelled after --help/--version output (exit 0); InvalidArgument for bad
// arguments (CLI11's message).
Result<CommandLine> parseCommandLine(int argc, char** argv);

}  // namespace mm::app
