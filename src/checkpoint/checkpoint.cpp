#include "checkpoint/checkpoint.h"

#include <fmt/format.h>

namespace mm::checkpoint {

std::string toString(const Checkpoint& checkpoint) {
  if (checkpoint.rows_done == 0) {
    return fmt::format("{}:{}", checkpoint.file, checkpoint.position);
  }
  return fmt::format("{}:{}+{}", checkpoint.file, checkpoint.position, checkpoint.rows_done);
}

}  // namespace mm::checkpoint
