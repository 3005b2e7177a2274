// ChunkCorrection: turns the rows one chunk's SELECT returned into the rows the table holds at a
// later point of the stream, by applying the stream's own changes to them (docs/design.md §13).
// Pure: no threads, I/O or clock.
//
// Why it is exact. The snapshot worker registers a chunk with the transformer *before* it reads
// it, so every change the stream makes after that point reaches apply(), in stream order; the
// SELECT sees the table at some point S at or after the registration and at or before the chunk's
// high watermark H (mysql/snapshot_source.h). The transformer hands the corrected chunk on once
// the stream passed H. Replaying, in order, every change since the registration over the rows as
// at S yields the rows as at the hand-over point, because each change, replayed, sets what it
// sets: an insert writes the row, an update overlays the columns it changed (a later replayed
// change overwrites an earlier one), a delete removes the row. Changes before S replayed over a
// later state are overwritten by the later changes replayed after them.
//
// An update that changes a row's key replays as: the row leaves its old key; when the new key is
// held, the SELECT saw the state after this update (before it, the new key was free) and the
// update's columns are overlaid there; else the row taken from the old key (or, when the update
// logged every column, its after image) is stored at the new key.
//
// Range: the chunk covers the keys after `after` up to its last row's key (to the end of the table
// when the SELECT came back short). A change to a key outside the range is ignored when the keys
// compare (integer, YEAR, BIT, DECIMAL, temporal, binary string keys and text under a UTF-8 or
// ASCII `_bin` collation); when they do not (text under other collations), an insert with a whole
// row is kept (at worst the row comes twice: here and in its own chunk, both times with its
// current values). A held row an update moves to another key stays held whatever the new key: a
// consumer may not have it yet.
//
// needsReread(): a change left a row of the range unknown: an update moved a key into the range
// while neither the old nor the new key is in the chunk (an update carries only the columns it
// changed), or an insert without every column (binlog_row_image = MINIMAL) of a key not in the
// chunk; or the stream wrote a key again after an update moved away the row the SELECT found there
// (had the SELECT run after that write, the row moved was the new one and the moved row's values
// are unknown); for a keyless table, any change at all (rows without a key cannot be told apart).
// The worker then reads the chunk again.
#pragma once

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "binlog/table_map.h"
#include "message/row_change.h"

namespace mm::pipeline {

class ChunkCorrection {
 public:
  struct Range {
    message::EncodedColumns after;  // keys of the row before the chunk; empty: from the start
    message::EncodedColumns last;   // keys of its last row; ignored when to_end
    bool to_end = false;            // the SELECT came back short: the range has no upper end
    bool only_held = false;         // rows read by their keys: nothing else is in the range
  };
  // `table` is the snapshot's map (names, the chunk key as primary key); `keyless` for a table
  // read in one pass without a key.
  ChunkCorrection(std::shared_ptr<const binlog::TableMap> table, bool keyless);

  void setRange(Range range);
  // A row the SELECT returned: a Write change with every column in `values` and its key in
  // `keys` (RowMessageBuilder::encode of the row's cells).
  void addSelected(message::RowChange row);
  // A change of this table the stream made after the chunk was registered, in stream order.
  void apply(const message::RowChange& change);

  bool needsReread() const { return needs_reread_; }
  size_t size() const {
    return static_cast<size_t>(std::count_if(rows_.begin(), rows_.end(),
                                             [](const auto& r) { return r.table != nullptr; }));
  }
  // Whether the row of `keys` is held (the SELECT returned it, or the stream wrote it since).
  bool holds(const message::EncodedColumns& keys);
  // Whether `keys` may lie in the range: nullopt when the key columns do not compare.
  std::optional<bool> inRange(const message::EncodedColumns& keys) const;
  // The corrected rows (Write changes: keys and every column in values), the SELECT's order
  // first, rows inserted since after them. Leaves the correction empty.
  std::vector<message::RowChange> take();

 private:
  std::shared_ptr<const binlog::TableMap> table_;
  bool keyless_;
  Range range_;
  bool needs_reread_ = false;
  // Rows by the JSON text of their keys; a removed row leaves an empty slot (no `table`).
  std::vector<message::RowChange> rows_;
  // Per slot of rows_: the stream wrote or moved the row (false: it is where the SELECT found it).
  std::vector<bool> replayed_;
  std::unordered_map<std::string, size_t> by_key_;
  size_t indexed_ = 0;  // rows_ before this are in by_key_
  // Keys an update moved a row away from where the SELECT found it (see recreates()).
  std::unordered_set<std::string> vacated_;
  void indexRows();

  struct Held {
    message::RowChange row;
    bool replayed;
  };
  std::string keyText(const message::EncodedColumns& keys) const;
  // The row of `key` taken out (its slot emptied); nullopt when not held.
  std::optional<Held> takeRow(const std::string& key);
  void store(const std::string& key, message::RowChange row, bool replayed);
  // The stream writes `key` again: needsReread when a row the SELECT found there was moved away.
  void recreates(const std::string& key);
  bool mayBeInRange(const message::EncodedColumns& keys) const {
    return inRange(keys).value_or(true);
  }
  void applyInsert(const message::RowChange& change);
  void applyUpdate(const message::RowChange& change);
};

// Compares two sets of key cells (the key columns of `table`, in key order) as the server orders
// them: nullopt when a column does not compare (compareKeyValue). A missing column: nullopt.
std::optional<int> compareKeys(const binlog::TableMap& table, const message::EncodedColumns& a,
                               const message::EncodedColumns& b);

// Compares two key values of `column` as the server orders them: <0, 0, >0; nullopt when this
// code cannot tell (text under a collation other than the UTF-8 and ASCII `_bin` ones, floats,
// ENUM, SET, types it does not order). `a` and `b` are their JSON
// text as RowMessageBuilder encodes them.
std::optional<int> compareKeyValue(const binlog::TableMapColumn& column, std::string_view a,
                                   std::string_view b);

}  // namespace mm::pipeline
