// TransformerStage (thread 2): turns rows events into JSON messages with stable ids and the
// checkpoint each message moves the low-water mark to.
//
// Column names, key, signedness and ENUM/SET members come from the TABLE_MAP's optional metadata;
// when it lacks them the schema history fills the gap with the table as it was at the row's binlog
// point (it follows every SchemaChange in order; completed tables are cached until the next one).
// The history's table must match the TABLE_MAP (column count and types): on a mismatch the table
// is read again from information_schema with a warning naming it, and if that does not match either
// the stage stops with an error rather than publish values under wrong names.
// message_id = "FILE:EVENT_END:ROW_INDEX" (docs/design.md §2), identical after any restart.
//
// Output: without a delay buffer each row's message is written at once from the decoded cells;
// with one, each row goes into the buffer as a typed message::RowChange, and its message is
// written when the buffer releases it (with the release time as its "timestamp"). Either way
// one RowMessageBuilder writes the JSON, once, and nothing reads it back.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <unordered_map>

#include "binlog/table_schema.h"
#include "common/clock.h"
#include "common/status.h"
#include "message/message_route.h"
#include "message/rows_formatter.h"
#include "metrics/stats.h"
#include "pipeline/bounded_queue.h"
#include "pipeline/delay_buffer.h"
#include "pipeline/items.h"
#include "pipeline/snapshot_merge.h"
#include "schema/schema_history.h"

namespace mm::pipeline {

class TransformerStage {
  using SharedTableMap = std::shared_ptr<const binlog::TableMap>;

 public:
  // All references must outlive the stage; `history` may be null (then tables must log FULL
  // metadata, or the stage fails naming the table); `delay` may be null (no delay buffer).
  // `routing` gives each row message its routing key and headers. `stats` counts the rows read
  // and the delay buffer's depth.
  TransformerStage(BoundedQueue<SourceBatch>& in, BoundedQueue<PublishBatch>& out,
                   schema::SchemaHistory* history, DelayBuffer* delay, const Clock& clock,
                   const message::RoutingKeyTemplate& routing, metrics::Stats& stats)
      : in_(in), out_(out), history_(history), delay_(delay), clock_(clock), routing_(routing),
        metrics_(stats) {}

  // Runs until `in` is closed and drained (ok) or `stop` is requested; closes `out` on return.
  // A clean end releases everything the delay buffer holds. Corruption when the transaction a
  // restart resumed inside holds fewer rows than the checkpoint's rows_done
  // (TransactionEnd::resumed): the checkpoint does not describe this binlog.
  Status run(std::stop_token stop);

  // Which contract the messages follow; in origin mode message ids count rows from 1
  // (message/message_format.h). Call before run().
  void setMessageFormat(message::MessageFormat format) {
    formatter_.setFormat(format);
    first_row_number_ = message::firstRowNumber(format);
  }

  // The state the start checkpoint came from (StateStore::describe(): "state file PATH"), named
  // in that error. Call before run().
  void setStatePath(std::string path) { state_path_ = std::move(path); }
  // The snapshot worker's items come with the input (pipeline/snapshot_merge.h); it hears what
  // became of each chunk through `feedback`, and `start` is the checkpoint the stream starts
  // from. Call before run().
  void attachSnapshot(ChunkFeedback& feedback, SharedCheckpoint start,
                      std::shared_ptr<const checkpoint::SnapshotProgress> progress = nullptr) {
    snapshot_.emplace(formatter_, routing_, &feedback);
    snapshot_->start(std::move(start), std::move(progress));
  }

