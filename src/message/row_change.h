// RowChange: one row change as the pipeline handles it between decoding and publishing, typed
// rather than as JSON text (docs/design.md "A row change"). The transformer makes one from the
// decoded cells (RowMessageBuilder::encode), the delay buffer folds changes of the same row on it,
// routing hashes its keys, and RowMessageBuilder::render writes its message once, just before it
// is published. No stage parses a message back.
//
// Each section of the message ("keys", "values", "before_values", "after_values") is a list of the
// table's columns with each value already encoded as its JSON text, in the order the message lists
// them: values are compared and moved as text, which is exact because one encoder wrote them all.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "binlog/rows_event.h"
#include "binlog/table_map.h"

namespace mm::message {

// Columns of one table with their values as JSON text, in message order.
class EncodedColumns {
 public:
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  uint32_t column(size_t i) const { return entries_[i].column; }
  std::string_view value(size_t i) const {
    return {text_.data() + entries_[i].offset, entries_[i].size};
  }
  // The index of `column` in this list, if it is there.
  std::optional<size_t> find(uint32_t column) const;

  void append(uint32_t column, std::string_view json);
  // Sets `column` to `json`: in place when it is listed, else appended (as a JSON object would).
  void put(uint32_t column, std::string_view json);
  // Removes column `i` by moving the last one into its place (order not kept).
  void eraseMovingLast(size_t i) {
    entries_[i] = entries_.back();
    entries_.pop_back();
  }
  void clear() {
    entries_.clear();
    text_.clear();
  }

 private:
  struct Entry {
    uint32_t column;
    size_t offset;  // in text_
    size_t size;
  };
  std::vector<Entry> entries_;
  std::string text_;  // the values, back to back (a replaced value leaves its old bytes behind)
};

// Where a row change was read: the message's "binlog_timestamp", "position" and "gtid".
struct ChangeOrigin {
  int64_t binlog_timestamp = 0;
  std::string file;  // the rows event's binlog file; "" = no "position" field
  uint64_t event_end = 0;
  uint64_t row = 0;
  std::string gtid;  // "" = no "gtid" field
};

struct RowChange {
  binlog::RowsKind kind = binlog::RowsKind::Write;
  // The completed table map: database, table and column names (shared by every change of it).
  std::shared_ptr<const binlog::TableMap> table;
  EncodedColumns keys;
  EncodedColumns values;  // row_insert: every logged column; row_delete of a keyless table: its row
  EncodedColumns before;  // row_update: the changed columns as they were
  EncodedColumns after;   // row_update: the changed columns as they are
  ChangeOrigin origin;

  // Whether an update assigns a key column (the row changes identity).
  bool changesKey() const;
  // The keys after this change: `keys` with any key column the update assigns taken from `after`.
  EncodedColumns keysAfter() const;
};

// The message "type" of each kind of change, the one place these names are spelled.
std::string_view changeType(binlog::RowsKind kind);

// `columns` of `table` as a JSON object, {"name":value,...}: the same text a message holds for
// them (RowMessageBuilder writes names with the same escaping), e.g. the "keys" object that
// {keys_hash} routing hashes.
std::string columnsObject(const binlog::TableMap& table, const EncodedColumns& columns);

}  // namespace mm::message
