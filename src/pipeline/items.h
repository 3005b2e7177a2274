// What flows between the pipeline stages (shared docs/design.md §1-3).
//
// reader -> transformer: RowsItem (one rows event with its own bytes and coordinates),
//                        TransactionEnd (a commit or standalone statement: the checkpoint may
//                        move past it), SchemaChange (a DDL statement: the schema history
//                        follows it; cached schemas are stale),
//                        PositionGap (the stream jumped over changes it could not read).
// transformer -> publisher: batches of PublishItem, each a message or a checkpoint mark.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "binlog/event_decoder.h"
#include "checkpoint/checkpoint.h"
#include "message/message_route.h"

namespace mm::pipeline {

struct RowsItem {
  std::vector<uint8_t> bytes;  // the whole event; `event` views into it (heap storage: moves keep it)
  binlog::RowsEvent event;
  std::string file;
  uint64_t txn_start = 0;   // position of the transaction's first event
  uint64_t event_end = 0;   // position after this event (message ids use it)
  uint32_t binlog_timestamp = 0;
  uint64_t skip_rows = 0;   // rows of this transaction already confirmed before a restart
  std::string gtid;         // the transaction's GTID ("" when the server logs none)
  std::string txn_gtid_set; // the GTID set executed before the transaction ("" when unknown)
};

struct TransactionEnd {
  checkpoint::Checkpoint next;  // where the next transaction starts, with the GTID set before it
};

struct SchemaChange {
  std::string statement;  // the QUERY event's text
  std::string database;   // its default database
  std::string file;       // where the event starts
  uint64_t position = 0;
};

// The server no longer had `from` and the reader resumed at `to` ([mysql] on_position_lost =
// current): consumers get one gap message, and the checkpoint moves to `to` once it is confirmed.
struct PositionGap {
  checkpoint::Checkpoint from;
  checkpoint::Checkpoint to;
};

using SourceItem = std::variant<RowsItem, TransactionEnd, SchemaChange, PositionGap>;

// Where a message goes: the routing key (from the [amqp] routing_key template,
// message/message_route.h) and the headers (database, table, type). Shared by all the messages of
// one table and row type, so it is built once, not per row (unless the key hashes each row's keys).
struct Route {
  std::string routing_key;
  message::Headers headers;
};
using SharedRoute = std::shared_ptr<const Route>;

inline SharedRoute makeRoute(std::string routing_key, message::Headers headers) {
  return std::make_shared<const Route>(Route{std::move(routing_key), std::move(headers)});
}

struct PublishItem {
  std::string body;        // empty for a pure checkpoint mark
  std::string message_id;
  int64_t timestamp = 0;
  checkpoint::Checkpoint after;  // the low-water mark once this item (and all before it) is confirmed
  SharedRoute route;             // set on every message, null on a pure checkpoint mark
};

// An item that carries only a checkpoint (a transaction end, or changes folded away).
inline PublishItem checkpointMark(checkpoint::Checkpoint after) {
  PublishItem mark;
  mark.after = std::move(after);
  return mark;
}

using PublishBatch = std::vector<PublishItem>;

inline size_t itemBytes(const PublishBatch& batch) {
  size_t n = 0;
  for (const auto& item : batch) {
    // A shared route is counted once per table and type, so it is left out here.
    n += item.body.size() + item.message_id.size() + sizeof(PublishItem);
  }
  return n;
}

}  // namespace mm::pipeline