 private:
  enum class Flow { Continue, Stopped };
  // Takes what the input holds (waiting for it, or for the delay buffer's next release); true
  // once the input is closed and drained.
  bool take(std::vector<SourceBatch>& taken, std::stop_token stop);
  // Turns the taken items into the batch (sent whenever full, without a delay buffer).
  Result<Flow> process(std::vector<SourceBatch>& taken, std::stop_token stop);
  // Moves what the delay buffer has due (everything, once the input is done) into the batch.
  void releaseDelayed(bool input_done);
  // Hands the batch on; Stopped when the stop came first.
  Flow send(std::stop_token stop);
  // Where every item goes: the batch, or the delay buffer.
  void output(PublishItem item);
  // What the snapshot merge publishes: a snapshot row (`row`) goes in line in the delay buffer and
  // ends folding into its row's slot (docs/design.md §13).
  void outputFromSnapshot(PublishItem&& item, const message::RowChange* row);
  Status handle(SourceItem& item);
  Status transform(RowsItem& item);
  // The item that will carry the message of the transaction's next row of `item` (with the
  // checkpoint it moves to); nullopt when that row was confirmed before the last restart.
  std::optional<PublishItem> nextRowItem(const RowsItem& item);
  Status transformNow(RowsItem& item, const SharedTableMap& map, const message::RowOrigin& origin);
  Status transformDelayed(RowsItem& item, const SharedTableMap& map,
                          const message::RowOrigin& origin);
  // Sets `item`'s message; a large body is moved out of the builder, not copied.
  void setMessage(PublishItem& item, std::string_view id, std::string_view body);
  // The table `source` describes, completed from the schema history where the binlog lacks names,
  // keys or types (binlog::needsSchema). The decoder hands out the same `source` object while a
  // table's TABLE_MAP stays byte-identical, so the answer for the last one is kept until a DDL.
  Result<SharedTableMap> completeTable(const SharedTableMap& source, const binlog::Position& at);
  Result<SharedTableMap> completeFromSchema(const binlog::TableMap& map,
                                            const binlog::Position& at);
  void forgetCompletedTables();
  PublishItem gapItem(const PositionGap& gap) const;
  Status handleSnapshot(SnapshotItem& item);
  // The stream is between transactions at `next`: the snapshot publishes what waited for it.
  Status passedForSnapshot(const SharedCheckpoint& next);
  // Hands the changes of `item` to the snapshot when a chunk of its table is open.
  Status recordForSnapshot(const RowsItem& item, const SharedTableMap& map,
                           const message::RowOrigin& origin);
  // Corruption when the transaction `resumed` names held fewer rows than its rows_done.
  Status checkResumedRows(const checkpoint::Checkpoint& resumed) const;
  // The route of a row message of `map` and `kind` (`keys`, the message's "keys" object, only
  // matters to a {keys_hash} key).
  SharedRoute routeOf(const binlog::TableMap& map, binlog::RowsKind kind, std::string_view keys);

  BoundedQueue<SourceBatch>& in_;
  BoundedQueue<PublishBatch>& out_;
  schema::SchemaHistory* history_;
  DelayBuffer* delay_;
  const Clock& clock_;
  const message::RoutingKeyTemplate& routing_;
  message::RowsFormatter formatter_;
  metrics::Stats& metrics_;
  PublishBatch batch_;          // what the next send() hands on
  Clock::MonotonicTime now_{};  // monotonic time, read once per batch taken from the input
  // Tables completed from the schema history, by "db.table"; dropped at every DDL.
  std::map<std::string, SharedTableMap, std::less<>> completed_;
  // The last rows event's table: the decoder's map (held, so its address is not reused), the
  // completed one and its routes by row kind. Most events are of the table before them.
  struct LastTable {
    SharedTableMap source;
    SharedTableMap completed;
    std::array<SharedRoute, 3> routes;
  };
  LastTable last_table_;
  // Routes of row messages by "db.table" and row kind (binlog::RowsKind), built once each.
  std::unordered_map<std::string, std::array<SharedRoute, 3>> routes_;
  std::string route_lookup_;  // reused to build the key of routes_
  // Tables without any key, by "db.table", warned about once each.
  std::set<std::string, std::less<>> keyless_warned_;
  // Row counting inside the current transaction (for checkpoints and restart skips).
  std::string txn_file_;
  uint64_t txn_start_ = 0;
  uint64_t rows_in_txn_ = 0;
  // The last rows event's coordinate and the index its next row would get (payload events share
  // it).
  std::string last_event_file_;
  uint64_t last_event_end_ = 0;
  uint64_t next_row_at_position_ = 0;
  std::string message_id_;         // reused to write each row's message id
  uint64_t first_row_number_ = 0;  // what the first row of a rows event is numbered in its id
  std::string state_path_;
  int64_t publish_time_ = 0;               // Unix seconds, read once per batch taken from the input
  std::optional<SnapshotMerge> snapshot_;  // set when a snapshot worker runs
};

}  // namespace mm::pipeline
