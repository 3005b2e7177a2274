// What flows between the pipeline stages (docs/design.md §1-3).
//
// reader -> transformer: RowsItem (one rows event with its own bytes and coordinates, the
//                        transaction's shared),
//                        TransactionEnd (a commit or standalone statement: the checkpoint may
//                        move past it), SchemaChange (a DDL statement: the schema history
//                        follows it; cached schemas are stale),
//                        PositionGap (the stream jumped over changes it could not read).
// transformer -> publisher: batches of PublishItem, each a message or a checkpoint mark.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "binlog/event_decoder.h"
#include "binlog/position.h"
#include "checkpoint/checkpoint.h"
#include "message/message_route.h"
#include "message/row_oversize.h"
#include "mysql/snapshot_source.h"

namespace mm::pipeline {

// A checkpoint shared by every item of one transaction (where it starts, rows_done 0, the GTID set
// before it): one allocation per transaction instead of a copy of its strings per row.
using SharedCheckpoint = std::shared_ptr<const checkpoint::Checkpoint>;

// `shared` with `rows_done` rows of its transaction done.
inline checkpoint::Checkpoint withRowsDone(const checkpoint::Checkpoint& shared,
                                           uint64_t rows_done) {
  checkpoint::Checkpoint mark = shared;
  mark.rows_done = rows_done;
  return mark;
}

struct RowsItem {
  // Keeps the event's bytes, which `event` views into: a block the reader copies many rows events
  // into, shared by their items, so there is one allocation per block instead of one per event.
  std::shared_ptr<const uint8_t[]> storage;
  binlog::RowsEvent event;
  SharedCheckpoint txn_start;  // the transaction's file, first position and prior GTID set
  uint64_t event_end = 0;      // position after this event (message ids use it)
  uint32_t binlog_timestamp = 0;
  uint64_t skip_rows = 0;  // rows of this transaction already confirmed before a restart
  std::string gtid;        // the transaction's GTID ("" when the server logs none)
  // When set, the checkpoint this event's messages carry, as it is (rows_done included), instead
  // of (txn_start, rows done): while an XA transaction is prepared and undecided, checkpoints stay
  // at its start (pipeline/transaction_tracker.h).
  SharedCheckpoint held_mark = {};
};

struct TransactionEnd {
  SharedCheckpoint next;  // where the next transaction starts, with the GTID set before it
  // Set (rarely) when the rows just handed on were those of the transaction a restart resumed
  // inside: its start with the rows_done the restart skips. The transformer checks that the
  // transaction held that many rows; a state file that claims more would skip it silently.
  SharedCheckpoint resumed = {};
  // The transaction wrote only the monitor's own state tables (ReaderOptions::own_database): its
  // end moves no checkpoint (docs/high-availability.md), the snapshot still hears of it.
  bool own_state_only = false;
};

struct SchemaChange {
  std::string statement;  // the QUERY event's text
  std::string database;   // its default database
  binlog::Position at;    // where the event starts
};

// The server no longer had `from` and the reader resumed at `to` ([mysql] on_position_lost =
// current): consumers get one gap message, and the checkpoint moves to `to` once it is confirmed.
struct PositionGap {
  checkpoint::Checkpoint from;
  checkpoint::Checkpoint to;
};

// What the snapshot worker hands the transformer (pipeline/snapshot_stage.h, docs/design.md §13).
// It travels in the source queue, so it takes its place among the stream's items: a chunk is
// registered (ChunkOpen) before it is read, and every stream item after it is seen after it.
struct SnapshotEvent {
  enum class Kind {
    TableStart,  // publish snapshot_start (count = estimated rows)
    ChunkOpen,   // watch the table's changes from here on, for the chunk about to be read
    ChunkRows,   // the chunk's rows: correct them, publish them once the stream passed its
                 // high watermark
    TableEnd,    // publish snapshot_end (count = rows)
    Finished,    // the snapshot is over (or cancelled): its progress clears the saved one
  };
  Kind kind = Kind::TableStart;
  std::string snapshot_id;
  binlog::TableName table;
  uint64_t chunk = 0;  // ChunkOpen, ChunkRows: the chunk's number within the snapshot
  uint64_t count = 0;
  std::shared_ptr<const binlog::TableMap> map;  // ChunkRows: the table as the rows are
  bool keyless = false;                         // ChunkRows: read in one pass, without a key
  // ChunkOpen: the keys waiting to be read again (the plan's) and the saved boundary of the
  // published part (checkpoint::SnapshotProgress), which a restart hands back. ChunkRows with
  // keys_only: the rows of exactly these keys, read again (SnapshotSource::readKeys).
  std::vector<std::string> refresh_keys;
  std::string boundary;
  bool keys_only = false;
  mysql::SnapshotChunk rows;  // ChunkRows
  // The snapshot's progress once this item (and everything before it) is confirmed; null on
  // ChunkOpen.
  std::shared_ptr<const checkpoint::SnapshotProgress> progress;
};
struct SnapshotItem {
  std::shared_ptr<SnapshotEvent> event;
};

using SourceItem = std::variant<RowsItem, TransactionEnd, SchemaChange, PositionGap, SnapshotItem>;
// What the reader hands the transformer at once: the items travel inside the batch, so the queue
// moves one vector, not each item (an item is over 200 bytes, and every move and destruction of
// the variant cost more than the hand-over itself).
using SourceBatch = std::vector<SourceItem>;

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
  int64_t timestamp = 0;
  // The low-water mark once this item (and all before it) is confirmed: `checkpoint` with
  // `rows_done` rows of it done (its own rows_done is not used). Null on a message that moves
  // nothing (a heartbeat).
  SharedCheckpoint checkpoint;
  uint64_t rows_done = 0;
  SharedRoute route;  // set on every message, null on a pure checkpoint mark
  // Where the parts of a row message are (message/row_oversize.h); zero for other messages.
  message::RowMessageLayout layout;

