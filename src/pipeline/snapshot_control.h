// SnapshotControl: how the rest of the process talks to the snapshot worker
// (pipeline/snapshot_stage.h, docs/design.md §13): requests and cancels from the HTTP listener
// (`mysql-monitor snapshot`), and the progress `status`, /snapshot and the metrics show.
//
// Thread-safe; no call blocks (the HTTP listener's handler must not). One snapshot runs at a time:
// a request while one runs is refused as Busy, never queued or merged.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "binlog/table_schema.h"

namespace mm::pipeline {

struct SnapshotOptions {
  enum class Mode { Never, Initial };
  Mode mode = Mode::Never;  // Initial: snapshot every published table on a first start
  size_t chunk_rows = 1024;
  uint64_t max_rows_per_second = 0;  // 0 = unlimited
  size_t keyless_max_rows = 100000;  // a table without a key is read in one pass, up to this
};

// What a snapshot has done so far, as status and GET /snapshot report it.
struct SnapshotStatus {
  bool running = false;
  std::string id;                // of the running (or last) snapshot
  std::string table;             // "db.table" being read; "" between tables
  uint64_t table_rows_done = 0;  // rows of it handed on
  uint64_t table_estimated_rows = 0;
  size_t tables_done = 0;
  size_t tables_total = 0;
  uint64_t rows_total = 0;     // rows handed on by this snapshot
  double rows_per_second = 0;  // over the last few seconds
  int64_t started_unix = 0;
  std::vector<std::string> errors;  // tables that could not be read, each with why
};

class SnapshotControl {
 public:
  enum class Outcome {
    Accepted,     // the snapshot starts with the next chunk
    Busy,         // one is running; `message` names it
    Unavailable,  // no snapshot worker (the monitor is stopping, or not streaming yet)
    Invalid,      // a named table is not published (the filters), or not "db.table"
  };
  struct Answer {
    Outcome outcome = Outcome::Unavailable;
    std::string message;  // one line, for the CLI and the HTTP body
    std::string id;       // Accepted: the new snapshot's id
  };

  // Requests a snapshot of `tables` (empty = every published table).
  Answer request(std::vector<binlog::TableName> tables);
  // Stops the running snapshot after the chunk in flight; false when none runs.
  bool cancel();
  SnapshotStatus status() const;

  // --- the worker's side ---
  // `published` says whether a table passes the filters (request() refuses the others).
  void attach(std::function<bool(const binlog::TableName&)> published);
  void detach();  // requests are Unavailable from now on
  // The tables of a pending request, taken once; nullopt when none.
  struct Request {
    std::string id;
    std::vector<binlog::TableName> tables;
  };
  std::optional<Request> takeRequest();
  bool takeCancel();
  void update(const SnapshotStatus& status);  // the worker's latest progress

 private:
  mutable std::mutex mutex_;
  std::function<bool(const binlog::TableName&)> published_;  // null: detached
  std::optional<Request> pending_;
  bool cancel_requested_ = false;
  SnapshotStatus status_;
};

// A new snapshot id: the UTC time and a random suffix, e.g. "20261205T011500Z-3f9a".
std::string newSnapshotId(int64_t unix_seconds);

}  // namespace mm::pipeline
