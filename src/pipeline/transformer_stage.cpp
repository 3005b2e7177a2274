#include "pipeline/transformer_stage.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/digits.h"
#include "message/gap_message.h"

namespace mm::pipeline {
namespace {

bool sameShape(const binlog::TableMap& a, const binlog::TableMap& b) {
  if (a.columns.size() != b.columns.size()) {
    return false;
  }
  for (size_t i = 0; i < a.columns.size(); ++i) {
    if (a.columns[i].type != b.columns[i].type || a.columns[i].metadata != b.columns[i].metadata) {
      return false;
    }
  }
  return true;
}

// Row messages at least this large leave the formatter's buffer with their item instead of being
// copied into it.
constexpr size_t kTakenMessageBytes = 1 << 20;

// "FILE:END_POSITION:ROW", the id every row message is published with, into `out`: written by
// hand, as it is built once per row.
std::string_view rowMessageId(std::string& out, std::string_view file, uint64_t event_end,
                              uint64_t row) {
  char digits[2 * 20 + 2];
  char* end = digits;
  *end++ = ':';
  end = writeDigits(end, event_end);
  *end++ = ':';
  end = writeDigits(end, row);
  out.assign(file).append(digits, end);
  return out;
}

}  // namespace

void TransformerStage::output(PublishItem item) {
  if (delay_ != nullptr) {
    delay_->add(std::move(item), now_);
  } else {
    batch_.push_back(std::move(item));
  }
}

void TransformerStage::outputFromSnapshot(PublishItem&& item, const message::RowChange* row) {
  if (delay_ != nullptr && row != nullptr) {
    delay_->addInLine(std::move(item), *row, now_);
  } else {
    output(std::move(item));
  }
}

Status TransformerStage::handle(SourceItem& item) {
  if (auto* rows = std::get_if<RowsItem>(&item)) {
    return transform(*rows);
  }
  if (auto* snapshot = std::get_if<SnapshotItem>(&item)) {
    return handleSnapshot(*snapshot);
  }
  if (auto* end = std::get_if<TransactionEnd>(&item)) {
    if (end->resumed != nullptr) {
      MM_RETURN_IF_ERROR(checkResumedRows(*end->resumed));
    }
    rows_in_txn_ = 0;
    txn_file_.clear();
    // The snapshot's items at `next` go first: a key to read again, noted in this transaction,
    // travels in their progress, and the stream's mark (which carries none, so the last one
    // passed is saved with it) must not be saved at `next` without it (docs/design.md §13.4).
    MM_RETURN_IF_ERROR(passedForSnapshot(end->next));
    if (!end->own_state_only) {
      output(checkpointMark(std::move(end->next)));
    }
    return Status::ok();
  } else if (auto* gap = std::get_if<PositionGap>(&item)) {
    rows_in_txn_ = 0;
    txn_file_.clear();
    output(gapItem(*gap));
    if (snapshot_) {
      snapshot_->gap();
      MM_RETURN_IF_ERROR(
          passedForSnapshot(std::make_shared<const checkpoint::Checkpoint>(gap->to)));
    }
    if (history_ != nullptr) {
      // The DDL in the gap is lost with its rows: the schema at the server's current position is
      // what information_schema says now.
      forgetCompletedTables();
      return history_->capture(gap->to);
    }
  } else if (auto* change = std::get_if<SchemaChange>(&item)) {
    forgetCompletedTables();
    if (snapshot_) {
      snapshot_->schemaChanged(*change);
    }
    if (history_ != nullptr) {
      return history_->applyDdl(change->statement, change->database, change->at);
    }
  }
  return Status::ok();
}

Status TransformerStage::checkResumedRows(const checkpoint::Checkpoint& resumed) const {
  const bool counted = txn_file_ == resumed.file && txn_start_ == resumed.offset;
  const uint64_t rows = counted ? rows_in_txn_ : 0;
  if (rows >= resumed.rows_done) {
    return Status::ok();
  }
  // Before this check the reader skipped the whole transaction and went on: rows the checkpoint
  // claims were never confirmed, or were of another binlog.
  return Status::corruption(fmt::format(
      "{} resumes inside the transaction at {}:{} with rows_done={}, but that transaction holds {} "
      "rows{}: the state file was damaged, copied from another server, or written with other "
      "[mysql] "
      "database/tables settings. Edit it to rows_done=0 (the transaction is published again: "
      "consumers may see up to {} rows twice) or delete it (a restart from [mysql] start_position)",
      state_path_.empty() ? std::string("the state file") : state_path_, resumed.file,
      resumed.offset, resumed.rows_done, rows, rows == 0 ? "" : " of the published tables", rows));
}

// Small batches: the publish queue bounds batches (publish_queue_items), so the batch size
// multiplies the memory it may hold; 16 keeps it near what one item per batch held.
constexpr size_t kMaxBatchItems = 16;

Status TransformerStage::run(std::stop_token stop) {
  Status result;
  batch_.reserve(kMaxBatchItems);
  std::vector<SourceBatch> taken;
  while (!stop.stop_requested()) {
    taken.clear();
    const bool input_done = take(taken, stop);
    // The publish time ("timestamp", in seconds) of the messages made from what was just taken.
    publish_time_ = unixSeconds(clock_.now());
    now_ = clock_.monotonicNow();
    Result<Flow> flow = process(taken, stop);
    if (!flow.isOk()) {
      result = flow.status();
      break;
    }
    if (*flow == Flow::Stopped) {
      break;
    }
    releaseDelayed(input_done);
    if (send(stop) == Flow::Stopped || input_done) {
      break;
    }
  }
  out_.close();
  return result;
}

bool TransformerStage::take(std::vector<SourceBatch>& taken, std::stop_token stop) {
  // Taken from the input at once: one of the reader's batches, so what is taken adds little to
  // what the queue bounds.
  constexpr size_t kMaxTakenBatches = 1;
  if (delay_ == nullptr) {
    return in_.popAll(taken, kMaxTakenBatches, stop) == 0;
  }
  // With a delay buffer the stage wakes when the buffer's head falls due (at most every
  // kMaxWait, to notice a stop).
  constexpr std::chrono::milliseconds kMaxWait{100};
  auto wait = kMaxWait;
  if (auto next = delay_->nextRelease()) {
    wait = std::clamp(
        std::chrono::duration_cast<std::chrono::milliseconds>(*next - clock_.monotonicNow()),
        std::chrono::milliseconds{0}, kMaxWait);
  }
  return in_.popAllFor(taken, kMaxTakenBatches, wait) == 0 && in_.drained();
}

Result<TransformerStage::Flow> TransformerStage::process(std::vector<SourceBatch>& taken,
                                                         std::stop_token stop) {
  for (SourceBatch& items : taken) {
    for (SourceItem& item : items) {
      MM_RETURN_IF_ERROR(handle(item));
      if (batch_.size() >= kMaxBatchItems && send(stop) == Flow::Stopped) {
        return Flow::Stopped;
      }
    }
  }
  return Flow::Continue;
}

void TransformerStage::releaseDelayed(bool input_done) {
  if (delay_ == nullptr) {
    return;
  }
  // "timestamp" is the publish time, which the delay moved.
  const int64_t now_unix = unixSeconds(clock_.now());
  auto release = [&](PublishItem& item, const message::RowChange* change) {
    if (change != nullptr) {
      item.timestamp = now_unix;
      setMessage(item, item.messageId(), formatter_.render(*change, now_unix));
      item.layout = formatter_.lastLayout();
    }
    batch_.push_back(std::move(item));
  };
  if (input_done) {
    delay_->releaseAll(release);
  } else {
    delay_->releaseDue(clock_.monotonicNow(), release);
  }
  metrics::set<uint64_t>(metrics_.delay_buffer_entries, delay_->size());
}

TransformerStage::Flow TransformerStage::send(std::stop_token stop) {
  if (batch_.empty()) {
    return Flow::Continue;
  }
  const size_t bytes = itemBytes(batch_);
  if (!out_.push(std::move(batch_), bytes, stop)) {
    return Flow::Stopped;
  }
  batch_ = PublishBatch{};
  batch_.reserve(kMaxBatchItems);
  publish_time_ = unixSeconds(clock_.now());  // the push may have waited
  return Flow::Continue;
}

Status TransformerStage::handleSnapshot(SnapshotItem& item) {
  if (!snapshot_) {
    return Status::internal("a snapshot item reached a transformer without a snapshot worker");
  }
  return snapshot_->handle(item, publish_time_,
                           [this](PublishItem&& published, const message::RowChange* row) {
                             outputFromSnapshot(std::move(published), row);
                           });
}

Status TransformerStage::passedForSnapshot(const SharedCheckpoint& next) {
  if (!snapshot_) {
    return Status::ok();
  }
  return snapshot_->passed(next, publish_time_,
                           [this](PublishItem&& published, const message::RowChange* row) {
                             outputFromSnapshot(std::move(published), row);
                           });
}

Status TransformerStage::recordForSnapshot(const RowsItem& item, const SharedTableMap& map,
                                           const message::RowOrigin& origin) {
  snapshot_->rowsArrived(item.binlog_timestamp);
  if (!snapshot_->watching(*map)) {
    return Status::ok();
  }
  const message::ChangeOrigin change_origin{origin.binlog_timestamp, std::string(origin.file),
                                            origin.event_end, origin.row, std::string(origin.gtid)};
  return formatter_.encode(item.event.header, map, change_origin,
                           [this](message::RowChange& change) {
                             snapshot_->record(change);
                             return Status::ok();
                           });
}

PublishItem TransformerStage::gapItem(const PositionGap& gap) const {
  const std::string from = fmt::format("{}:{}", gap.from.file, gap.from.offset);
  const std::string to = fmt::format("{}:{}", gap.to.file, gap.to.offset);
  PublishItem item = checkpointMark(gap.to);
  item.timestamp = unixSeconds(clock_.now());
  // Control messages have ids of their own that no row id ("FILE:POS:ROW") can equal.
  item.setMessage(fmt::format("gap:{}:{}", from, to),
                  message::gapMessage(from, to, item.timestamp));
  const message::RouteFacts facts{"gap", "", "", ""};
  item.route = makeRoute(routing_.expand(facts), message::routeHeaders(facts));
  return item;
}

void TransformerStage::forgetCompletedTables() {
  completed_.clear();
  last_table_ = LastTable{};
}

Result<TransformerStage::SharedTableMap> TransformerStage::completeTable(
    const SharedTableMap& source, const binlog::Position& at) {
  if (source == last_table_.source) {
    return last_table_.completed;
  }
  SharedTableMap completed = source;
  if (binlog::needsSchema(*source)) {
    auto from_schema = completeFromSchema(*source, at);
    if (!from_schema.isOk()) {
      return from_schema.status();
    }
    completed = std::move(*from_schema);
  }
  last_table_ = LastTable{source, completed, {}};
  return completed;
}

Result<TransformerStage::SharedTableMap> TransformerStage::completeFromSchema(
    const binlog::TableMap& map, const binlog::Position& at) {
  if (history_ == nullptr) {
    return Status::invalidArgument(fmt::format(
        "table {}.{}: the binlog lacks column names or keys and no schema source is configured",
        map.database, map.table));
  }
  const std::string key = map.database + "." + map.table;
  auto it = completed_.find(key);
  if (it != completed_.end() && sameShape(*it->second, map)) {
    return it->second;
  }
  const binlog::TableName name{map.database, map.table};
  auto schema = history_->table(name, at);
  if (!schema.isOk()) {
    return schema.status();
  }
  if (Status fits = binlog::checkColumnTypes(map, *schema); !fits.isOk()) {
    spdlog::warn("table {}: the schema history does not match the binlog ({}); re-reading it from "
                 "information_schema",
                 key, fits.message());
    schema = history_->reread(name, at);
    if (!schema.isOk()) {
      return schema.status();
    }
    if (Status still = binlog::checkColumnTypes(map, *schema); !still.isOk()) {
      return Status::corruption(fmt::format(
          "{}; information_schema does not match either (the table changed since this event was "
          "written, by a statement the history could not follow): refusing to publish values under "
          "guessed names. Restart from a position after the change, or log with "
          "binlog_row_metadata=FULL from then on",
          still.message()));
    }
  }
  auto completed = binlog::completeTableMap(map, *schema);
  if (!completed.isOk()) {
    return completed.status();
  }
  if (completed->primary_key.empty() && keyless_warned_.insert(key).second) {
    spdlog::warn("table {} has no primary key and no unique index over NOT NULL columns: its "
                 "messages carry empty \"keys\" and its deletes the whole logged row",
                 key);
  }
  auto& slot = completed_[key];
  slot = std::make_shared<const binlog::TableMap>(std::move(*completed));
  return slot;
}

SharedRoute TransformerStage::routeOf(const binlog::TableMap& map, binlog::RowsKind kind,
                                      std::string_view keys) {
  message::RouteFacts facts{message::changeType(kind), map.database, map.table, {}};
  if (routing_.usesKeysHash()) {
    facts.keys_json = keys;
    return makeRoute(routing_.expand(facts), message::routeHeaders(facts));
  }
  const bool last_table = &map == last_table_.completed.get();
  if (last_table && last_table_.routes[static_cast<size_t>(kind)] != nullptr) {
    return last_table_.routes[static_cast<size_t>(kind)];
  }
  route_lookup_.assign(map.database).append(1, '.').append(map.table);
  SharedRoute& route = routes_[route_lookup_][static_cast<size_t>(kind)];
  if (route == nullptr) {
    route = makeRoute(routing_.expand(facts), message::routeHeaders(facts));
  }
  if (last_table) {
    last_table_.routes[static_cast<size_t>(kind)] = route;
  }
  return route;
}

std::optional<PublishItem> TransformerStage::nextRowItem(const RowsItem& item) {
  const uint64_t row_in_txn = rows_in_txn_++;
  if (row_in_txn < item.skip_rows) {
    return std::nullopt;  // confirmed before the last restart
  }
  PublishItem row = item.held_mark == nullptr
                        ? checkpointMark(item.txn_start, row_in_txn + 1)
                        : checkpointMark(item.held_mark, item.held_mark->rows_done);
  if (snapshot_) {
    // A key to read again noted in this transaction (recordForSnapshot ran first): a restart
    // from this row's checkpoint does not see the key change again, so the key goes with it.
    if (auto progress = snapshot_->takeUnsavedProgress()) {
      auto mark = std::make_shared<checkpoint::Checkpoint>(*row.checkpoint);
      mark->snapshot = std::move(progress);
      row.checkpoint = std::move(mark);
    }
  }
  row.timestamp = publish_time_;
  return row;
}

void TransformerStage::setMessage(PublishItem& item, std::string_view id, std::string_view body) {
  if (body.size() < kTakenMessageBytes) {
    item.setMessage(id, body);
  } else {
    // Moved, not copied: a 60 MB row is then held once here, not twice (README "Performance").
    // `id` may view into the item's own message: it is copied into the new one first.
    const std::string id_copy(id);
    item.adoptMessage(formatter_.takeMessage(id_copy), id_copy.size());
  }
}

Status TransformerStage::transform(RowsItem& item) {
  const checkpoint::Checkpoint& txn = *item.txn_start;
  if (txn.file != txn_file_ || txn.offset != txn_start_) {
    txn_file_ = txn.file;
    txn_start_ = txn.offset;
    rows_in_txn_ = 0;
  }
  auto table = completeTable(item.event.table, txn);
  // Rows events inside one TRANSACTION_PAYLOAD share its end position: their rows count on, so
  // every row keeps a message_id of its own.
  const bool same_position = item.event_end == last_event_end_ && txn.file == last_event_file_;
  if (!same_position) {
    last_event_file_ = txn.file;
    last_event_end_ = item.event_end;
  }
  const message::RowOrigin origin{item.binlog_timestamp,
                                  publish_time_,
                                  txn.file,
                                  item.event_end,
                                  same_position ? next_row_at_position_ : 0,
                                  item.gtid};
  const uint64_t rows_before = rows_in_txn_;
  if (snapshot_ && table.isOk()) {
    MM_RETURN_IF_ERROR(recordForSnapshot(item, *table, origin));
  }
  Status status = !table.isOk()       ? table.status()
                  : delay_ == nullptr ? transformNow(item, *table, origin)
                                      : transformDelayed(item, *table, origin);
  metrics::add(metrics_.rows_read, rows_in_txn_ - rows_before);
  if (status.isOk()) {
    return status;
  }
  return status.withContext(fmt::format("rows event ending at {}:{} ({}.{})", txn.file,
                                        item.event_end, item.event.table->database,
                                        item.event.table->table));
}

Status TransformerStage::transformNow(RowsItem& item, const SharedTableMap& map,
                                      const message::RowOrigin& origin) {
  auto emit = [&](uint64_t row, std::string_view body) {
    next_row_at_position_ = row + 1;
    std::optional<PublishItem> message = nextRowItem(item);
    if (message) {
      message->route = routeOf(*map, item.event.header.kind, formatter_.lastKeys());
      setMessage(*message,
                 rowMessageId(message_id_, origin.file, item.event_end, row + first_row_number_),
                 body);
      message->layout = formatter_.lastLayout();
      batch_.push_back(std::move(*message));
    }
    return Status::ok();
  };
  // The same shared map comes back while the table is unchanged: its prepared names are reused.
  return formatter_.format(item.event.header, map, origin, emit);
}

Status TransformerStage::transformDelayed(RowsItem& item, const SharedTableMap& map,
                                          const message::RowOrigin& origin) {
  const message::ChangeOrigin change_origin{origin.binlog_timestamp, std::string(origin.file),
                                            origin.event_end, origin.row, std::string(origin.gtid)};
  auto emit = [&](message::RowChange& change) {
    next_row_at_position_ = change.origin.row + 1;
    std::optional<PublishItem> message = nextRowItem(item);
    if (message) {
      // The keys' text only matters to a {keys_hash} route: not made for every row otherwise.
      const std::string keys =
          routing_.usesKeysHash() ? message::columnsObject(*map, change.keys) : std::string();
      message->route = routeOf(*map, change.kind, keys);
      message->setMessage(rowMessageId(message_id_, change.origin.file, item.event_end,
                                       change.origin.row + first_row_number_),
                          {});
      delay_->add(std::move(change), std::move(*message), now_);
    }
    return Status::ok();
  };
  return formatter_.encode(item.event.header, map, change_origin, emit);
}

}  // namespace mm::pipeline
