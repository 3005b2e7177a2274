// A place in the source's binlog, and what the binlog's format says about places: how file names
// order (by the number the server appends), and how the header's 32-bit log_pos becomes a 64-bit
// offset (it wraps past 4 GiB, docs/binlog-format.md §1.8). Pure: no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mm::binlog {

// A file basename and a byte offset in it. Offsets are 64-bit even though log_pos is 32-bit.
struct Position {
  std::string file;
  uint64_t offset = 0;
  bool operator==(const Position&) const = default;
};

// The sequence number a binlog file name ends with: the digits after its last '.', as the server
// names its files (`mysql-bin.000042` -> 42). nullopt when there are none or they overflow 64 bits.
std::optional<uint64_t> fileSequence(std::string_view file);

// Whether `a` comes before `b` in the binlog: files by sequence number when both have one (so
// mysql-bin.999999 precedes mysql-bin.1000000), else by name; then by offset.
bool comesBefore(const Position& a, const Position& b);

// Where the next event starts, for an event that starts at `start` with this header: its log_pos
// widened to 64 bits beside `start` (log_pos wraps past 4 GiB, so an end below `start` is in the
// next 4 GiB), or start + event_size when log_pos is 0 (MariaDB 11.4+ writes 0 inside
// transactions; docs/binlog-format.md §1.8).
uint64_t nextEventOffset(uint64_t start, uint32_t event_size, uint32_t log_pos);

}  // namespace mm::binlog
