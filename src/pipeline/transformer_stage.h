// TransformerStage (thread 2): turns rows events into JSON messages with stable ids and the
// checkpoint each message moves the low-water mark to.
//
// Column names, key, signedness and ENUM/SET members come from the TABLE_MAP's optional metadata;
// when it lacks them the TableSchemaSource fills the gap (cached per table until the next DDL).
// message_id = "FILE:EVENT_END:ROW_INDEX" (design.md §2), identical after any restart.
#pragma once

#include <map>
#include <memory>
#include <stop_token>
#include <string>

#include "binlog/table_schema.h"
#include "common/clock.h"
#include "common/status.h"
#include "message/rows_formatter.h"
#include "pipeline/bounded_queue.h"
#include "pipeline/items.h"

namespace mm::pipeline {

class TransformerStage {
 public:
  // All references must outlive the stage; `schema` may be null (then tables must log FULL
  // metadata, or the stage fails naming the table).
  TransformerStage(BoundedQueue<SourceItem>& in, BoundedQueue<PublishBatch>& out,
                   binlog::TableSchemaSource* schema, const Clock& clock)
      : in_(in), out_(out), schema_(schema), clock_(clock) {}

  // Runs until `in` is closed and drained (ok) or `stop` is requested; closes `out` on return.
  Status run(std::stop_token stop);

 private:
  Status transform(RowsItem& item, PublishBatch& batch);
  Result<const binlog::TableMap*> completeTable(const binlog::TableMap& map);

  BoundedQueue<SourceItem>& in_;
  BoundedQueue<PublishBatch>& out_;
  binlog::TableSchemaSource* schema_;
  const Clock& clock_;
  message::RowsFormatter formatter_;
  // Tables completed from the schema source, by "db.table"; dropped at every DDL.
  std::map<std::string, std::unique_ptr<binlog::TableMap>, std::less<>> completed_;
  // Row counting inside the current transaction (for checkpoints and restart skips).
  std::string txn_file_;
  uint64_t txn_start_ = 0;
  uint64_t rows_in_txn_ = 0;
};

}  // namespace mm::pipeline
