#include "pipeline/snapshot_merge.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "message/snapshot_message.h"

namespace mm::pipeline {
namespace {

bool containsIgnoringCase(std::string_view text, std::string_view word) {
  auto it = std::search(text.begin(), text.end(), word.begin(), word.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  });
  return it != text.end();
}

}  // namespace

Status SnapshotMerge::handle(SnapshotItem& item, int64_t now, Output out) {
  std::shared_ptr<SnapshotEvent> event = std::move(item.event);
  switch (event->kind) {
    case SnapshotEvent::Kind::ChunkOpen:
      chunk_.emplace();
      chunk_->number = event->chunk;
      chunk_->table = event->table;
      return Status::ok();
    case SnapshotEvent::Kind::ChunkRows:
      if (!chunk_ || chunk_->number != event->chunk) {
        return Status::ok();  // discarded while it was read (its verdict is given)
      }
      MM_RETURN_IF_ERROR(arrived(std::move(event)));
      break;
    default: waiting_.push_back(std::move(event)); break;
  }
  return between_transactions_ ? publishDue(now, out) : Status::ok();
}

Status SnapshotMerge::arrived(std::shared_ptr<SnapshotEvent> rows) {
  OpenChunk& chunk = *chunk_;
  ChunkCorrection& correction = chunk.correction.emplace(rows->map, rows->keyless);
  ChunkCorrection::Range range;
  if (last_keys_table_ == chunk.table.database + "." + chunk.table.table) {
    range.after = last_keys_;
  }
  range.to_end = rows->rows.end_of_table;
  std::vector<message::RowChange> selected(rows->rows.rows.size());
  for (size_t i = 0; i < selected.size(); ++i) {
    Status encoded = formatter_.encodeRow(rows->map, rows->rows.rows[i], selected[i]);
    if (!encoded.isOk()) {
      return encoded.withContext(
          fmt::format("snapshot row of {}.{}", chunk.table.database, chunk.table.table));
    }
  }
  if (!selected.empty()) {
    range.last = selected.back().keys;
  }
  chunk.range_last = range.last;
  correction.setRange(std::move(range));
  for (auto& row : selected) {
    correction.addSelected(std::move(row));
  }
  // The cells are encoded: their bytes go now, the high watermark stays.
  rows->rows = mysql::SnapshotChunk{{}, nullptr, rows->rows.high_watermark, {}, false};
  chunk.rows = std::move(rows);
  std::vector<message::RowChange> log = std::move(chunk.log);
  for (const auto& change : log) {
    record(change);
  }
  return Status::ok();
}

void SnapshotMerge::record(const message::RowChange& change) {
  OpenChunk& chunk = *chunk_;
  if (!chunk.correction) {
    chunk.log.push_back(change);
    return;
  }
  if (change.table->columns.size() != chunk.rows->map->columns.size()) {
    chunk.mismatch = true;  // the stream is on another definition: a DDL is on its way
    return;
  }
  chunk.correction->apply(change);
}

Status SnapshotMerge::passed(const SharedCheckpoint& next, int64_t now, Output out) {
  mark_ = next;
  between_transactions_ = true;
  return publishDue(now, out);
}

Status SnapshotMerge::publishDue(int64_t now, Output out) {
  if (mark_ == nullptr) {
    return Status::ok();  // where the stream is is not known yet
  }
  while (!waiting_.empty()) {
    publishTableMessage(*waiting_.front(), now, out);
    waiting_.pop_front();
  }
  if (!chunk_ || chunk_->rows == nullptr ||
      binlog::comesBefore(*mark_, chunk_->rows->rows.high_watermark)) {
    return Status::ok();
  }
  if (chunk_->mismatch) {
    discard(ChunkFeedback::Outcome::Restart);
  } else if (chunk_->correction->needsReread()) {
    discard(ChunkFeedback::Outcome::Reread);
  } else {
    publishChunk(now, out);
  }
  return Status::ok();
}

