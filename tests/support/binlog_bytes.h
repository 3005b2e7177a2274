// Builders for byte-literal binlog tests: little-endian appends, whole events with a common header
// and an optional CRC32, and a FORMAT_DESCRIPTION like the one a MySQL 5.7 server writes. Layouts:
// docs/binlog-format.md §1.1-1.3. Header-only so it needs no build change.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

#include "binlog/event_type.h"

namespace mm::test {

using Bytes = std::vector<uint8_t>;

inline void appendLe(Bytes& out, uint64_t value, size_t width) {
  for (size_t i = 0; i < width; ++i) {
    out.push_back(static_cast<uint8_t>(value >> (8 * i)));
  }
}

inline void appendBytes(Bytes& out, std::initializer_list<uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

inline void appendBytes(Bytes& out, std::span<const uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

inline void appendText(Bytes& out, std::string_view text) {
  for (char c : text) {
    out.push_back(static_cast<uint8_t>(c));
  }
}

inline uint32_t crc32Of(std::span<const uint8_t> bytes) {
  return static_cast<uint32_t>(
      crc32(crc32(0L, Z_NULL, 0), bytes.data(), static_cast<uInt>(bytes.size())));
}

struct EventOptions {
  uint32_t timestamp = 1700000000;
  uint32_t server_id = 1;
  uint32_t log_pos = 0;  // 0 = "no position"
  uint16_t flags = 0;
  bool checksum = true;  // append a valid CRC32
};

// A whole event: 19-byte common header, `body`, then the CRC32 when options.checksum.
inline Bytes makeEvent(uint8_t type, std::span<const uint8_t> body, EventOptions options = {}) {
  Bytes out;
  const size_t size = binlog::LOG_EVENT_HEADER_LEN + body.size() + (options.checksum ? 4 : 0);
  appendLe(out, options.timestamp, 4);
  out.push_back(type);
  appendLe(out, options.server_id, 4);
  appendLe(out, size, 4);
  appendLe(out, options.log_pos, 4);
  appendLe(out, options.flags, 2);
  appendBytes(out, body);
  if (options.checksum) {
    appendLe(out, crc32Of(out), 4);
  }
  return out;
}

// Post-header lengths of a MySQL 5.7 server (38 event types), as its FORMAT_DESCRIPTION lists them.
inline Bytes mysql57PostHeaderLengths() {
  Bytes table(38, 0);
  table[binlog::QUERY_EVENT - 1] = 13;
  table[binlog::ROTATE_EVENT - 1] = 8;
  table[binlog::FORMAT_DESCRIPTION_EVENT - 1] = 2 + 50 + 4 + 1 + 38;  // the FDE's own body length
  table[binlog::TABLE_MAP_EVENT - 1] = 8;
  for (uint8_t t = binlog::WRITE_ROWS_EVENT_V1; t <= binlog::DELETE_ROWS_EVENT_V1; ++t) {
    table[t - 1] = 8;
  }
  for (uint8_t t = binlog::WRITE_ROWS_EVENT; t <= binlog::DELETE_ROWS_EVENT; ++t) {
    table[t - 1] = 10;
  }
  table[binlog::GTID_LOG_EVENT - 1] = 42;
  table[binlog::ANONYMOUS_GTID_LOG_EVENT - 1] = 42;
  return table;
}

// The body of a FORMAT_DESCRIPTION event for `post_header_lengths`. checksum_alg < 0 builds a
// pre-5.6 body without the algorithm byte; otherwise the byte follows the table (the caller's
// makeEvent adds the CRC).
inline Bytes formatDescriptionBody(std::string_view server_version,
                                   const Bytes& post_header_lengths, int checksum_alg,
                                   uint16_t binlog_version = 4) {
  Bytes body;
  appendLe(body, binlog_version, 2);
  Bytes version(50, 0);
  std::copy(server_version.begin(), server_version.end(), version.begin());
  appendBytes(body, version);
  appendLe(body, 1700000000, 4);  // create_timestamp
  body.push_back(binlog::LOG_EVENT_HEADER_LEN);
  appendBytes(body, post_header_lengths);
  if (checksum_alg >= 0) {
    body.push_back(static_cast<uint8_t>(checksum_alg));
  }
  return body;
}

// A MySQL 5.7 FORMAT_DESCRIPTION event with binlog_checksum=CRC32 (or NONE: the FDE keeps its CRC).
inline Bytes mysql57FormatDescription(bool crc32_alg = true, EventOptions options = {}) {
  options.checksum = true;
  return makeEvent(
      binlog::FORMAT_DESCRIPTION_EVENT,
      formatDescriptionBody("5.7.44-log", mysql57PostHeaderLengths(), crc32_alg ? 1 : 0), options);
}

// Feeds decode() every prefix of `full` shorter than `limit` bytes (all of them by default) and
// expects each to fail cleanly: the "truncated twin" loop of CONTRIBUTING.md §8. decode returns
// anything with isOk().
template <typename Decode>
void expectEveryPrefixFails(std::span<const uint8_t> full, Decode decode, size_t limit = SIZE_MAX) {
  const size_t end = std::min(full.size(), limit);
  for (size_t n = 0; n < end; ++n) {
    // A copy of exactly n bytes, so reading past the prefix is a heap overflow the sanitizers see.
    const Bytes prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_FALSE(decode(std::span<const uint8_t>(prefix)).isOk())
        << "prefix of " << n << " bytes decoded";
  }
}

}  // namespace mm::test
