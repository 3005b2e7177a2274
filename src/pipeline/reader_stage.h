// ReaderStage (thread 1): reads binlog events from an EventSource, decodes them, tracks coordinates
// and hands rows events and transaction ends to the transformer.
//
// Coordinates (docs/design.md §2): each rows event carries its file, the start of its
// transaction and its end position. Which events make a transaction, where checkpoints may land
// and how savepoints and XA are handled is the TransactionTracker's
// (pipeline/transaction_tracker.h), which `mysql-monitor decode` shares.
//
// A lost connection (Io) is retried with capped exponential backoff and jitter from the start of
// the transaction in progress, dropping the rows events already handed on, so nothing is skipped
// or doubled. A position the server no longer has either ends the stage (PositionLostPolicy::Fail)
// or is replaced by the server's current position after a PositionGap item, which travels in order
// with the changes so the checkpoint moves past the gap only once consumers were told. Errors in
// the bytes, an INCIDENT, or any other refusal by the server end the stage with a Status naming the
// binlog position.
//
// GTIDs: the tracker follows the server's GTID set (from the start checkpoint, each file's
// PREVIOUS_GTIDS / GTID_LIST, then every transaction's GTID as it ends), hands each rows event its
// transaction's GTID and each TransactionEnd the set so far. Compressed transactions
// (TRANSACTION_PAYLOAD) are unpacked here and handed on like any other.
//
// Rows events of tables the TableFilter rejects go no further than the reader. Statement-format
// writes (QUERY events writing a watched table, LOAD DATA) cannot be published: logged once per
// table and counted.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <variant>
#include <vector>

#include "binlog/event_decoder.h"
#include "binlog/gtid_set.h"
#include "checkpoint/checkpoint.h"
#include "common/clock.h"
#include "common/status.h"
#include "metrics/stats.h"
#include "mysql/event_source.h"
#include "pipeline/bounded_queue.h"
#include "pipeline/items.h"
#include "pipeline/table_filter.h"
#include "pipeline/transaction_tracker.h"

namespace mm::pipeline {

enum class PositionLostPolicy {
  Fail,             // stop with an error naming the lost position and the server's oldest binlog
  ResumeAtCurrent,  // publish a gap message and continue from the server's current position
};

struct ReaderOptions {
  TableFilterOptions filter;
  PositionLostPolicy on_position_lost = PositionLostPolicy::Fail;
  // Open (and reopen) the stream by the GTID set instead of the file position, whenever the set
  // is known: follows a failover to another server of the topology.
  bool resume_by_gtid = false;
  // The most bytes of rows held back: of prepared XA transactions, and after a SAVEPOINT
  // (TrackerOptions::max_prepared_xa_bytes, max_savepoint_bytes).
  uint64_t max_held_bytes = 256ull << 20;
  // Whether a table's engine is non-transactional (TrackerOptions::non_transactional); unset:
  // every table is transactional. Called on the reader's thread.
  std::function<bool(const std::string& database, const std::string& table)> non_transactional = {};
  // The monitor's own state database ([monitor] state_store = mysql), already excluded by the
  // filter: the end of a transaction that wrote only there moves no checkpoint, since a save
  // would write it again and the monitor would never be idle (docs/high-availability.md).
  std::string own_database = {};
  std::chrono::milliseconds min_reconnect_backoff{500};
  std::chrono::milliseconds max_reconnect_backoff{30000};
};

class ReaderStage {
 public:
  // Counts into `stats` (source_*, rows_events_filtered, statement_dml, position_gaps, read
  // position); waits between reconnects on `clock`. All must outlive the stage.
  ReaderStage(mysql::EventSource& source, BoundedQueue<SourceBatch>& out, metrics::Stats& stats,
              const Clock& clock, ReaderOptions options)
      : source_(source), out_(out), filter_(options.filter), options_(std::move(options)),
        metrics_(stats), clock_(clock) {}