  // The message: its id then its body, in one string (one allocation per message). A pure
  // checkpoint mark has neither. Either may view into this item's own message.
  void setMessage(std::string_view id, std::string_view body) {
    std::string payload;
    payload.reserve(id.size() + body.size());
    payload.append(id).append(body);
    payload_ = std::move(payload);
    id_size_ = id.size();
  }
  // The same from a string holding the body followed by the id (`id_size` bytes), taken as it is:
  // a large body is not copied (message::RowsFormatter::takeMessage).
  void adoptMessage(std::string&& body_then_id, size_t id_size) {
    payload_ = std::move(body_then_id);
    id_size_ = id_size | kIdAtEnd;
  }
  void setBody(std::string_view body) { setMessage(messageId(), body); }
  std::string_view messageId() const {
    const std::string_view payload(payload_);
    return (id_size_ & kIdAtEnd) != 0 ? payload.substr(payload.size() - (id_size_ & ~kIdAtEnd))
                                      : payload.substr(0, id_size_);
  }
  std::string_view body() const {
    const std::string_view payload(payload_);
    return (id_size_ & kIdAtEnd) != 0 ? payload.substr(0, payload.size() - (id_size_ & ~kIdAtEnd))
                                      : payload.substr(id_size_);
  }
  bool isMessage() const { return payload_.size() > (id_size_ & ~kIdAtEnd); }
  size_t payloadBytes() const { return payload_.size(); }

  checkpoint::Checkpoint after() const {
    return checkpoint == nullptr ? checkpoint::Checkpoint{} : withRowsDone(*checkpoint, rows_done);
  }

 private:
  static constexpr size_t kIdAtEnd = size_t{1} << 63;  // in id_size_: the id follows the body

  std::string payload_;
  size_t id_size_ = 0;
};

// An item that carries only a checkpoint (a transaction end, or changes folded away).
inline PublishItem checkpointMark(SharedCheckpoint after, uint64_t rows_done = 0) {
  PublishItem mark;
  mark.checkpoint = std::move(after);
  mark.rows_done = rows_done;
  return mark;
}
inline PublishItem checkpointMark(const checkpoint::Checkpoint& after) {
  return checkpointMark(std::make_shared<const checkpoint::Checkpoint>(after), after.rows_done);
}

using PublishBatch = std::vector<PublishItem>;

inline size_t itemBytes(const PublishBatch& batch) {
  size_t n = 0;
  for (const auto& item : batch) {
    // A shared route is counted once per table and type, so it is left out here.
    n += item.payloadBytes() + sizeof(PublishItem);
  }
  return n;
}

}  // namespace mm::pipeline
