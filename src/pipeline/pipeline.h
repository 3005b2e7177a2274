// Pipeline: the three stages on their own threads, joined by bounded queues (docs/design.md §1,
// §8).
//
//   reader --SourceItem--> transformer --PublishBatch--> publisher (confirms, checkpoint)
//
// run() blocks until the pipeline ends and returns the first stage error (ok after a clean stop).
// requestStop() (thread-safe, e.g. from a signal-handling thread) stops in two phases: the reader
// stops reading, the queues drain, the publisher waits for confirms and saves the checkpoint. If
// that takes longer than stop_timeout, or requestStop() is called a second time, every stage stops
// at once; the checkpoint stays valid because it only ever names confirmed changes.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>

#include "checkpoint/state_store.h"
#include "common/clock.h"
#include "common/status.h"
#include "message/message_route.h"
#include "metrics/stats.h"
#include "mysql/event_source.h"
#include "pipeline/publisher_stage.h"
#include "pipeline/reader_stage.h"
#include "pipeline/snapshot_control.h"
#include "schema/schema_history.h"
#include "sink/publisher.h"

namespace mm::pipeline {

struct PipelineOptions {
  ReaderOptions reader;
  message::RoutingKeyTemplate routing_key;  // [amqp] routing_key, expanded per row message
  PublisherOptions publisher;
  size_t source_queue_batches = 16;  // of up to 64 items each (the reader's hand-over)
  size_t source_queue_bytes = 64u << 20;
  size_t publish_queue_items = 1024;
  size_t publish_queue_bytes = 64u << 20;
  std::chrono::milliseconds stop_timeout{15000};
  std::chrono::milliseconds delay{0};  // delay buffer window; 0 = no buffer
  size_t delay_max_entries = 200000;   // beyond this the oldest are released early
  SnapshotOptions snapshot;
  message::MessageFormat message_format = message::MessageFormat::Native;  // [message] format
};

class Pipeline {
 public:
  // Every reference must outlive the pipeline; `history` may be null. Every stage, the delay
  // buffer and the queues count into `stats`.
  Pipeline(mysql::EventSource& source, schema::SchemaHistory* history, sink::Publisher& publisher,
           checkpoint::StateStore& state, const Clock& clock, metrics::Stats& stats,
           PipelineOptions options)
      : source_(source), history_(history), publisher_(publisher), state_(state), clock_(clock),
        stats_(stats), options_(std::move(options)) {}

  Status run(const checkpoint::Checkpoint& start);
  void requestStop();

  // Runs the snapshot worker beside the stages (pipeline/snapshot_stage.h), reading from `source`
  // and taking requests through `control`; `first_start` (no saved state) lets
  // [snapshot] mode = initial begin one. Both must outlive the pipeline. Call before run().
  void attachSnapshot(mysql::SnapshotSource& source, SnapshotControl& control, bool first_start) {
    snapshot_source_ = &source;
    snapshot_control_ = &control;
    first_start_ = first_start;
  }

 private:
  struct Stages;
  struct Outcome {
    Status reader, transformer, publisher, snapshot;
  };
  // Runs each stage on its thread until all have ended.
  Outcome runStages(Stages& stages, const checkpoint::Checkpoint& start);
  // Waits until every stage ended; once stopping began, at most stop_timeout before a hard stop.
  void supervise(const std::atomic<int>& running);

  mysql::EventSource& source_;
  schema::SchemaHistory* history_;
  sink::Publisher& publisher_;
  checkpoint::StateStore& state_;
  const Clock& clock_;
  metrics::Stats& stats_;
  PipelineOptions options_;
  mysql::SnapshotSource* snapshot_source_ = nullptr;
  SnapshotControl* snapshot_control_ = nullptr;
  bool first_start_ = false;

  std::stop_source reader_stop_;  // phase 1: stop reading
  std::stop_source hard_stop_;    // phase 2: everyone stops now
  std::mutex mutex_;
  std::condition_variable finished_cv_;
  int stop_requests_ = 0;  // guarded by mutex_
};

}  // namespace mm::pipeline
