// Checkpoint: the point in the binlog before which every change has been confirmed by the broker.
//
// It names a transaction start, never the middle of one (the TABLE_MAP events before a row must be
// read again), plus how many rows of that transaction are already confirmed. Resuming means: dump
// from (file, position) and drop the first rows_done rows. See docs/design.md §3.
// `gtid_set` is the server's GTID set executed before that transaction, when known (text form of
// binlog::GtidState): with it a resume can go by GTID instead, also on another server.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "binlog/position.h"

namespace mm::checkpoint {

// Where a snapshot stands (docs/design.md §13): which tables it still has to read and how far the
// first of them is confirmed. Saved with the checkpoint, so a restart continues at the next chunk.
struct SnapshotProgress {
  std::string id;  // the snapshot's id: its messages and their message ids carry it
  struct Table {
    std::string database;
    std::string table;
    bool operator==(const Table&) const = default;
  };
  // Tables not yet wholly confirmed, in order; the first is the one being read. Empty: the
  // snapshot is over (a checkpoint carrying it clears the saved progress).
  std::vector<Table> tables;
  // The first table's last confirmed key (mysql::SnapshotChunk::last_key); "" = none yet.
  std::string after_key;
  uint64_t rows_done = 0;      // rows of the first table confirmed
  bool table_started = false;  // its snapshot_start message is confirmed
  // The keys (each a message's "keys" object) of rows an update moved into the part of the first
  // table already published, from a part not yet published: read again before the next chunk
  // (docs/design.md §13.2).
  std::vector<std::string> refresh_keys = {};
  // The first table's key up to which rows are published (pipeline/snapshot_merge.h's text form);
  // "" = none yet.
  std::string boundary = {};
  bool operator==(const SnapshotProgress&) const = default;
};

// A place in the binlog (binlog::Position: file basename and offset, the one coordinate type),
// which is the start of the first transaction not wholly confirmed, and how far into it.
struct Checkpoint : binlog::Position {
  uint64_t rows_done = 0;     // rows of that transaction already confirmed
  std::string gtid_set = {};  // "" when unknown (no GTIDs, or not learnt yet)
  // The snapshot in progress as of this point, when one is; null otherwise. Only the marks the
  // publisher offers carry it (pipeline/in_flight_window.h): the stream's own checkpoints do not.
  std::shared_ptr<const SnapshotProgress> snapshot = {};

  // A start by GTID set alone (no position known yet) is not empty.
  bool empty() const { return file.empty() && gtid_set.empty(); }
  bool operator==(const Checkpoint& other) const {
    return static_cast<const binlog::Position&>(*this) == other && rows_done == other.rows_done &&
           gtid_set == other.gtid_set &&
           (snapshot == other.snapshot ||
            (snapshot != nullptr && other.snapshot != nullptr && *snapshot == *other.snapshot));
  }
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
