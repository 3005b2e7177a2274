#include "binlog/events.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include <fmt/format.h>
#include <libdeflate.h>

#include "binlog/event_type.h"
#include "binlog/gtid_events.h"
#include "common/byte_reader.h"

namespace mm::binlog {
namespace {

constexpr size_t kServerVersionLen = 50;
constexpr size_t kFdeFixedLen = 2 + kServerVersionLen + 4 + 1;  // up to common_header_len

// The end of a body that its fields fill exactly: Corruption "EVENT: TRUNCATED" when they ran past
// it, "EVENT: N unexpected bytes after the LAST" when bytes are left after the last field.
Status checkBodyEnd(const ByteReader& r, std::string_view event, std::string_view truncated,
                    std::string_view last) {
  if (!r.ok()) {
    return Status::corruption(fmt::format("{}: {}", event, truncated));
  }
  if (!r.empty()) {
    return Status::corruption(
        fmt::format("{}: {} unexpected bytes after the {}", event, r.remaining(), last));
  }
  return Status::ok();
}

}  // namespace

Result<EventHeader> decodeEventHeader(std::span<const uint8_t> event) {
  ByteReader r(event);
  EventHeader h;
  h.timestamp = r.u32le();
  h.type = r.u8();
  h.server_id = r.u32le();
  h.event_size = r.u32le();
  h.log_pos = r.u32le();
  h.flags = r.u16le();
  if (!r.ok()) {
    return Status::corruption(fmt::format("event header truncated: {} bytes, need {}", event.size(),
                                          LOG_EVENT_HEADER_LEN));
  }
  if (h.event_size < LOG_EVENT_HEADER_LEN || h.event_size != event.size()) {
    return Status::corruption(fmt::format("{} event_size {} does not match the {} bytes received",
                                          eventTypeName(h.type), h.event_size, event.size()));
  }
  return h;
}

uint32_t crc32Of(std::span<const uint8_t> bytes, uint32_t crc) {
  return libdeflate_crc32(crc, bytes.data(), bytes.size());
}

bool checksumMatches(std::span<const uint8_t> event) {
  if (event.size() < LOG_EVENT_HEADER_LEN + BINLOG_CHECKSUM_LEN) {
    return false;
  }
  const size_t n = event.size() - BINLOG_CHECKSUM_LEN;
  uint32_t crc = 0;
  if (event[4] == FORMAT_DESCRIPTION_EVENT && (event[17] & LOG_EVENT_BINLOG_IN_USE_F) != 0) {
    // A file copied while open has BINLOG_IN_USE set; the server computed the CRC without it.
    std::array<uint8_t, LOG_EVENT_HEADER_LEN> header{};
    std::copy_n(event.begin(), LOG_EVENT_HEADER_LEN, header.begin());
    header[17] = static_cast<uint8_t>(header[17] & ~LOG_EVENT_BINLOG_IN_USE_F);
    crc = crc32Of(header);
    crc = crc32Of(event.subspan(LOG_EVENT_HEADER_LEN, n - LOG_EVENT_HEADER_LEN), crc);
  } else {
    crc = crc32Of(event.first(n));
  }
  // Read after the CRC ran over the bytes before it, which brought this cache line in: read first,
  // it was a cache miss ahead of the sequential stream.
  ByteReader tail(event.subspan(n));
  return crc == tail.u32le();
}

Result<FormatDescription> decodeFormatDescription(std::span<const uint8_t> event) {
  auto fail = [](std::string_view what) {
    return Status::corruption(fmt::format("FORMAT_DESCRIPTION_EVENT: {}", what));
  };
  if (event.size() < LOG_EVENT_HEADER_LEN + kFdeFixedLen) {
    return fail(fmt::format("{} bytes is too short", event.size()));
  }
  // Frame first: the layout is told apart by the body length alone (§1.2), and an FDE cut 5 bytes
  // short would otherwise pass for a pre-5.6 one without a checksum.
  auto header = decodeEventHeader(event);
  if (!header.isOk()) {
    return header.status();
  }
  ByteReader r(event.subspan(LOG_EVENT_HEADER_LEN));
  FormatDescription fde;
  fde.binlog_version = r.u16le();
  auto version = r.chars(kServerVersionLen);
  fde.server_version = std::string(version.substr(0, version.find('\0')));
  (void)r.u32le();  // create_timestamp
  const uint8_t common_header_len = r.u8();
  if (fde.binlog_version != 4) {
    return Status::unsupported(fmt::format(
        "binlog version {} (only version 4, MySQL 5.0+, is supported)", fde.binlog_version));
  }
  if (common_header_len != LOG_EVENT_HEADER_LEN) {
    return fail(fmt::format("common header length {} (expected 19)", common_header_len));
  }
  auto table = r.rest();
  // post_header_len[FORMAT_DESCRIPTION_EVENT - 1] is this event's own body length without the
  // checksum algorithm byte and CRC; 5 bytes more means a checksum-aware server (§1.2).
  if (table.size() < FORMAT_DESCRIPTION_EVENT) {
    return fail("post-header length table too short");
  }
  const size_t body_len = event.size() - LOG_EVENT_HEADER_LEN;
  const size_t declared = table[FORMAT_DESCRIPTION_EVENT - 1];
  size_t types = table.size();
  if (body_len == declared + 1 + BINLOG_CHECKSUM_LEN) {
    types = declared - kFdeFixedLen;
    const uint8_t alg = table[types];
    if (alg != 0 && alg != 1 && alg != 255) {
      return fail(fmt::format("unknown checksum algorithm {}", alg));
    }
    fde.checksum = static_cast<ChecksumAlgorithm>(alg);
    if (!checksumMatches(event)) {
      return fail("CRC32 mismatch");
    }
  } else if (body_len != declared) {
    return fail(
        fmt::format("body length {} matches neither {} nor {} + 5", body_len, declared, declared));
  }
  std::copy_n(table.begin(), std::min<size_t>(types, fde.post_header_len.size()),
              fde.post_header_len.begin());
  return fde;
}

Result<RotateEvent> decodeRotate(std::span<const uint8_t> body) {
  ByteReader r(body);
  RotateEvent e;
  e.position = r.u64le();
  e.next_file = std::string(r.chars(r.remaining()));
  if (!r.ok() || e.next_file.empty()) {
    return Status::corruption("ROTATE_EVENT: truncated");
  }
  return e;
}

Result<QueryEvent> decodeQuery(std::span<const uint8_t> body, uint8_t post_header_len) {
  ByteReader r(body);
  (void)r.u32le();  // thread id
  (void)r.u32le();  // exec time
  const uint8_t db_len = r.u8();
  QueryEvent e;
  e.error_code = r.u16le();
  const uint16_t status_len = post_header_len >= 13 ? r.u16le() : 0;
  if (!r.ok() || post_header_len < 11) {
    return Status::corruption("QUERY_EVENT: post-header truncated");
  }
  r.skip(post_header_len - (post_header_len >= 13 ? 13u : 11u));
  r.skip(status_len);
  e.database = r.chars(db_len);
  r.skip(1);  // NUL
  e.query = r.chars(r.remaining());
  if (!r.ok()) {
    return Status::corruption("QUERY_EVENT: truncated");
  }
  return e;
}

Result<uint64_t> decodeXid(std::span<const uint8_t> body) {
  ByteReader r(body);
  const uint64_t xid = r.u64le();
  // The body is exactly the xid; more means this is not the XID event it claims to be (a 5.2
  // development build numbered TABLE_MAP 16, fixture ver_5_1-wl2325_r.001).
  MM_RETURN_IF_ERROR(checkBodyEnd(r, "XID_EVENT", "truncated", "xid"));
  return xid;
}

Result<HeartbeatEvent> decodeHeartbeat(std::span<const uint8_t> body, uint32_t log_pos,
                                       bool mariadb) {
  ByteReader r(body);
  HeartbeatEvent e;
  e.position = log_pos;
  // MariaDB never sends a heartbeat at position 0: a zero log_pos means the 64-bit sub-header.
  if (mariadb && log_pos == 0) {
    e.position = r.u64le();
    if (!r.ok()) {
      return Status::corruption("HEARTBEAT_LOG_EVENT: MariaDB position sub-header truncated");
    }
  }
  e.file = r.chars(r.remaining());
  return e;
}

Result<HeartbeatEvent> decodeHeartbeatV2(std::span<const uint8_t> body) {
  // TLV field types (M:codecs Heartbeat_event_v2): 0 end mark, 1 file name, 2 position.
  auto fail = [](std::string_view what) {
    return Status::corruption(fmt::format("HEARTBEAT_LOG_EVENT_V2: {}", what));
  };
  ByteReader r(body);
  HeartbeatEvent e;
  bool has_file = false;
  bool has_position = false;
  for (;;) {
    const uint64_t type = r.packedInt();
    if (!r.ok()) {
      return fail("truncated before the end mark");
    }
    if (type == 0) {
      break;
    }
    const uint64_t length = r.packedInt();
    ByteReader field = r.sub(r.ok() ? length : 0);
    if (!r.ok()) {
      return fail(fmt::format("field {} truncated", type));
    }
    if (type == 1) {
      e.file = field.chars(field.remaining());
      has_file = true;
    } else if (type == 2) {
      // Like TRANSACTION_PAYLOAD's header, the value is a packed integer inside the length.
      e.position = field.packedInt();
      if (!field.ok() || !field.empty()) {
        return fail("position is not one packed integer");
      }
      has_position = true;
    }
    // Other types: fields of a newer server, stepped over by their length.
  }
  if (!has_file || !has_position) {
    return fail("file name or position missing");
  }
  MM_RETURN_IF_ERROR(checkBodyEnd(r, "HEARTBEAT_LOG_EVENT_V2", "truncated", "end mark"));
  return e;
}

std::string MariadbGtidEvent::text() const {
  return MariadbGtid{domain_id, server_id, sequence}.text();
}

Result<MariadbGtidEvent> decodeMariadbGtid(std::span<const uint8_t> body) {
  constexpr uint8_t FL_GROUP_COMMIT_ID = 0x02;
  constexpr uint8_t FL_PREPARED_XA = 0x40;
  constexpr uint8_t FL_COMPLETED_XA = 0x80;
  constexpr size_t kMaxXidPart = 64;  // MAXGTRIDSIZE, MAXBQUALSIZE
  ByteReader r(body);
  MariadbGtidEvent e;
  e.sequence = r.u64le();
  e.domain_id = r.u32le();
  e.flags2 = r.u8();
  if (!r.ok()) {
    return Status::corruption("GTID_EVENT (MariaDB): truncated");
  }
  if ((e.flags2 & FL_GROUP_COMMIT_ID) != 0) {
    e.commit_id = r.u64le();
    if (!r.ok()) {
      return Status::corruption("GTID_EVENT (MariaDB): commit id truncated");
    }
  }
  if ((e.flags2 & (FL_PREPARED_XA | FL_COMPLETED_XA)) != 0) {
    e.xa_format_id = static_cast<int32_t>(r.u32le());
    const uint8_t gtrid_len = r.u8();
    const uint8_t bqual_len = r.u8();
    if (r.ok() && (gtrid_len > kMaxXidPart || bqual_len > kMaxXidPart)) {
      return Status::corruption(fmt::format("GTID_EVENT (MariaDB): XA xid lengths {}/{} exceed 64",
                                            gtrid_len, bqual_len));
    }
    e.xa_gtrid = r.chars(gtrid_len);
    e.xa_bqual = r.chars(bqual_len);
    if (!r.ok()) {
      return Status::corruption("GTID_EVENT (MariaDB): XA xid truncated");
    }
  }
  // What follows is zero padding to the 19-byte post-header, or the "extra flags" of newer
  // servers (§2.7): neither says anything about the rows.
  return e;
}

Result<RowsQueryEvent> decodeRowsQuery(std::span<const uint8_t> body) {
  ByteReader r(body);
  r.skip(1);  // a length byte that truncates at 255; the text runs to the end (§2)
  if (!r.ok()) {
    return Status::corruption("ROWS_QUERY_LOG_EVENT: empty body");
  }
  return RowsQueryEvent{r.chars(r.remaining())};
}

Result<RowsQueryEvent> decodeAnnotateRows(std::span<const uint8_t> body) {
  ByteReader r(body);
  return RowsQueryEvent{r.chars(r.remaining())};
}

Result<BinlogCheckpointEvent> decodeBinlogCheckpoint(std::span<const uint8_t> body) {
  ByteReader r(body);
  const uint32_t length = r.u32le();
  BinlogCheckpointEvent e;
  e.file = r.chars(length);
  MM_RETURN_IF_ERROR(checkBodyEnd(r, "BINLOG_CHECKPOINT_EVENT", "truncated", "file name"));
  return e;
}

Result<XaPrepareEvent> decodeXaPrepare(std::span<const uint8_t> body) {
  constexpr uint32_t kMaxXidPart = 64;  // MAXGTRIDSIZE, MAXBQUALSIZE
  ByteReader r(body);
  XaPrepareEvent e;
  e.one_phase = r.u8() != 0;
  e.format_id = static_cast<int32_t>(r.u32le());
  const uint32_t gtrid_len = r.u32le();
  const uint32_t bqual_len = r.u32le();
  if (!r.ok()) {
    return Status::corruption("XA_PREPARE_LOG_EVENT: truncated");
  }
  if (gtrid_len > kMaxXidPart || bqual_len > kMaxXidPart) {
    return Status::corruption(
        fmt::format("XA_PREPARE_LOG_EVENT: xid lengths {}/{} exceed 64", gtrid_len, bqual_len));
  }
  e.gtrid = r.chars(gtrid_len);
  e.bqual = r.chars(bqual_len);
  MM_RETURN_IF_ERROR(checkBodyEnd(r, "XA_PREPARE_LOG_EVENT", "xid truncated", "xid"));
  return e;
}

Result<IncidentEvent> decodeIncident(std::span<const uint8_t> body) {
  ByteReader r(body);
  IncidentEvent e;
  e.code = r.u16le();
  const uint8_t len = r.u8();
  e.message = std::string(r.chars(len));
  if (!r.ok()) {
    return Status::corruption("INCIDENT_EVENT: truncated");
  }
  return e;
}

}  // namespace mm::binlog
