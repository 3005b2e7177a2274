// Checkpoint: the point in the binlog before which every change has been confirmed by the broker.
//
// It names a transaction start, never the middle of one (the TABLE_MAP events before a row must be
// read again), plus how many rows of that transaction are already confirmed. Resuming means: dump
// from (file, position) and drop the first rows_done rows. See docs/design.md §3.
// `gtid_set` is the server's GTID set executed before that transaction, when known (text form of
// binlog::GtidState): with it a resume can go by GTID instead, also on another server.
#pragma once

#include <cstdint>
#include <string>

#include "binlog/position.h"

namespace mm::checkpoint {

// A place in the binlog (binlog::Position: file basename and offset, the one coordinate type),
// which is the start of the first transaction not wholly confirmed, and how far into it.
struct Checkpoint : binlog::Position {
  uint64_t rows_done = 0;     // rows of that transaction already confirmed
  std::string gtid_set = {};  // "" when unknown (no GTIDs, or not learnt yet)

  // A start by GTID set alone (no position known yet) is not empty.
  bool empty() const { return file.empty() && gtid_set.empty(); }
  bool operator==(const Checkpoint&) const = default;
};

std::string toString(const Checkpoint& checkpoint);  // "mysql-bin.000042:1234+3"

// The server a checkpoint's file:position belongs to. Positions mean nothing on another server, so
// a resume by position checks it. MySQL names itself by server_uuid; MariaDB has no server_uuid and
// is named by server_id. Both empty: not recorded (state files written before it was).
struct SourceIdentity {
  std::string server_uuid;  // MySQL
  uint32_t server_id = 0;   // MariaDB, when server_uuid is empty

  bool empty() const { return server_uuid.empty() && server_id == 0; }
  bool operator==(const SourceIdentity&) const = default;
};

std::string toString(
    const SourceIdentity& identity);  // "server_uuid 3e11fa47-..." or "server_id 1"

}  // namespace mm::checkpoint
