#include "binlog/compressed_event.h"

#include <fmt/format.h>
#include <zlib.h>

#include "binlog/event_type.h"
#include "common/byte_reader.h"

namespace mm::binlog {
namespace {

// zlib cannot expand input by more than about 1032:1 (deflate's maximum ratio); a larger declared
// length is damage, and refusing it keeps a corrupt header from allocating gigabytes.
constexpr uint64_t kMaxZlibRatio = 1032;

}  // namespace

uint8_t mariadbUncompressedType(uint8_t type) {
  switch (type) {
    case QUERY_COMPRESSED_EVENT: return QUERY_EVENT;
    case WRITE_ROWS_COMPRESSED_EVENT_V1: return WRITE_ROWS_EVENT_V1;
    case UPDATE_ROWS_COMPRESSED_EVENT_V1: return UPDATE_ROWS_EVENT_V1;
    case DELETE_ROWS_COMPRESSED_EVENT_V1: return DELETE_ROWS_EVENT_V1;
    case WRITE_ROWS_COMPRESSED_EVENT: return WRITE_ROWS_EVENT;
    case UPDATE_ROWS_COMPRESSED_EVENT: return UPDATE_ROWS_EVENT;
    case DELETE_ROWS_COMPRESSED_EVENT: return DELETE_ROWS_EVENT;
    default: return 0;
  }
}

Status decompressMariadbField(std::span<const uint8_t> field, std::vector<uint8_t>& out) {
  ByteReader r(field);
  const uint8_t header = r.u8();
  if (!r.ok()) {
    return Status::corruption("compressed field is empty");
  }
  // Bit 7 set, algorithm (bits 4-6) 0 = zlib, bit 3 unused, bits 0-2 the length's byte count.
  const size_t lenlen = header & 0x07;
  if ((header & 0xF8) != 0x80 || lenlen < 1 || lenlen > 4) {
    return Status::corruption(
        fmt::format("compressed field header {:#04x} (expected 0x81-0x84: zlib)", header));
  }
  const uint64_t length = r.uintBe(lenlen);
  if (!r.ok()) {
    return Status::corruption("compressed field length truncated");
  }
  const auto compressed = r.rest();
  // MariaDB treats an uncompressed length of 0 as a bad event.
  if (length == 0 || length > compressed.size() * kMaxZlibRatio) {
    return Status::corruption(fmt::format("compressed field declares {} bytes from {} compressed",
                                          length, compressed.size()));
  }
  const size_t start = out.size();
  out.resize(start + length);
  z_stream z{};
  if (inflateInit(&z) != Z_OK) {
    return Status::internal("cannot initialise zlib");
  }
  z.next_in = const_cast<Bytef*>(compressed.data());  // zlib's API is not const-correct
  z.avail_in = static_cast<uInt>(compressed.size());
  z.next_out = out.data() + start;
  z.avail_out = static_cast<uInt>(length);
  const int result = inflate(&z, Z_FINISH);
  const uLong produced = z.total_out;
  const uInt left_in = z.avail_in;
  inflateEnd(&z);
  if (result != Z_STREAM_END || produced != length || left_in != 0) {
    out.resize(start);
    return Status::corruption(fmt::format("zlib stream does not decompress to the declared {} "
                                          "bytes (zlib {}, {} produced, {} input left)",
                                          length, result, produced, left_in));
  }
  return Status::ok();
}

}  // namespace mm::binlog