  // Streams from `start` until `stop` is requested (ok) or a non-retryable error. Closes `out` on
  // return either way, so the stages after it drain and finish.
  Status run(const checkpoint::Checkpoint& start, std::stop_token stop);

 private:
  // The tracker's output: items to the hand-off, statement-format writes to the warning.
  class TrackerOutput final : public TransactionTracker::Output {
   public:
    TrackerOutput(ReaderStage& reader, std::stop_token stop)
        : reader_(reader), stop_(std::move(stop)) {}
    bool rows(const RowsChange& rows, size_t bytes) override;
    bool item(SourceItem&& item, size_t bytes) override;
    void statementWrite(const std::optional<sql::StatementTable>& table, std::string_view what,
                        const std::string& file, uint64_t position) override;
    void notice(const std::string& text) override;

   private:
    ReaderStage& reader_;
    std::stop_token stop_;
  };

  // `received_event` tells whether the connection worked (then the backoff starts over).
  Status stream(TransactionTracker& tracker, bool& received_event, std::stop_token stop);
  // The metrics an event moves: read position and file, caught up, last timestamp, file created.
  void noteEventRead(const binlog::EventHeader& header, const EventPlace& at,
                     const TransactionTracker& tracker);
  // A rows event's bytes, copied out of the source's buffer to travel downstream.
  struct StoredBytes {
    std::shared_ptr<const uint8_t[]> block;  // null for other events, which stay behind
    size_t size = 0;
  };
  // The event to decode: a rows event's bytes copied into the current block (a new one when they
  // do not fit, one of their own when larger than a block) and noted in `stored`; any other
  // event's bytes as they are.
  std::span<const uint8_t> storeRowsEvent(std::span<const uint8_t> bytes, StoredBytes& stored);
  Status streamPayload(TransactionTracker& tracker, binlog::EventDecoder& decoder,
                       const binlog::TransactionPayloadEvent& payload, const EventPlace& at,
                       TrackerOutput& output);
  Status resumeAtCurrentPosition(TransactionTracker& tracker, const Status& why,
                                 std::stop_token stop);
  // Queues `item` (of `bytes`) for the transformer; hands the queued items over once there are
  // enough. False when stopped.
  bool handOn(SourceItem&& item, size_t bytes, std::stop_token stop);
  // The filter's verdict on a rows event's table, asked once while the decoder hands out the same
  // map (it does while the table's TABLE_MAP is unchanged).
  bool tablePasses(const std::shared_ptr<const binlog::TableMap>& table);
  // Hands every queued item over (one lock, one wake-up of the transformer). False when stopped.
  bool flushHandOff(std::stop_token stop);
  // A statement-format write: counted and warned once per table when it writes a watched one.
  void noteStatementWrite(const std::optional<sql::StatementTable>& table, std::string_view what,
                          const std::string& file, uint64_t position);

  mysql::EventSource& source_;
  BoundedQueue<SourceBatch>& out_;
  TableFilter filter_;
  std::shared_ptr<const binlog::TableMap> filtered_table_;  // held: its address is not reused
  bool filtered_table_passes_ = false;
  // Rows events of the current transaction: of the own state database, and of any other table.
  bool txn_wrote_own_state_ = false;
  bool txn_wrote_other_ = false;
  ReaderOptions options_;
  metrics::Stats& metrics_;
  const Clock& clock_;
  std::set<std::string, std::less<>> statement_dml_warned_;  // "db.table"; "" for LOAD DATA unnamed
  // Decoded items not yet handed over: they go in batches, at the latest before the reader
  // waits for the server (stream()).
  SourceBatch hand_off_;
  size_t hand_off_bytes_ = 0;
  // The block store() fills: its items keep it alive after the reader moves on to the next.
  std::shared_ptr<uint8_t[]> block_;
  size_t block_size_ = 0;
  size_t block_used_ = 0;
};

}  // namespace mm::pipeline
