#include "app/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace mm::app {

void setUpLogging(config::LogLevel level) {
  auto logger = spdlog::stderr_color_mt("mysql-monitor");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
  switch (level) {
    case config::LogLevel::Debug: spdlog::set_level(spdlog::level::debug); break;
    case config::LogLevel::Info: spdlog::set_level(spdlog::level::info); break;
    case config::LogLevel::Warning: spdlog::set_level(spdlog::level::warn); break;
    case config::LogLevel::Error: spdlog::set_level(spdlog::level::err); break;
  }
}

}  // namespace mm::app
