// The common event header, FORMAT_DESCRIPTION, and the small events a row-based consumer needs:
// ROTATE, QUERY, XID, HEARTBEAT, MariaDB GTID, INCIDENT. Each decoder takes a body with the
// checksum already stripped. Layouts: shared docs/binlog-reference.md §1-2.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"

namespace mm::binlog {

struct EventHeader {
  uint32_t timestamp = 0;
  uint8_t type = 0;
  uint32_t server_id = 0;
  uint32_t event_size = 0;
  uint32_t log_pos = 0;  // end of this event in the source's file; 0 = no position
  uint16_t flags = 0;
};

// Reads the 19-byte common header and checks event_size against the bytes given.
Result<EventHeader> decodeEventHeader(std::span<const uint8_t> event);

enum class ChecksumAlgorithm : uint8_t { Off = 0, Crc32 = 1, Undefined = 255 };

struct FormatDescription {
  uint16_t binlog_version = 0;
  std::string server_version;
  // post_header_len[t - 1] for event type t; 0 for types the server did not list.
  std::array<uint8_t, 256> post_header_len{};
  ChecksumAlgorithm checksum = ChecksumAlgorithm::Off;
  bool isMariaDb() const { return server_version.find("MariaDB") != std::string::npos; }
  uint8_t postHeaderLength(uint8_t type) const { return type == 0 ? 0 : post_header_len[type - 1]; }
};

// Decodes a whole FORMAT_DESCRIPTION event (header included, checksum not stripped: whether it has
// one is what this event says). Verifies the event's own CRC when present.
Result<FormatDescription> decodeFormatDescription(std::span<const uint8_t> event);

// Whether the last 4 bytes of `event` are the CRC32 of the rest. Clears BINLOG_IN_USE in a scratch
// copy for FORMAT_DESCRIPTION events, as the server does before computing it (§1.3).
bool checksumMatches(std::span<const uint8_t> event);

struct RotateEvent {
  uint64_t position = 0;
  std::string next_file;
};
Result<RotateEvent> decodeRotate(std::span<const uint8_t> body);

struct QueryEvent {
  std::string_view database;  // views into the body
  std::string_view query;
  uint16_t error_code = 0;
};
Result<QueryEvent> decodeQuery(std::span<const uint8_t> body, uint8_t post_header_len);

Result<uint64_t> decodeXid(std::span<const uint8_t> body);

struct HeartbeatEvent {
  std::string_view file;  // view into the body
};
Result<HeartbeatEvent> decodeHeartbeat(std::span<const uint8_t> body);

struct MariadbGtidEvent {
  uint64_t sequence = 0;
  uint32_t domain_id = 0;
  uint8_t flags2 = 0;
  bool standalone() const { return (flags2 & 0x01) != 0; }  // no COMMIT/XID follows (DDL)
};
Result<MariadbGtidEvent> decodeMariadbGtid(std::span<const uint8_t> body);

struct IncidentEvent {
  uint16_t code = 0;
  std::string message;
};
Result<IncidentEvent> decodeIncident(std::span<const uint8_t> body);

// What a QUERY's text means to a consumer of row events.
enum class QueryKind { Begin, Commit, Rollback, Other };
QueryKind classifyQuery(std::string_view query);

}  // namespace mm::binlog
