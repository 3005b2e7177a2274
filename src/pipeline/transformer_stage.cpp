#include "pipeline/transformer_stage.h"

#include <fmt/format.h>

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

}  // namespace

Status TransformerStage::run(std::stop_token stop) {
  Status result;
  while (auto item = in_.pop(stop)) {
    PublishBatch batch;
    if (auto* rows = std::get_if<RowsItem>(&*item)) {
      result = transform(*rows, batch);
      if (!result.isOk()) {
        break;
      }
    } else if (auto* end = std::get_if<TransactionEnd>(&*item)) {
      rows_in_txn_ = 0;
      txn_file_.clear();
      batch.push_back(PublishItem{{}, {}, 0, end->next});
    } else {
      completed_.clear();  // SchemaChange
    }
    if (batch.empty()) {
      continue;
    }
    const size_t bytes = itemBytes(batch);
    if (!out_.push(std::move(batch), bytes, stop)) {
      break;
    }
  }
  out_.close();
  return result;
}

Result<const binlog::TableMap*> TransformerStage::completeTable(const binlog::TableMap& map) {
  if (!binlog::needsSchema(map)) {
    return &map;
  }
  if (schema_ == nullptr) {
    return Status::invalidArgument(fmt::format(
        "table {}.{}: the binlog lacks column names or keys and no schema source is configured",
        map.database, map.table));
  }
  const std::string key = map.database + "." + map.table;
  auto it = completed_.find(key);
  if (it != completed_.end() && sameShape(*it->second, map)) {
    return it->second.get();
  }
  auto schema = schema_->lookup(map.database, map.table);
  if (!schema.isOk()) {
    return schema.status();
  }
  auto completed = binlog::completeTableMap(map, *schema);
  if (!completed.isOk()) {
    return completed.status();
  }
  auto& slot = completed_[key];
  slot = std::make_unique<binlog::TableMap>(std::move(*completed));
  return slot.get();
}

Status TransformerStage::transform(RowsItem& item, PublishBatch& batch) {
  if (item.file != txn_file_ || item.txn_start != txn_start_) {
    txn_file_ = item.file;
    txn_start_ = item.txn_start;
    rows_in_txn_ = 0;
  }
  auto where = [&] {
    return fmt::format("rows event ending at {}:{} ({}.{})", item.file, item.event_end,
                       item.event.table->database, item.event.table->table);
  };
  auto table = completeTable(*item.event.table);
  if (!table.isOk()) {
    return table.status().withContext(where());
  }
  const binlog::TableMap& map = **table;
  const message::RowTimes times{item.binlog_timestamp, unixSeconds(clock_.now())};
  Status status = formatter_.format(
      item.event.header, map, times, [&](uint64_t row_in_event, std::string_view body) {
        const uint64_t row_in_txn = rows_in_txn_++;
        if (row_in_txn >= item.skip_rows) {  // else confirmed before the last restart
          batch.push_back(PublishItem{std::string(body),
                                      fmt::format("{}:{}:{}", item.file, item.event_end, row_in_event),
                                      times.publish_timestamp,
                                      checkpoint::Checkpoint{item.file, item.txn_start, row_in_txn + 1}});
        }
        return Status::ok();
      });
  return status.withContext(where());
}

}  // namespace mm::pipeline
