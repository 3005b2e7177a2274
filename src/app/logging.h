// Logging set-up: spdlog to stderr, one line per event, level and format from the configuration.
// Text lines read "2026-11-25T10:00:00.123 info  message"; JSON lines are one object per line,
// {"time":"2026-11-25T10:00:00.123Z","level":"info","logger":"mysql-monitor","message":"..."},
// for log shippers. Messages never carry secrets: callers log user names, hosts and files, never
// a password or a password file's content.
#pragma once

#include <memory>

#include <spdlog/formatter.h>

#include "config/config.h"

namespace mm::app {

void setUpLogging(config::LogLevel level, config::LogFormat format);

// The JSON lines formatter (time in UTC with milliseconds; strings escaped per RFC 8259, bytes that
// are not UTF-8 replaced by U+FFFD so every line parses).
std::unique_ptr<spdlog::formatter> jsonLinesFormatter();

}  // namespace mm::app
