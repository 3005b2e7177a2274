#include "pipeline/snapshot_merge.h"

#include <algorithm>
#include <cctype>
#include <charconv>

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
      startTable(*event);
      chunk_.emplace();
      chunk_->number = event->chunk;
      chunk_->table = event->table;
      chunk_->mismatch = ddlNamed(event->table.table);
      ddl_between_chunks_.clear();
      ddl_overflow_ = false;
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
  table_map_ = rows->map;
  ChunkCorrection& correction = chunk.correction.emplace(rows->map, rows->keyless);
  ChunkCorrection::Range range;
  if (published_any_) {
    range.after = published_;
  }
  range.to_end = rows->rows.end_of_table;
  range.only_held = rows->keys_only;
  std::vector<message::RowChange> selected(rows->rows.rows.size());
  for (size_t i = 0; i < selected.size(); ++i) {
    Status encoded = formatter_.encodeRow(rows->map, rows->rows.rows[i], selected[i]);
    if (!encoded.isOk()) {
      return encoded.withContext(
          fmt::format("snapshot row of {}.{}", chunk.table.database, chunk.table.table));
    }
  }
  if (!selected.empty() && !rows->keys_only) {
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
  if (!chunk_) {
    noteKeyMove(change);
    return;
  }
  OpenChunk& chunk = *chunk_;
  if (!chunk.correction) {
    chunk.log.push_back(change);
    // The key to read again cannot wait for the rows with the change: this transaction's
    // checkpoints are saved before they arrive, and must carry it (tests/unit/pipeline/
    // snapshot_merge_test.cpp, AKeyToReadAgainIsNotedWhileTheOpenChunksRowsAreRead).
    noteKeyMove(change);
    return;
  }
  if (change.table->columns.size() != chunk.rows->map->columns.size()) {
    chunk.mismatch = true;  // the stream is on another definition: a DDL is on its way
    return;
  }
  chunk.correction->apply(change);
  // Even when the open chunk holds the row and moves it along, the chunk may still be read again
  // (and the moved row then lost): the new key is read again either way.
  noteKeyMove(change);
}

void SnapshotMerge::start(SharedCheckpoint mark,
                          std::shared_ptr<const checkpoint::SnapshotProgress> progress) {
  mark_ = std::move(mark);
  last_progress_ = progress;
  if (progress != nullptr && !progress->tables.empty()) {
    SnapshotEvent resumed;
    resumed.table = {progress->tables.front().database, progress->tables.front().table};
    resumed.boundary = progress->boundary;
    resumed.refresh_keys = progress->refresh_keys;
    startTable(resumed);
  }
}

void SnapshotMerge::startTable(const SnapshotEvent& open) {
  if (table_ && *table_ == open.table) {
    return;
  }
  table_ = open.table;
  published_.clear();
  published_any_ = published_all_ = false;
  if (auto boundary = parseBoundary(open.boundary); boundary && !boundary->empty()) {
    published_ = std::move(*boundary);  // a restart continues the table
    published_any_ = true;
  }
  pending_.clear();
  refresh_ = open.refresh_keys;
}

void SnapshotMerge::noteKeyMove(const message::RowChange& change) {
  if (change.kind != binlog::RowsKind::Update || !published_any_ || published_all_ ||
      !change.changesKey()) {
    return;
  }
  // The stream's map has the same columns and key (until a DDL, which restarts the table).
  const binlog::TableMap& map = table_map_ != nullptr ? *table_map_ : *change.table;
  const message::EncodedColumns new_keys = change.keysAfter();
  const auto new_side = compareKeys(map, new_keys, published_);
  if (new_side && *new_side > 0) {
    return;  // into the unpublished part: a later chunk reads it
  }
  const auto old_side = compareKeys(map, change.keys, published_);
  if (old_side && *old_side <= 0) {
    return;  // from the published part: consumers have the row and move it themselves
  }
  std::string key = message::columnsObject(map, new_keys);
  if (std::find(refresh_.begin(), refresh_.end(), key) == refresh_.end()) {
    refresh_.push_back(key);
    pending_.push_back(std::move(key));
    refresh_unsaved_ = true;
  }
}

Status SnapshotMerge::passed(const SharedCheckpoint& next, int64_t now, Output out) {
  mark_ = next;
  between_transactions_ = true;
  MM_RETURN_IF_ERROR(publishDue(now, out));
  if (refresh_unsaved_ && last_progress_ != nullptr) {
    // A key to read again was noted in the transaction just ended: saved with the next mark, or
    // a crash after the stream's checkpoint passed the change would forget it.
    out(markWith(last_progress_), nullptr);
  }
  return Status::ok();
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
  table_map_ = event.map;
  if (event.keys_only) {
    for (const std::string& key : event.refresh_keys) {
      std::erase(refresh_, key);
    }
  } else if (event.rows.end_of_table) {
    published_all_ = true;
  } else if (!chunk.range_last.empty()) {
    published_ = chunk.range_last;
    published_any_ = true;
  }
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
    out(std::move(item), &row);
  }
  if (rows.empty()) {
    out(markWith(event.progress), nullptr);
  }
  if (feedback_ != nullptr) {
    feedback_->report(chunk.number,
                      {ChunkFeedback::Outcome::Emitted, rows.size(), std::move(pending_)});
  }
  pending_.clear();
  chunk_.reset();
}

