// BinlogFile: splits the bytes of a binlog file into events (magic, then events back to back, each
// as long as its header's event_size). Pure: the caller reads the file. Errors say where the file
// stops making sense, so everything before the damage can still be used.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "common/status.h"

namespace mm::binlog {

inline constexpr uint8_t kBinlogMagic[4] = {0xFE, 'b', 'i', 'n'};

class BinlogFile {
 public:
  // Corruption when `bytes` does not start with the binlog magic.
  static Result<BinlogFile> open(std::span<const uint8_t> bytes);

  // The next whole event, nullopt at a clean end of file, Corruption naming the offset when the
  // file ends inside an event or a header's size is impossible.
  Result<std::optional<std::span<const uint8_t>>> next();

  // Offset of the next event in the file.
  uint64_t offset() const { return offset_; }

 private:
  explicit BinlogFile(std::span<const uint8_t> bytes)
      : bytes_(bytes), offset_(sizeof kBinlogMagic) {}

  std::span<const uint8_t> bytes_;
  uint64_t offset_;
};

}  // namespace mm::binlog
