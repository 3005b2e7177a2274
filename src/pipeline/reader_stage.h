// ReaderStage (thread 1): reads binlog events from an EventSource, decodes them, tracks coordinates
// and hands rows events and transaction ends to the transformer.
//
// Coordinates (shared docs/design.md §2): each rows event carries its file, the start of its
// transaction and its end position. Transactions end at XID, QUERY COMMIT/ROLLBACK or a
// standalone statement (DDL); only there may the checkpoint move. A lost connection is retried with
// backoff from the start of the transaction in progress, dropping the rows events already handed on,
// so nothing is skipped or doubled. Errors in the bytes, an INCIDENT, or the server refusing the
// position end the stage with a Status naming the binlog position.
#pragma once

#include <chrono>
#include <stop_token>
#include <string>

#include "checkpoint/checkpoint.h"
#include "common/status.h"
#include "mysql/event_source.h"
#include "pipeline/bounded_queue.h"
#include "pipeline/items.h"

namespace mm::pipeline {

struct ReaderOptions {
  std::string database;  // publish only this schema's changes; empty = all
  std::chrono::milliseconds max_reconnect_backoff{30000};
};

class ReaderStage {
 public:
  // `source` and `out` must outlive the stage.
  ReaderStage(mysql::EventSource& source, BoundedQueue<SourceItem>& out, ReaderOptions options)
      : source_(source), out_(out), options_(std::move(options)) {}

  // Streams from `start` until `stop` is requested (ok) or a non-retryable error. Closes `out` on
  // return either way, so the stages after it drain and finish.
  Status run(const checkpoint::Checkpoint& start, std::stop_token stop);

 private:
  struct Cursor {
    std::string file;
    uint64_t position = 0;       // where the next event starts
    bool in_transaction = false;
    uint64_t txn_start = 0;
    uint64_t rows_events_in_txn = 0;  // handed on in the current transaction
  };

  Status stream(Cursor& cursor, uint64_t skip_rows_events, const checkpoint::Checkpoint& resume,
                std::stop_token stop);
  bool endTransaction(Cursor& cursor, uint64_t next_position, std::stop_token stop);

  mysql::EventSource& source_;
  BoundedQueue<SourceItem>& out_;
  ReaderOptions options_;
};

}  // namespace mm::pipeline
