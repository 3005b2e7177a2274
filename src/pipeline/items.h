// What flows between the pipeline stages (shared docs/design.md §1-3).
//
// reader -> transformer: RowsItem (one rows event with its own bytes and coordinates),
//                        TransactionEnd (a commit or standalone statement: the checkpoint may
//                        move past it), SchemaChange (DDL: cached schemas are stale).
// transformer -> publisher: batches of PublishItem, each a message or a checkpoint mark.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "binlog/event_decoder.h"
#include "checkpoint/checkpoint.h"

namespace mm::pipeline {

struct RowsItem {
  std::vector<uint8_t> bytes;  // the whole event; `event` views into it (heap storage: moves keep it)
  binlog::RowsEvent event;
  std::string file;
  uint64_t txn_start = 0;   // position of the transaction's first event
  uint64_t event_end = 0;   // position after this event (message ids use it)
  uint32_t binlog_timestamp = 0;
  uint64_t skip_rows = 0;   // rows of this transaction already confirmed before a restart
};

struct TransactionEnd {
  checkpoint::Checkpoint next;  // where the next transaction starts
};

struct SchemaChange {};

using SourceItem = std::variant<RowsItem, TransactionEnd, SchemaChange>;

struct PublishItem {
  std::string body;        // empty for a pure checkpoint mark
  std::string message_id;
  int64_t timestamp = 0;
  checkpoint::Checkpoint after;  // the low-water mark once this item (and all before it) is confirmed
};

using PublishBatch = std::vector<PublishItem>;

inline size_t itemBytes(const PublishBatch& batch) {
  size_t n = 0;
  for (const auto& item : batch) {
    n += item.body.size() + item.message_id.size() + sizeof(PublishItem);
  }
  return n;
}

}  // namespace mm::pipeline
