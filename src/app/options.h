// Command line of the mysql-monitor executable (CLI11). Parsing only; the commands do the work.
//   mysql-monitor [run] --config PATH      the daemon (default command)
//   mysql-monitor decode FILE... [--all-events]
//   mysql-monitor check --config PATH      checks the server and broker settings
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace mm::app {

enum class Command { Run, Decode, Check };

struct CommandLine {
  Command command = Command::Run;
  std::string config_path;               // --config; empty = defaults + environment only
  std::optional<std::string> log_level;  // --log-level overrides [monitor] log_level
  bool check_config = false;             // --check-config: validate and exit
  std::vector<std::string> files;        // decode: binlog files (.gz accepted)
  bool all_events = false;               // decode: also print non-row events
};

// Parses argv. Cancelled after --help/--version output (exit 0); InvalidArgument for bad
// arguments (CLI11's message).
Result<CommandLine> parseCommandLine(int argc, char** argv);

}  // namespace mm::app
