// Command line of the mysql-monitor executable (CLI11). Parsing only; run.h does the work.
#pragma once

#include <optional>
#include <string>

#include "common/status.h"

namespace mm::app {

struct CommandLine {
  std::string config_path;               // --config; empty = defaults + environment only
  std::optional<std::string> log_level;  // --log-level overrides [monitor] log_level
  bool check_config = false;             // --check-config: validate, print, exit
};

// Parses argv. Returns nullopt-like Status with code Cancelled after --help/--version output (exit 0),
// InvalidArgument for bad arguments (the message is CLI11's).
Result<CommandLine> parseCommandLine(int argc, char** argv);

}  // namespace mm::app
