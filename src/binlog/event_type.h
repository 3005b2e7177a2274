// Binlog event type codes and header flags, spelled as in the MySQL and MariaDB server sources so the
// code greps against them. Layouts: shared docs/binlog-reference.md §1-2.
#pragma once

#include <cstdint>
#include <string_view>

namespace mm::binlog {

enum LogEventType : uint8_t {
  UNKNOWN_EVENT = 0,
  START_EVENT_V3 = 1,
  QUERY_EVENT = 2,
  STOP_EVENT = 3,
  ROTATE_EVENT = 4,
  INTVAR_EVENT = 5,
  RAND_EVENT = 13,
  USER_VAR_EVENT = 14,
  FORMAT_DESCRIPTION_EVENT = 15,
  XID_EVENT = 16,
  TABLE_MAP_EVENT = 19,
  PRE_GA_WRITE_ROWS_EVENT = 20,
  PRE_GA_UPDATE_ROWS_EVENT = 21,
  PRE_GA_DELETE_ROWS_EVENT = 22,
  WRITE_ROWS_EVENT_V1 = 23,
  UPDATE_ROWS_EVENT_V1 = 24,
  DELETE_ROWS_EVENT_V1 = 25,
  INCIDENT_EVENT = 26,
  HEARTBEAT_LOG_EVENT = 27,
  IGNORABLE_LOG_EVENT = 28,
  ROWS_QUERY_LOG_EVENT = 29,
  WRITE_ROWS_EVENT = 30,
  UPDATE_ROWS_EVENT = 31,
  DELETE_ROWS_EVENT = 32,
  GTID_LOG_EVENT = 33,
  ANONYMOUS_GTID_LOG_EVENT = 34,
  PREVIOUS_GTIDS_LOG_EVENT = 35,
  TRANSACTION_CONTEXT_EVENT = 36,
  VIEW_CHANGE_EVENT = 37,
  XA_PREPARE_LOG_EVENT = 38,
  PARTIAL_UPDATE_ROWS_EVENT = 39,
  TRANSACTION_PAYLOAD_EVENT = 40,
  HEARTBEAT_LOG_EVENT_V2 = 41,
  GTID_TAGGED_LOG_EVENT = 42,
  // MariaDB
  ANNOTATE_ROWS_EVENT = 160,
  BINLOG_CHECKPOINT_EVENT = 161,
  GTID_EVENT = 162,
  GTID_LIST_EVENT = 163,
  START_ENCRYPTION_EVENT = 164,
  QUERY_COMPRESSED_EVENT = 165,
  WRITE_ROWS_COMPRESSED_EVENT_V1 = 166,
  UPDATE_ROWS_COMPRESSED_EVENT_V1 = 167,
  DELETE_ROWS_COMPRESSED_EVENT_V1 = 168,
  WRITE_ROWS_COMPRESSED_EVENT = 169,
  UPDATE_ROWS_COMPRESSED_EVENT = 170,
  DELETE_ROWS_COMPRESSED_EVENT = 171,
};

// Common-header flags (binlog-reference §1.1).
inline constexpr uint16_t LOG_EVENT_BINLOG_IN_USE_F = 0x0001;
inline constexpr uint16_t LOG_EVENT_ARTIFICIAL_F = 0x0020;
inline constexpr uint16_t LOG_EVENT_IGNORABLE_F = 0x0080;

inline constexpr size_t LOG_EVENT_HEADER_LEN = 19;
inline constexpr size_t BINLOG_CHECKSUM_LEN = 4;

// "WRITE_ROWS_EVENT" etc. for messages; "type N" for codes we have no name for.
std::string_view eventTypeName(uint8_t type);

}  // namespace mm::binlog
