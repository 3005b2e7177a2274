// RowsFormatter: one rows event -> one JSON message per row, the same for the live pipeline and for
// `mysql-monitor decode`. Walks the row images (binlog::RowImageReader) and hands each message to a
// callback with the row's index: origin.row for the event's first row, then one more per row (rows
// events inside one TRANSACTION_PAYLOAD share a position, so their rows count on across events).
// Not thread-safe; reuses its buffers across calls.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "binlog/rows_event.h"
#include "binlog/table_map.h"
#include "common/function_ref.h"
#include "common/status.h"
#include "message/json_buffer.h"
#include "message/row_message_builder.h"

namespace mm::message {

class RowsFormatter {
 public:
  // Called per row; valid for the call only (the body is the formatter's reused buffer).
  using Emit = FunctionRef<Status(uint64_t row, std::string_view body)>;

  // Requires: `table` has column names (metadata, completeTableMap or withPositionalNames).
  // Errors from decoding or from `emit` stop the walk and come back with the event's table named.
  Status format(const binlog::RowsEventHeader& rows, const binlog::TableMap& table,
                RowOrigin origin, Emit emit);
  // The same for a table map shared immutably, as binlog::EventDecoder hands them out (with names
  // from the binlog's metadata): its prepared names are reused while the same map comes back.
  Status format(const binlog::RowsEventHeader& rows,
                const std::shared_ptr<const binlog::TableMap>& table, RowOrigin origin, Emit emit);

  // Called after each row's message is in the block, with the row's index.
  using RowWritten = FunctionRef<Status(uint64_t row)>;
  // The same as format() for a shared table map, but each message goes straight into `block`,
  // after what it holds, followed by a newline: JSON lines for a caller that writes its output in
  // blocks (`mysql-monitor decode`), without copying every message from a buffer of the
  // formatter's. A row that fails to decode leaves nothing of its message in the block.
  Status formatLines(const binlog::RowsEventHeader& rows,
                     const std::shared_ptr<const binlog::TableMap>& table, RowOrigin origin,
                     JsonBuffer& block, RowWritten written);

  // Called per row with its change, typed (RowMessageBuilder::encode), for a caller that holds
  // changes before their messages are written (the delay buffer); it may move from `change`.
  using EmitChange = FunctionRef<Status(RowChange& change)>;
  // The same walk as format(), but each row comes out as a RowChange of `table` with `origin`
  // (its `row` counting on from origin.row).
  Status encode(const binlog::RowsEventHeader& rows,
                const std::shared_ptr<const binlog::TableMap>& table, const ChangeOrigin& origin,
                EmitChange emit);

  // The message of a change encode() made, published at `publish_timestamp`
  // (RowMessageBuilder::render); valid until the next call.
  std::string_view render(const RowChange& change, int64_t publish_timestamp) {
    return builder_.render(change, publish_timestamp);
  }
  // The row_snapshot message of a snapshot row (RowMessageBuilder::renderSnapshot).
  std::string_view renderSnapshot(const RowChange& row, std::string_view snapshot_id,
                                  int64_t publish_timestamp) {
    return builder_.renderSnapshot(row, snapshot_id, publish_timestamp);
  }
  // One row's cells as a Write change of `table` (RowMessageBuilder::encode): the snapshot's rows.
  Status encodeRow(const std::shared_ptr<const binlog::TableMap>& table,
                   const std::vector<binlog::Cell>& cells, RowChange& change) {
    change.kind = binlog::RowsKind::Write;
    change.table = table;
    return builder_.encode(binlog::RowsKind::Write, *table, cells, cells, change);
  }
  // Which contract the messages follow (RowMessageBuilder::setFormat); native by default.
  void setFormat(MessageFormat format) { builder_.setFormat(format); }
  MessageFormat messageFormat() const { return builder_.format(); }

  // Inside format()'s Emit: the "keys" object of the row's message (RowMessageBuilder::lastKeys).
  std::string_view lastKeys() const { return builder_.lastKeys(); }
  // After format()'s Emit or render(): where the message's parts are.
  RowMessageLayout lastLayout() const { return builder_.lastLayout(); }

  // Inside format()'s Emit: the body just emitted followed by `suffix`, moved out of the
  // formatter's buffer instead of copied (RowMessageBuilder::takeMessage), for a large message.
  std::string takeMessage(std::string_view suffix) { return builder_.takeMessage(suffix); }

 private:
  template <typename OnRow>
  Status formatRows(const binlog::RowsEventHeader& rows, const binlog::TableMap& table,
                    RowOrigin origin, OnRow on_row);
  // Reads each row's image(s) into before_ (and after_ for an update) and calls on_images(row).
  template <typename OnImages>
  Status readRows(const binlog::RowsEventHeader& rows, const binlog::TableMap& table,
                  uint64_t first_row, OnImages on_images);

  RowMessageBuilder builder_;
  std::vector<binlog::Cell> before_;
  std::vector<binlog::Cell> after_;
  RowChange change_;
};

// A copy of `table` whose unnamed columns are called @1, @2, ... (as mysqlbinlog prints them), for
// offline decoding without a server to ask.
binlog::TableMap withPositionalNames(const binlog::TableMap& table);

}  // namespace mm::message
