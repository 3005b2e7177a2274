// Global transaction id events. MySQL: GTID_LOG_EVENT / ANONYMOUS_GTID_LOG_EVENT (33, 34),
// GTID_TAGGED_LOG_EVENT (42, MySQL's "serialization" encoding) and PREVIOUS_GTIDS_LOG_EVENT (35,
// classic and tagged GTID sets). MariaDB: GTID_LIST_EVENT (163). The MariaDB GTID_EVENT (162)
// lives in events.h with the other small events. Each decoder takes a body with the checksum
// stripped. Layouts: docs/binlog-format.md §2.6-2.7; GTID_TAGGED from MySQL
// libs/mysql/serialization (readme.md, variable_length_integers.h) and Gtid_event::define_fields
// in libs/mysql/binlog/event/control_events.h.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"

namespace mm::binlog {

using Uuid = std::array<uint8_t, 16>;

// "3e11fa47-71ca-11e1-9e33-c80aa9429562": the server UUID in its usual text form.
std::string uuidText(const Uuid& uuid);

// GTID_LOG_EVENT, ANONYMOUS_GTID_LOG_EVENT and GTID_TAGGED_LOG_EVENT: the event that opens a
// MySQL transaction. Fields a server version did not write keep their defaults (the optional
// tails are found by the remaining length, §2.6).
struct MysqlGtidEvent {
  bool anonymous = false;  // ANONYMOUS_GTID_LOG_EVENT (gtid_mode OFF): no GTID, GNO 0
  uint8_t flags = 0;       // bit 0: the transaction may contain statement-based events
  Uuid sid{};
  std::string tag;  // GTID_TAGGED only ("UUID:tag:GNO"); empty otherwise
  int64_t gno = 0;
  bool has_logical_clock = false;  // 5.7.6+: last_committed and sequence_number are set
  int64_t last_committed = 0;
  int64_t sequence_number = 0;
  uint64_t immediate_commit_timestamp = 0;  // µs since epoch; 0 before 8.0.1
  uint64_t original_commit_timestamp = 0;   // equals the immediate one unless replicated
  uint64_t transaction_length = 0;          // whole transaction incl. this event; 0 before 8.0.2
  uint32_t immediate_server_version = 0;    // e.g. 80026; 0 before 8.0.14
  uint32_t original_server_version = 0;
  uint64_t commit_group_ticket = 0;  // 8.0.27+; 0 = unset

  // "UUID:GNO", or "UUID:tag:GNO" for a tagged GTID; empty for an anonymous transaction.
  std::string text() const;
};

Result<MysqlGtidEvent> decodeMysqlGtid(std::span<const uint8_t> body, bool anonymous);

// GTID_TAGGED_LOG_EVENT. Unknown non-ignorable fields (a newer server) are Unsupported.
Result<MysqlGtidEvent> decodeMysqlTaggedGtid(std::span<const uint8_t> body);

// One UUID (and tag) of a GTID set with its GNO intervals, [start, end) as encoded.
struct GtidSetEntry {
  Uuid sid{};
  std::string tag;
  std::vector<std::pair<int64_t, int64_t>> intervals;
};

// PREVIOUS_GTIDS_LOG_EVENT: the GTIDs of all earlier binlog files.
struct PreviousGtidsEvent {
  std::vector<GtidSetEntry> sids;
  // MySQL's text form: "uuid:1-5:7,uuid2:tag:1-3" (one entry per UUID and tag).
  std::string text() const;
};

Result<PreviousGtidsEvent> decodePreviousGtids(std::span<const uint8_t> body);

struct MariadbGtid {
  uint32_t domain_id = 0;
  uint32_t server_id = 0;
  uint64_t sequence = 0;
  std::string text() const;  // "domain-server-seq"
  void appendText(std::string& out) const;
};

// GTID_LIST_EVENT: the last GTID of every domain in earlier files (or a fake one at GTID connect).
struct MariadbGtidListEvent {
  uint8_t flags = 0;  // high 4 bits of the count word
  std::vector<MariadbGtid> gtids;
};

Result<MariadbGtidListEvent> decodeMariadbGtidList(std::span<const uint8_t> body);

}  // namespace mm::binlog