void SnapshotMerge::publishChunk(int64_t now, Output out) {
  OpenChunk& chunk = *chunk_;
  const SnapshotEvent& event = *chunk.rows;
  const message::SnapshotTableFacts facts{event.snapshot_id, chunk.table.database,
                                          chunk.table.table};
  std::vector<message::RowChange> rows = chunk.correction->take();
  for (size_t i = 0; i < rows.size(); ++i) {
    message::RowChange& row = rows[i];
    row.origin = message::ChangeOrigin{binlog_timestamp_, mark_->file, mark_->offset, i, {}};
    PublishItem item = i + 1 == rows.size() ? markWith(event.progress) : PublishItem{};
    item.timestamp = now;
    const std::string_view body = formatter_.renderSnapshot(row, event.snapshot_id, now);
    const std::string_view keys = formatter_.lastKeys();
    item.route = routeOf(message::kRowSnapshotType, chunk.table, keys);
    item.setMessage(message::snapshotRowId(facts, keys), body);
    item.layout = formatter_.lastLayout();
    out(std::move(item));
  }
  if (rows.empty()) {
    out(markWith(event.progress));
  }
  last_keys_table_ = chunk.table.database + "." + chunk.table.table;
  last_keys_ = chunk.range_last;
  if (feedback_ != nullptr) {
    feedback_->report(chunk.number, {ChunkFeedback::Outcome::Emitted, rows.size()});
  }
  chunk_.reset();
}

void SnapshotMerge::publishTableMessage(const SnapshotEvent& event, int64_t now, Output out) {
  PublishItem item = markWith(event.progress);
  const message::SnapshotTableFacts facts{event.snapshot_id, event.table.database,
                                          event.table.table};
  if (event.kind == SnapshotEvent::Kind::TableStart) {
    item.timestamp = now;
    item.route = routeOf(message::kSnapshotStartType, event.table, "{}");
    item.setMessage(message::snapshotStartId(facts),
                    message::snapshotStartMessage(facts, event.count, now));
  } else if (event.kind == SnapshotEvent::Kind::TableEnd) {
    item.timestamp = now;
    item.route = routeOf(message::kSnapshotEndType, event.table, "{}");
    item.setMessage(message::snapshotEndId(facts),
                    message::snapshotEndMessage(facts, event.count, now));
    if (last_keys_table_ == event.table.database + "." + event.table.table) {
      last_keys_table_.clear();
      last_keys_.clear();
    }
  }
  out(std::move(item));  // Finished: the mark alone, which clears the saved progress
}

PublishItem SnapshotMerge::markWith(
    const std::shared_ptr<const checkpoint::SnapshotProgress>& progress) const {
  auto mark = std::make_shared<checkpoint::Checkpoint>(*mark_);
  mark->snapshot = progress;
  const uint64_t rows_done = mark->rows_done;
  return checkpointMark(std::move(mark), rows_done);
}

void SnapshotMerge::discard(ChunkFeedback::Outcome why) {
  if (!chunk_) {
    return;
  }
  if (feedback_ != nullptr) {
    feedback_->report(chunk_->number, {why, 0});
  }
  chunk_.reset();
}

void SnapshotMerge::schemaChanged(const SchemaChange& change) {
  if (chunk_ && containsIgnoringCase(change.statement, chunk_->table.table)) {
    discard(ChunkFeedback::Outcome::Restart);
  }
}

void SnapshotMerge::gap() { discard(ChunkFeedback::Outcome::Reread); }

SharedRoute SnapshotMerge::routeOf(std::string_view type, const binlog::TableName& table,
                                   std::string_view keys) {
  message::RouteFacts facts{type, table.database, table.table, keys};
  if (routing_.usesKeysHash()) {
    return makeRoute(routing_.expand(facts), message::routeHeaders(facts));
  }
  const std::string key = fmt::format("{} {}.{}", type, table.database, table.table);
  auto it = routes_.find(key);
  if (it == routes_.end()) {
    it =
        routes_.emplace(key, makeRoute(routing_.expand(facts), message::routeHeaders(facts))).first;
  }
  return it->second;
}

}  // namespace mm::pipeline
