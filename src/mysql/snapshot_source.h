// SnapshotSource: reads the rows a table holds, in key order and chunk by chunk, for the snapshot
// (docs/design.md §13). The interface the pipeline sees (pipeline/snapshot_stage.h); implemented
// over a plain SQL connection by mysql::SnapshotReader (mysql/snapshot_reader.h), and by fakes in
// tests. Grants: SELECT only; no locks, no writes.
//
// Rows come out as binlog row images: the cells of a WRITE_ROWS after image with every column
// present, laid out as docs/binlog-format.md §4 says, described by a TableMap as the server's own
// TABLE_MAP (completed from information_schema) would describe the table. The pipeline decodes and
// renders them with the same code as a row_insert, so a snapshot row's values are byte for byte
// the ones its row_insert would carry.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "binlog/position.h"
#include "binlog/rows_event.h"
#include "binlog/table_map.h"
#include "binlog/table_schema.h"
#include "common/status.h"

namespace mm::mysql {

struct SnapshotTable {
  binlog::TableName name;
  // Column types and per-type metadata as the server logs them, with names, signedness,
  // charsets, ENUM/SET members and JSON-ness filled in; has_primary_key and primary_key name the
  // chunk key (the primary key, else the first unique index over NOT NULL columns).
  std::shared_ptr<const binlog::TableMap> map;
  bool keyless = false;  // neither exists: the table is read in one pass (readChunk)
  uint64_t estimated_rows = 0;  // information_schema.TABLES.TABLE_ROWS (an estimate)
};

struct SnapshotChunk {
  // One entry per row, in key order: every column's cell (State::Null or State::Value).
  std::vector<std::vector<binlog::Cell>> rows;
  // What the cells' bytes view into; moving the chunk keeps them valid.
  std::shared_ptr<const void> storage;
  // Every row is as the table was at one point of the binlog, no earlier than where the stream
  // was when readChunk() was called and no later than this position (MariaDB: exactly this
  // position, from the consistent snapshot's binlog_snapshot_file/position; MySQL: SHOW MASTER
  // STATUS after the SELECT).
  binlog::Position high_watermark;
  // The last row's key in a one-line, printable, opaque form: readChunk(after = last_key) continues
  // after it, also in another process (the checkpoint stores it). "" when `rows` is empty.
  std::string last_key;
  bool end_of_table = false;  // fewer rows than the limit came back: nothing follows last_key
};

class SnapshotSource {
 public:
  virtual ~SnapshotSource() = default;

  // The base tables of `databases` (empty = every database but the server's own schemas).
  virtual Result<std::vector<binlog::TableName>> listTables(
      const std::vector<std::string>& databases) = 0;
  // The table's current definition. InvalidArgument naming it when it does not exist.
  virtual Result<SnapshotTable> describe(const binlog::TableName& table) = 0;
  // Up to `limit` rows whose key comes after `after` ("" = from the first row), in key order. A
  // keyless table is read whole in one pass (`after` ignored): more than `limit` rows is an
  // InvalidArgument naming the table, its row count and the fix (add a primary key, or raise
  // [snapshot] keyless_max_rows).
  virtual Result<SnapshotChunk> readChunk(const SnapshotTable& table, std::string_view after,
                                          size_t limit) = 0;
  // The rows whose key is one of `keys_json`, each a "keys" object as a message writes it
  // ({"id":5}), under the same watermark rules (end_of_table set, last_key ""): rows an update
  // moved into the part of the table already published, re-read (docs/design.md §13.2).
  virtual Result<SnapshotChunk> readKeys(const SnapshotTable& table,
                                         const std::vector<std::string>& keys_json) = 0;
};

}  // namespace mm::mysql
