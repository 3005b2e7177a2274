// SnapshotStage (thread mm-snapshot): reads the rows the published tables already hold, chunk by
// chunk, and hands them to the transformer, which publishes each chunk as the table is at one
// point of the live stream (docs/design.md §13; the correction: pipeline/snapshot_chunk.h).
//
// Per table: describe it (SnapshotSource::describe), hand on TableStart (snapshot_start), then
// per chunk: hand on ChunkOpen (the transformer starts watching the table's changes), read the
// chunk (SnapshotSource::readChunk, after the last key handed on), hand on ChunkRows, and wait for
// the transformer's verdict (ChunkFeedback): Emitted (continue after it), Reread (a change the
// stream cannot correct: read it again) or Restart (a DDL: describe the table again; continue at
// this chunk when its columns are unchanged, else from its first row). One chunk is in flight at a
// time, and the next is read only once the publish queue is nearly empty (4 MiB), so memory holds
// about one chunk and live changes queue behind little; the publisher works through the chunk
// before meanwhile.
// Then TableEnd (snapshot_end), and after the last table Finished.
//
// Each item carries the SnapshotProgress that holds once it is confirmed; the publisher saves it
// with the checkpoint, so a restart continues at the chunk after the last confirmed one
// (run(resume)). What starts a snapshot: `[snapshot] mode = initial` on a first start, a request
// through SnapshotControl, or saved progress. A failed table (gone, keyless over the limit, a
// value that cannot be read) is logged, listed in the status and skipped; a lost connection is
// retried with backoff. The stage never stops the pipeline: it ends when stopped or when the
// source queue closes (the reader ended).
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "checkpoint/checkpoint.h"
#include "common/clock.h"
#include "common/status.h"
#include "metrics/stats.h"
#include "mysql/snapshot_source.h"
#include "pipeline/bounded_queue.h"
#include "pipeline/items.h"
#include "pipeline/snapshot_control.h"
#include "pipeline/table_filter.h"

namespace mm::pipeline {

// What became of each chunk: the transformer reports, the worker waits. Thread-safe.
class ChunkFeedback {
 public:
  enum class Outcome { Emitted, Reread, Restart };
  struct Verdict {
    Outcome outcome = Outcome::Emitted;
    uint64_t rows = 0;  // Emitted: rows published (the corrected chunk)
    // Keys an update moved into the published part from the unpublished one since the last
    // verdict: the worker reads them again (docs/design.md §13.2).
    std::vector<std::string> refresh_keys = {};
  };
  void report(uint64_t chunk, Verdict verdict);
  // The verdict on `chunk`; nullopt when `stop` came first.
  std::optional<Verdict> wait(uint64_t chunk, std::stop_token stop);

 private:
  std::mutex mutex_;
  std::condition_variable_any changed_;
  std::map<uint64_t, Verdict> verdicts_;
};

class SnapshotStage {
 public:
  // All references must outlive the stage.
  SnapshotStage(mysql::SnapshotSource& source, BoundedQueue<SourceBatch>& out,
                ChunkFeedback& feedback, SnapshotControl& control, TableFilterOptions filter,
                metrics::Stats& stats, const Clock& clock, SnapshotOptions options)
      : source_(source), out_(out), feedback_(feedback), control_(control), filter_options_(filter),
        filter_(std::move(filter)), stats_(stats), clock_(clock), options_(options) {}

  // Continues `resume` (the start checkpoint's progress) when it names tables, else starts the
  // initial snapshot when `first_start` and [snapshot] mode = initial; then serves requests until
  // `stop` or the source queue closes. Always ok or Cancelled.
  Status run(std::shared_ptr<const checkpoint::SnapshotProgress> resume, bool first_start,
             std::stop_token stop);

 private:
  using Progress = checkpoint::SnapshotProgress;
  enum class TableResult { Done, Failed, Cancelled, Stopped };

  // Reads every table of `plan`, front first.
  bool runSnapshot(Progress plan, std::stop_token stop);
  TableResult snapshotTable(Progress& plan, std::stop_token stop);
  // Reads chunks of `table` until its end; `plan` follows what was handed on.
  TableResult readChunks(Progress& plan, mysql::SnapshotTable& table, std::stop_token stop);
  struct ChunkRead {
    bool end_of_table = false;
    std::string last_key;
  };
  // Hands on the chunk after plan.after_key, or the rows of `keys` when given; the verdict, or
  // nullopt when stopped or the read failed (the table is failed then).
  std::optional<ChunkFeedback::Verdict> handOnChunk(Progress& plan,
                                                    const mysql::SnapshotTable& table,
                                                    const std::vector<std::string>* keys,
                                                    ChunkRead& read, std::stop_token stop);
  // After a DDL: the table described again; from its first row when its columns changed.
  // nullopt to go on, else how the table ends.
  std::optional<TableResult> restartTable(Progress& plan, mysql::SnapshotTable& table,
                                          std::stop_token stop);
  void accountRows(Progress& plan, const mysql::SnapshotTable& table, uint64_t rows,
                   std::stop_token stop);
  bool handOnTableStart(Progress& plan, const mysql::SnapshotTable& table, std::stop_token stop);
  bool handOnTableEnd(Progress& plan, std::stop_token stop);
  bool handOn(std::shared_ptr<SnapshotEvent> event, std::stop_token stop);
  // The tables of a new snapshot: `named`, or every published table when empty.
  std::optional<Progress> newPlan(std::string id, const std::vector<binlog::TableName>& named,
                                  std::stop_token stop);
  // `call` until it succeeds or fails for a reason other than a lost connection; nullopt when
  // stopped meanwhile.
  template <typename Call>
  auto retried(std::string_view what, Call call, std::stop_token stop)
      -> std::optional<decltype(call())>;
  void failTable(const Progress& plan, const Status& why);
  void report(const Progress& plan);
  // Waits while the publish queue holds more than a little (false when stopped).
  bool waitForPublisher(std::stop_token stop);
  void throttle(uint64_t rows, std::stop_token stop);

  mysql::SnapshotSource& source_;
  BoundedQueue<SourceBatch>& out_;
  ChunkFeedback& feedback_;
  SnapshotControl& control_;
  TableFilterOptions filter_options_;
  TableFilter filter_;
  metrics::Stats& stats_;
  const Clock& clock_;
  SnapshotOptions options_;
  uint64_t next_chunk_ = 0;
  uint64_t next_log_ = 0;  // rows of the table at which the next progress line is logged
  SnapshotStatus status_;  // what report() publishes
  Clock::MonotonicTime started_{};
  // Throttling ([snapshot] max_rows_per_second): rows handed on since throttle_start_.
  Clock::MonotonicTime throttle_start_{};
  uint64_t throttled_rows_ = 0;
};

}  // namespace mm::pipeline
