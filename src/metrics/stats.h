// Stats: the numbers the stages report and the metrics endpoint exposes (README "Operations:
// metrics and health" says what each one means).
//
// One instance per process, built in app/ and handed to the pipeline, which gives every stage a
// reference to it (tests give their own), so nothing has to test for null. Counters and gauges are
// relaxed atomics: a stage bumps them on its own thread without a lock, and a reader sees each
// value whole but not necessarily consistent with the others (a scrape is a snapshot of independent
// numbers, as Prometheus expects). The few string-valued facts (binlog file names, the saved
// checkpoint, what the server said) change at most a few times a second and sit behind a mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "binlog/position.h"

namespace mm::metrics {

using Counter = std::atomic<uint64_t>;

inline void add(Counter& counter, uint64_t n = 1) {
  counter.fetch_add(n, std::memory_order_relaxed);
}
template <typename T>
void set(std::atomic<T>& gauge, T value) {
  gauge.store(value, std::memory_order_relaxed);
}
template <typename T>
T get(const std::atomic<T>& value) {
  return value.load(std::memory_order_relaxed);
}

// Depth of one bounded queue between stages, kept by the queue under its own lock.
struct QueueGauge {
  std::atomic<uint64_t> items{0};
  std::atomic<uint64_t> bytes{0};
};

// The last checkpoint saved to the state file.
struct SavedCheckpoint {
  binlog::Position at;
  uint64_t rows_done = 0;
  int64_t saved_unix = 0;  // wall-clock time of the save
};

// What the periodic query of the source server last returned.
struct ServerBinlogState {
  binlog::Position current;    // SHOW MASTER STATUS
  int64_t expire_seconds = 0;  // automatic purge age; 0 = the server never purges by age
  int64_t polled_unix = 0;
};

// Where this monitor stands among those sharing its name (docs/high-availability.md).
enum class Role : int {
  Alone = 0,    // [monitor] state_store = file: no election
  Active = 1,   // holds the leader lock and publishes
  Standby = 2,  // waits for the lock
};

class Stats {
 public:
  std::atomic<int> role{static_cast<int>(Role::Alone)};
  std::atomic<uint64_t> leader_epoch{0};  // the epoch this monitor leads (or last led) as

  // Reader.
  Counter bytes_read{0};            // bytes of binlog events received (heartbeats included)
  Counter rows_events_filtered{0};  // rows events of tables the filter rejects
  Counter statement_dml{0};         // statement-format writes to watched tables (not published)
  Counter source_reconnects{0};     // reconnect attempts after the replica link failed
  Counter position_gaps{0};         // saved positions lost and skipped ([mysql] on_position_lost)
  std::atomic<bool> source_connected{false};
  // The servers of [mysql] host ("HOST:PORT", in their order) and which of them connections start
  // with: mysql::ConnectionOptions::preferred, moved by a source failover (null: the first). Set
  // before the threads start, then only read.
  std::vector<std::string> source_servers;
  std::shared_ptr<const std::atomic<size_t>> source_server_in_use;
  // The reader is at the server's end of binlog: the server only sends a heartbeat when it has
  // nothing else to send. Cleared by the next event and by a lost link.
  std::atomic<bool> source_caught_up{false};
  std::atomic<int64_t> last_event_timestamp{0};  // binlog timestamp of the last event handled
  std::atomic<uint64_t> read_position{0};  // where the reader's next event starts in readFile()

  // Transformer and delay buffer.
  Counter rows_read{0};           // row images of published tables read from rows events
  Counter messages_coalesced{0};  // changes folded into an earlier message of the same row
  std::atomic<uint64_t> delay_buffer_entries{0};

  // Publisher.
  Counter messages_published{0};    // first publications (republications are counted apart)
  Counter messages_republished{0};  // sent again after a nack, a return or a lost connection
  Counter messages_confirmed{0};
  Counter messages_nacked{0};
  Counter messages_returned{0};  // `mandatory` messages no queue took
  Counter messages_oversize{0};  // row messages over the broker's limit, replaced by row_oversize
  Counter broker_reconnects{0};  // connection attempts after the first one
  Counter checkpoints_saved{0};
  std::atomic<bool> broker_connected{false};
  std::atomic<bool> broker_blocked{false};
  std::atomic<uint64_t> messages_unconfirmed{0};

  // Snapshot (pipeline/snapshot_stage.h).
  Counter snapshot_rows{0};    // rows handed on for publishing
  Counter snapshot_chunks{0};  // chunks handed on
  std::atomic<uint64_t> snapshot_tables_remaining{0};

  // Queues between the stages.
  QueueGauge
      source_queue;  // reader -> transformer (items: batches of rows events and transaction ends)
  QueueGauge publish_queue;  // transformer -> publisher (items: batches of messages)

  // The reader moved to `file` (a ROTATE). Thread-safe.
  void setReadFile(std::string_view file);
  std::string readFile() const;

  // The FORMAT_DESCRIPTION at the head of `file` carries `created_unix`: when the server began
  // the file. Kept for the most recent kMaxKnownFiles files. Thread-safe.
  void noteFileCreated(std::string_view file, int64_t created_unix);
  std::optional<int64_t> fileCreated(std::string_view file) const;

  void setCheckpoint(SavedCheckpoint checkpoint);
  std::optional<SavedCheckpoint> checkpoint() const;

  void setServerState(ServerBinlogState state);
  std::optional<ServerBinlogState> serverState() const;

  static constexpr size_t kMaxKnownFiles = 256;

 private:
  mutable std::mutex mutex_;
  std::string read_file_;                                     // guarded by mutex_
  std::map<std::string, int64_t, std::less<>> file_created_;  // guarded by mutex_
  std::optional<SavedCheckpoint> checkpoint_;                 // guarded by mutex_
  std::optional<ServerBinlogState> server_;                   // guarded by mutex_
};

}  // namespace mm::metrics
