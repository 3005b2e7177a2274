// Logging set-up: spdlog to stderr, one line per event, level from the configuration.
#pragma once

#include "config/config.h"

namespace mm::app {

void setUpLogging(config::LogLevel level);

}  // namespace mm::app
