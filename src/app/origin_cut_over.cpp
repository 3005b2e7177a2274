#include "app/origin_cut_over.h"

#include <fmt/format.h>

#include "checkpoint/origin_state.h"
#include "mysql/transaction_start.h"

namespace mm::app {

Result<std::optional<OriginCutOver>> originCutOver(const config::Config& config,
                                                   mysql::Connection& connection) {
  const std::string& path = config.monitor.origin_state_file;
  if (path.empty()) {
    return std::optional<OriginCutOver>{};
  }
  auto origin = checkpoint::loadOriginState(path);
  if (!origin.isOk()) {
    return origin.status();
  }
  if (!*origin) {
    return std::optional<OriginCutOver>{};
  }
  auto start = mysql::transactionStartOf(connection, **origin);
  if (!start.isOk()) {
    return start.status().withContext(fmt::format(
        "continuing after the Python monitor's state file {} ({}:{}); if that binlog is gone, "
        "move the file away to start at [mysql] start_position instead",
        path, (*origin)->file, (*origin)->offset));
  }
  return std::optional<OriginCutOver>{
      OriginCutOver{**origin, checkpoint::Checkpoint{{(*origin)->file, *start}, 0, ""}}};
}

}  // namespace mm::app
