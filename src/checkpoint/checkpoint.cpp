#include "checkpoint/checkpoint.h"

#include <fmt/format.h>

namespace mm::checkpoint {

std::string toString(const Checkpoint& checkpoint) {
  if (checkpoint.file.empty()) {
    return fmt::format("GTID set {}", checkpoint.gtid_set);
  }
  if (checkpoint.rows_done == 0) {
    return fmt::format("{}:{}", checkpoint.file, checkpoint.offset);
  }
  return fmt::format("{}:{}+{}", checkpoint.file, checkpoint.offset, checkpoint.rows_done);
}

std::string toString(const SourceIdentity& identity) {
  if (!identity.server_uuid.empty()) {
    return fmt::format("server_uuid {}", identity.server_uuid);
  }
  return fmt::format("server_id {}", identity.server_id);
}

}  // namespace mm::checkpoint
