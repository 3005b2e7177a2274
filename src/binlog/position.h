// A place in the source's binlog: file basename and byte offset. Offsets are 64-bit even though the
// header's log_pos is 32-bit (it wraps past 4 GiB, binlog-reference §1.8).
#pragma once

#include <cstdint>
#include <string>

namespace mm::binlog {

struct Position {
  std::string file;
  uint64_t offset = 0;
  bool operator==(const Position&) const = default;
};

}  // namespace mm::binlog
