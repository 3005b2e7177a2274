// SnapshotMerge: the transformer's part of the snapshot (docs/design.md §13). It puts the snapshot
// worker's items (pipeline/snapshot_stage.h) into the stream of messages:
//   - TableStart / TableEnd / Finished become snapshot_start / snapshot_end messages / a mark,
//   - ChunkOpen starts recording the changes the stream makes to the chunk's table,
//   - ChunkRows is corrected with those changes (ChunkCorrection, pipeline/snapshot_chunk.h) and
//     more as they come, and published as row_snapshot messages once the stream passed the
//     chunk's high watermark; the worker then hears the verdict (ChunkFeedback).
// Everything is published between two transactions, never inside one, so a chunk is the table as
// at one point of the stream: every change before that point is published before it, every
// change after it follows it.
//
// A DDL naming the table of the open chunk discards the chunk (verdict Restart: the worker reads
// it again with the table's new definition); a position gap discards it too (verdict Reread: the
// changes in the gap are lost to the correction).
//
// Checkpoints: each item carries the stream's mark as it stands (so the low-water mark does not
// move) with the snapshot progress that holds once the item is confirmed; the rows of a chunk but
// its last carry none (pipeline/in_flight_window.h keeps the last progress it passed).
// Not thread-safe: the transformer's thread only.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/function_ref.h"
#include "common/status.h"
#include "message/message_route.h"
#include "message/row_change.h"
#include "message/rows_formatter.h"
#include "metrics/stats.h"
#include "pipeline/items.h"
#include "pipeline/snapshot_chunk.h"
#include "pipeline/snapshot_stage.h"

namespace mm::pipeline {

class SnapshotMerge {
 public:
  // What the merge publishes, in order; `row` is the snapshot row an item carries (null for the
  // table messages and marks), which no later change of that row may overtake (the delay buffer).
  using Output = FunctionRef<void(PublishItem&&, const message::RowChange* row)>;

  // `feedback` may be null (no snapshot worker).
  SnapshotMerge(message::RowsFormatter& formatter, const message::RoutingKeyTemplate& routing,
                ChunkFeedback* feedback)
      : formatter_(formatter), routing_(routing), feedback_(feedback) {}

  // The mark the stream starts from (the pipeline's start checkpoint, without its progress), and
  // the progress saved with it: a snapshot a restart continues is watched from the first change
  // the stream replays, before the worker's first item.
  void start(SharedCheckpoint mark, std::shared_ptr<const checkpoint::SnapshotProgress> progress);
  // A snapshot item from the worker; `now` the publish time (Unix s).
  Status handle(SnapshotItem& item, int64_t now, Output out);
  // A rows event begins (or continues) a transaction: nothing is published until it ends.
  void rowsArrived(uint32_t binlog_timestamp) {
    between_transactions_ = false;
    binlog_timestamp_ = binlog_timestamp;
  }
  // Whether changes of `table` are being recorded (its snapshot runs).
  bool watching(const binlog::TableMap& table) const {
    return table_.has_value() && table.table == table_->table && table.database == table_->database;
  }
  // A change of the watched table, in stream order.
  void record(const message::RowChange& change);
  // The stream is between transactions at `next` (a TransactionEnd, a gap's end): publishes what
  // waited for it.
  Status passed(const SharedCheckpoint& next, int64_t now, Output out);
  void schemaChanged(const SchemaChange& change);
  void gap();
  // When a key to read again was noted since the last progress went out: that progress completed
  // with it, for the next checkpoint (a live row's, inside the transaction that noted it), else
  // null. A row's checkpoint may be saved and resumed after: the key must already travel with it.
  std::shared_ptr<const checkpoint::SnapshotProgress> takeUnsavedProgress();

 private:
  struct OpenChunk {
    uint64_t number = 0;
    binlog::TableName table;
    std::vector<message::RowChange> log;        // changes before the rows arrived
    std::shared_ptr<SnapshotEvent> rows;        // null until they arrive
    std::optional<ChunkCorrection> correction;  // made when they arrive
    message::EncodedColumns range_last;         // the keys of the SELECT's last row
    bool mismatch = false;  // a change of another definition came, or a DDL naming the table passed
  };

  Status publishDue(int64_t now, Output out);
  Status arrived(std::shared_ptr<SnapshotEvent> rows);
  void publishChunk(int64_t now, Output out);
  // A key change that moved a row from the unpublished part of the table into the published one
  // (its old row is unknown to a consumer that lacks it): its new key is read again.
  void noteKeyMove(const message::RowChange& change);
  void startTable(const SnapshotEvent& open);
  void publishTableMessage(const SnapshotEvent& event, int64_t now, Output out);
  void discard(ChunkFeedback::Outcome why);
  // Whether a DDL held in ddl_between_chunks_ may concern `table` (its name appears in the text).
  bool ddlNamed(std::string_view table) const;
  // A mark at the stream's mark carrying `progress`, completed with what only the merge knows
  // (the keys to read again, the published part's boundary).
  PublishItem markWith(const std::shared_ptr<const checkpoint::SnapshotProgress>& progress);
  std::shared_ptr<const checkpoint::SnapshotProgress> completed(
      const std::shared_ptr<const checkpoint::SnapshotProgress>& progress);
  SharedRoute routeOf(std::string_view type, const binlog::TableName& table, std::string_view keys);

  message::RowsFormatter& formatter_;
  const message::RoutingKeyTemplate& routing_;
  ChunkFeedback* feedback_;
  SharedCheckpoint mark_;  // the stream's mark where it last was between transactions
  bool between_transactions_ = true;
  uint32_t binlog_timestamp_ = 0;
  std::optional<OpenChunk> chunk_;
  // Table messages and marks waiting for the stream to be between transactions.
  std::deque<std::shared_ptr<SnapshotEvent>> waiting_;
  std::map<std::string, SharedRoute, std::less<>> routes_;  // by "type db.table"
  // The table being snapshotted (from its first ChunkOpen to its snapshot_end), its map, and the
  // part of it published so far: keys up to `published_` (all of it once `published_all_`).
  std::optional<binlog::TableName> table_;
  std::shared_ptr<const binlog::TableMap> table_map_;
  message::EncodedColumns published_;
  bool published_any_ = false;
  bool published_all_ = false;
  // Keys to read again: found since the last verdict (pending_), and all not yet published again
  // (refresh_, which every progress carries so a restart reads them too).
  std::vector<std::string> pending_;
  std::vector<std::string> refresh_;
  // The last progress attached (the worker's), and whether refresh_ grew since it was saved.
  std::shared_ptr<const checkpoint::SnapshotProgress> last_progress_;
  bool refresh_unsaved_ = false;
  // DDL statements the stream passed while no chunk was open (at most kHeldDdl; more sets
  // ddl_overflow_): the worker may have described the next chunk's table before them, so the
  // next chunk of a table they name is read again after a new describe (Restart).
  static constexpr size_t kHeldDdl = 64;
  std::vector<std::string> ddl_between_chunks_;
  bool ddl_overflow_ = false;
};

// The text form of a set of key cells in SnapshotProgress::boundary: "COLUMN=HEX,..." (no JSON:
// no stage parses JSON, docs/design.md §1.2).
std::string boundaryText(const message::EncodedColumns& keys);
std::optional<message::EncodedColumns> parseBoundary(std::string_view text);

}  // namespace mm::pipeline