void SnapshotMerge::publishTableMessage(const SnapshotEvent& event, int64_t now, Output out) {
  PublishItem item = markWith(event.progress);
  const message::SnapshotTableFacts facts{event.snapshot_id, event.table.database,
                                          event.table.table};
  if (event.kind == SnapshotEvent::Kind::TableStart) {
    // The table's snapshot starts (again, after a DDL changed its shape): nothing published yet.
    published_.clear();
    published_any_ = published_all_ = false;
    pending_.clear();
    refresh_.clear();
    item.timestamp = now;
    item.route = routeOf(message::kSnapshotStartType, event.table, "{}");
    item.setMessage(message::snapshotStartId(facts),
                    message::snapshotStartMessage(facts, event.count, now));
  } else if (event.kind == SnapshotEvent::Kind::TableEnd) {
    item.timestamp = now;
    item.route = routeOf(message::kSnapshotEndType, event.table, "{}");
    item.setMessage(message::snapshotEndId(facts),
                    message::snapshotEndMessage(facts, event.count, now));
    table_.reset();
    table_map_ = nullptr;
  } else if (event.kind == SnapshotEvent::Kind::Finished) {
    table_.reset();
    table_map_ = nullptr;
  }
  out(std::move(item), nullptr);  // Finished: the mark alone, which clears the saved progress
}

PublishItem SnapshotMerge::markWith(
    const std::shared_ptr<const checkpoint::SnapshotProgress>& progress) {
  auto mark = std::make_shared<checkpoint::Checkpoint>(*mark_);
  last_progress_ = progress;
  refresh_unsaved_ = false;
  mark->snapshot = completed(progress);
  const uint64_t rows_done = mark->rows_done;
  return checkpointMark(std::move(mark), rows_done);
}

std::shared_ptr<const checkpoint::SnapshotProgress> SnapshotMerge::completed(
    const std::shared_ptr<const checkpoint::SnapshotProgress>& progress) {
  if (progress == nullptr || progress->tables.empty() || !table_ ||
      progress->tables.front().database != table_->database ||
      progress->tables.front().table != table_->table) {
    return progress;
  }
  // What only the merge knows: the keys to read again and the published part's boundary.
  auto with_keys = std::make_shared<checkpoint::SnapshotProgress>(*progress);
  with_keys->refresh_keys = refresh_;
  with_keys->boundary = published_any_ ? boundaryText(published_) : "";
  return with_keys;
}

std::shared_ptr<const checkpoint::SnapshotProgress> SnapshotMerge::takeUnsavedProgress() {
  if (!refresh_unsaved_ || last_progress_ == nullptr) {
    return nullptr;
  }
  refresh_unsaved_ = false;
  return completed(last_progress_);
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
  if (!chunk_) {
    // Between two chunks (the worker throttles, or waits for the publisher) or before a table's
    // first: the next chunk may be described before this DDL and read after it (§13.3).
    if (ddl_between_chunks_.size() < kHeldDdl) {
      ddl_between_chunks_.push_back(change.statement);
    } else {
      ddl_overflow_ = true;
    }
  } else if (containsIgnoringCase(change.statement, chunk_->table.table)) {
    discard(ChunkFeedback::Outcome::Restart);
  }
}

bool SnapshotMerge::ddlNamed(std::string_view table) const {
  return ddl_overflow_ || std::any_of(ddl_between_chunks_.begin(), ddl_between_chunks_.end(),
                                      [&](const std::string& statement) {
                                        return containsIgnoringCase(statement, table);
                                      });
}

void SnapshotMerge::gap() { discard(ChunkFeedback::Outcome::Reread); }

std::string boundaryText(const message::EncodedColumns& keys) {
  std::string out;
  for (size_t i = 0; i < keys.size(); ++i) {
    out += fmt::format("{}{}=", i == 0 ? "" : ",", keys.column(i));
    for (unsigned char c : keys.value(i)) {
      out += fmt::format("{:02X}", c);
    }
  }
  return out;
}

std::optional<message::EncodedColumns> parseBoundary(std::string_view text) {
  message::EncodedColumns keys;
  for (size_t start = 0; start < text.size();) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view item = text.substr(start, comma - start);
    const size_t eq = item.find('=');
    uint32_t column = 0;
    if (eq == std::string_view::npos ||
        std::from_chars(item.data(), item.data() + eq, column).ptr != item.data() + eq ||
        (item.size() - eq - 1) % 2 != 0) {
      return std::nullopt;
    }
    std::string value;
    for (size_t i = eq + 1; i < item.size(); i += 2) {
      unsigned byte = 0;
      if (std::from_chars(item.data() + i, item.data() + i + 2, byte, 16).ptr !=
          item.data() + i + 2) {
        return std::nullopt;
      }
      value += static_cast<char>(byte);
    }
    keys.append(column, value);
    start = comma + 1;
  }
  return keys;
}

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
