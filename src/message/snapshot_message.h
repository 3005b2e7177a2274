// The snapshot's messages (README "Messages", docs/design.md §13): a snapshot_start before the
// rows of each table, a row_snapshot per row (RowMessageBuilder::renderSnapshot, the same code
// as row_insert), a snapshot_end after them:
//   {"type":"snapshot_start","database":D,"table_name":T,"snapshot_id":I,"estimated_rows":N,
//    "timestamp":S}
//   {"type":"snapshot_end","database":D,"table_name":T,"snapshot_id":I,"rows":N,"timestamp":S}
// Their message ids are stable: the same row of the same snapshot gets the same id after any
// restart, and no row id ("FILE:POS:ROW") or control id can equal one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mm::message {

// The message "type"s, spelled once.
inline constexpr std::string_view kSnapshotStartType = "snapshot_start";
inline constexpr std::string_view kRowSnapshotType = "row_snapshot";
inline constexpr std::string_view kSnapshotEndType = "snapshot_end";

struct SnapshotTableFacts {
  std::string_view snapshot_id;
  std::string_view database;
  std::string_view table;
};

std::string snapshotStartMessage(const SnapshotTableFacts& facts, uint64_t estimated_rows,
                                 int64_t timestamp);
std::string snapshotEndMessage(const SnapshotTableFacts& facts, uint64_t rows, int64_t timestamp);

// "snapshot:ID:start:DB.TABLE" and "snapshot:ID:end:DB.TABLE".
std::string snapshotStartId(const SnapshotTableFacts& facts);
std::string snapshotEndId(const SnapshotTableFacts& facts);
// "snapshot:ID:row:DB.TABLE:KEYS" with KEYS the row's "keys" object; when that is longer than an
// AMQP message-id may be (255 bytes), its 128-bit FNV-1a hash in hex takes the place of
// DB.TABLE:KEYS ("snapshot:ID:row:#HEX").
std::string snapshotRowId(const SnapshotTableFacts& facts, std::string_view keys_json);

}  // namespace mm::message
