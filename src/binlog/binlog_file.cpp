#include "binlog/binlog_file.h"

#include <algorithm>

#include <fmt/format.h>

#include "binlog/event_type.h"
#include "common/byte_reader.h"

namespace mm::binlog {

Result<BinlogFile> BinlogFile::open(std::span<const uint8_t> bytes) {
  if (bytes.size() < sizeof kBinlogMagic ||
      !std::equal(std::begin(kBinlogMagic), std::end(kBinlogMagic), bytes.begin())) {
    return Status::corruption("not a binlog file: the magic bytes FE 62 69 6E are missing");
  }
  return BinlogFile(bytes);
}

Result<std::optional<std::span<const uint8_t>>> BinlogFile::next() {
  if (offset_ == bytes_.size()) {
    return std::optional<std::span<const uint8_t>>{};
  }
  const size_t left = bytes_.size() - offset_;
  if (left < LOG_EVENT_HEADER_LEN) {
    return Status::corruption(fmt::format(
        "file ends inside the event header at offset {} ({} bytes left)", offset_, left));
  }
  ByteReader header(bytes_.subspan(offset_ + 9, 4));
  const uint32_t size = header.u32le();
  if (size < LOG_EVENT_HEADER_LEN) {
    return Status::corruption(
        fmt::format("event at offset {} declares an impossible size {}", offset_, size));
  }
  if (size > left) {
    return Status::corruption(
        fmt::format("file ends inside the event at offset {}: it declares {} bytes, {} remain",
                    offset_, size, left));
  }
  auto event = bytes_.subspan(offset_, size);
  offset_ += size;
  return std::optional<std::span<const uint8_t>>{event};
}

}  // namespace mm::binlog
