// The common event header, FORMAT_DESCRIPTION, and the small events a row-based consumer needs:
// ROTATE, QUERY, XID, HEARTBEAT (v1, v2), MariaDB GTID, INCIDENT, ROWS_QUERY / ANNOTATE_ROWS,
// BINLOG_CHECKPOINT, XA_PREPARE. Each decoder takes a body with the checksum already stripped.
// Layouts: docs/binlog-format.md §1-2.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

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

// The binlog's CRC32 (ISO-HDLC: the polynomial and bit order of zlib's crc32) of `bytes`,
// continuing from `crc` (0 to start). libdeflate's, which uses carry-less multiplication where the
// CPU has it: zlib's table-driven crc32 was a quarter of `decode`'s time.
uint32_t crc32Of(std::span<const uint8_t> bytes, uint32_t crc = 0);

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
  std::string_view query;     // or into `decompressed`
  uint16_t error_code = 0;
  // QUERY_COMPRESSED_EVENT (MariaDB): the decompressed text `query` views; shared so copies of
  // the event keep it alive.
  std::shared_ptr<const std::vector<uint8_t>> decompressed;
};
Result<QueryEvent> decodeQuery(std::span<const uint8_t> body, uint8_t post_header_len);

Result<uint64_t> decodeXid(std::span<const uint8_t> body);

struct HeartbeatEvent {
  std::string_view file;  // view into the body
  // The source's current position in `file`: 64-bit from HEARTBEAT_LOG_EVENT_V2 and from MariaDB's
  // sub-header past 4 GiB, else the header's 32-bit log_pos.
  uint64_t position = 0;
};
// HEARTBEAT_LOG_EVENT (27). `mariadb`: the stream's FORMAT_DESCRIPTION is MariaDB's, whose
// heartbeat puts an 8-byte position before the file name when the header's log_pos (0) cannot
// hold it (§1.7, MariaDB sql_repl.cc send_heartbeat_event, HB_SUB_HEADER_LEN).
Result<HeartbeatEvent> decodeHeartbeat(std::span<const uint8_t> body, uint32_t log_pos,
                                       bool mariadb);
// HEARTBEAT_LOG_EVENT_V2 (41, MySQL 8.0): a TLV list of file name and position (§1.7).
Result<HeartbeatEvent> decodeHeartbeatV2(std::span<const uint8_t> body);

struct MariadbGtidEvent {
  uint64_t sequence = 0;
  uint32_t domain_id = 0;
  uint32_t server_id = 0;  // from the common header (EventDecoder fills it)
  uint8_t flags2 = 0;
  uint64_t commit_id = 0;  // flags2 & FL_GROUP_COMMIT_ID
  // XA (flags2 & (FL_PREPARED_XA | FL_COMPLETED_XA)): the xid; views into the body.
  int32_t xa_format_id = 0;
  std::string_view xa_gtrid;
  std::string_view xa_bqual;
  bool standalone() const { return (flags2 & 0x01) != 0; }  // no COMMIT/XID follows (DDL)
  std::string text() const;                                 // "domain-server-seq"
};
Result<MariadbGtidEvent> decodeMariadbGtid(std::span<const uint8_t> body);

struct IncidentEvent {
  uint16_t code = 0;
  std::string message;
};
Result<IncidentEvent> decodeIncident(std::span<const uint8_t> body);

// ROWS_QUERY_LOG_EVENT (29, MySQL) and ANNOTATE_ROWS_EVENT (160, MariaDB): the SQL statement
// whose row changes follow; header.type tells which.
struct RowsQueryEvent {
  std::string_view query;  // view into the body
};
Result<RowsQueryEvent> decodeRowsQuery(std::span<const uint8_t> body);
Result<RowsQueryEvent> decodeAnnotateRows(std::span<const uint8_t> body);

// BINLOG_CHECKPOINT_EVENT (161, MariaDB): the oldest file XA recovery still needs.
struct BinlogCheckpointEvent {
  std::string_view file;  // view into the body
};
Result<BinlogCheckpointEvent> decodeBinlogCheckpoint(std::span<const uint8_t> body);

// XA_PREPARE_LOG_EVENT (38, MySQL): ends the prepare half of an XA transaction; its rows are
// committed or rolled back later by a QUERY "XA COMMIT/ROLLBACK" naming the same xid (§2.8).
struct XaPrepareEvent {
  bool one_phase = false;
  int32_t format_id = 0;
  std::string_view gtrid;  // views into the body
  std::string_view bqual;
};
Result<XaPrepareEvent> decodeXaPrepare(std::span<const uint8_t> body);

}  // namespace mm::binlog
