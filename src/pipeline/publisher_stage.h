// PublisherStage (thread 3): publishes messages with publisher confirms and moves the checkpoint.
//
// Keeps every message in an in-flight list (in order) until the broker confirms it; the checkpoint
// is the mark of the longest confirmed prefix, handed every checkpoint_interval to a
// CheckpointWriter that saves it atomically on its own thread (further apart on a slow disk:
// pipeline/save_cadence.h), and saved when the stage ends (design.md §3-4). A nack, a returned message
// (`mandatory`), a closed channel or a lost connection never drops a message: the stage
// reconnects (capped exponential backoff with jitter; the publisher tries its brokers in turn) and
// publishes every unconfirmed message again, in the original order (consumers de-duplicate on
// message_id). At most `confirm_window` messages are unconfirmed; beyond that the stage stops
// taking input, so a slow or absent broker backs the pipeline up to the reader. While the broker
// has blocked the connection (memory or disk alarm) the stage publishes nothing and only polls,
// which keeps AMQP heartbeats going.
//
// A heartbeat message goes out after heartbeat_interval without any message.
//
// A message larger than the broker takes (sink::Publisher::maxMessageSize: configured, or learned
// from the broker's refusal, which closed the channel) is never published again: with
// OversizePolicy::Fail the stage stops publishing at it, waits up to drain_timeout for the
// confirms of the messages before it, saves the checkpoint (which stays before it) and returns an
// error naming the row, its size and the limit; with Stub it publishes a row_oversize message
// (message/row_oversize.h) in its place and goes on. Every reconnect backs off, a lost link and a
// closed channel included, so a message the broker refuses for another reason cannot make a tight
// reconnect loop either.
#pragma once

#include <chrono>
#include <deque>
#include <stop_token>
#include <string>

#include "checkpoint/checkpoint.h"
#include "checkpoint/state_file.h"
#include "common/clock.h"
#include "common/status.h"
#include "metrics/stats.h"
#include "pipeline/bounded_queue.h"
#include "pipeline/checkpoint_writer.h"
#include "pipeline/items.h"
#include "pipeline/reconnect_backoff.h"
#include "pipeline/ring_buffer.h"
#include "sink/publisher.h"

namespace mm::pipeline {

// What to do with a row message larger than the broker takes ([amqp] on_oversize).
enum class OversizePolicy {
  Fail,  // stop with an error naming the row, its size and the limit
  Stub,  // publish a row_oversize message in its place and go on
};

struct PublisherOptions {
  std::string heartbeat_routing_key = "monitor";  // row messages carry their own
  size_t confirm_window = 1000;
  // How often the checkpoint is saved at most ([monitor] checkpoint_interval_ms): what a crash may
  // re-publish beyond the unconfirmed window (pipeline/save_cadence.h).
  std::chrono::milliseconds checkpoint_interval{50};
  std::chrono::seconds heartbeat_interval{30};  // 0 = no heartbeats
  std::chrono::milliseconds drain_timeout{10000};  // after the input ends, wait this long for confirms
  std::chrono::milliseconds min_reconnect_backoff{250};
  std::chrono::milliseconds max_reconnect_backoff{30000};
  OversizePolicy on_oversize = OversizePolicy::Fail;
  metrics::Stats* stats = nullptr;  // where to report; null = a private one
};

struct PublisherStats {
  uint64_t published = 0;
  uint64_t confirmed = 0;
  uint64_t republished = 0;
};

class PublisherStage {
 public:
  // All references must outlive the stage. `initial` is the checkpoint the pipeline started from.
  PublisherStage(sink::Publisher& publisher, BoundedQueue<PublishBatch>& in, checkpoint::StateFile& state,
                 const Clock& clock, PublisherOptions options, checkpoint::Checkpoint initial)
      : publisher_(publisher), in_(in), clock_(clock), options_(std::move(options)),
        backoff_(options_.min_reconnect_backoff, options_.max_reconnect_backoff),
        checkpoint_(std::make_shared<const checkpoint::Checkpoint>(initial)),
        checkpoint_rows_done_(initial.rows_done), offered_(initial),
        metrics_(options_.stats != nullptr ? *options_.stats : own_metrics_),
        heartbeat_route_(makeRoute(options_.heartbeat_routing_key, {{"type", "heartbeat"}})),
        writer_(state, clock, options_.checkpoint_interval, std::move(initial),
                [this](const checkpoint::Checkpoint& saved) {
                  metrics::add(metrics_.checkpoints_saved);
                  reportCheckpoint(saved);
                }) {}

  // Runs until the input is closed and everything is confirmed (or drain_timeout passed), or
  // `stop` is requested. `draining` (the pipeline's stop request) ends it early, with Cancelled,
  // while the broker is unreachable and nothing is unconfirmed: nothing would be gained by
  // waiting for it. A broker's refusal (StatusCode::Refused: credentials, vhost, permissions, a
  // conflicting exchange) ends it with that error instead of a retry. Saves the checkpoint
  // before returning.
  Status run(std::stop_token stop, std::stop_token draining = {});

  const PublisherStats& stats() const { return stats_; }
  checkpoint::Checkpoint checkpoint() const;

 private:
  struct InFlight {
    PublishItem item;
    uint64_t sequence = 0;      // position in the stream, to find the entry from a delivery tag
    uint64_t delivery_tag = 0;  // 0 = not published on the current connection
    bool confirmed = false;
  };
  // A message published on the current connection and not yet confirmed. Delivery tags grow in
  // publishing order, so this list is sorted by tag and acks mostly remove from its front.
  struct Awaiting {
    uint64_t delivery_tag;
    uint64_t sequence;
  };

  bool isMessage(const InFlight& f) const { return f.item.isMessage(); }
  Status ensureConnected(std::stop_token stop);
  void append(PublishItem item);
  void publish(InFlight& entry);
  // `entry`'s body is over the broker's `limit`: replaces it with a row_oversize message (true), or
  // halts the stage at it (false).
  bool handleOversize(InFlight& entry, uint64_t limit);
  bool halted() const { return !halt_reason_.isOk(); }
  void pollBroker(std::chrono::milliseconds timeout);
  void confirm(uint64_t sequence);
  bool isConfirmed(uint64_t sequence) const;
  void acknowledge(const sink::BrokerEvent& ack);
  void advanceCheckpoint();
  Status maybeSave(bool force);
  void maybeHeartbeat();
  // A saved checkpoint (or the one the stage started from), to the metrics.
  void reportCheckpoint(const checkpoint::Checkpoint& saved);
  // Forgets the connection; every unconfirmed message goes out again after reconnecting, after the
  // next backoff delay.
  void markDisconnected(const Status& why);

  sink::Publisher& publisher_;
  std::stop_token draining_;  // run()'s `draining`
  std::stop_token wake_;      // stop or draining: ends a backoff wait
  BoundedQueue<PublishBatch>& in_;
  const Clock& clock_;
  PublisherOptions options_;

  PublishBatch pending_;     // the batch being taken from the input
  size_t pending_next_ = 0;  // its first item not yet appended
  RingBuffer<InFlight> in_flight_;
  std::deque<Awaiting> awaiting_;
  uint64_t next_sequence_ = 0;
  // Not ok once a message too large for the broker halted the stage (OversizePolicy::Fail): nothing
  // from halted_sequence_ on is published, and run() ends with this error.
  Status halt_reason_;
  uint64_t halted_sequence_ = 0;
  size_t unconfirmed_ = 0;
  bool connected_ = false;
  bool blocked_ = false;
  ReconnectBackoff backoff_;
  std::chrono::steady_clock::time_point reconnect_not_before_{};
  // The longest confirmed prefix's mark, as the items carry it (PublishItem::after()); offered_ is
  // the last one handed to the writer, next_offer_ when the next may be.
  SharedCheckpoint checkpoint_;
  uint64_t checkpoint_rows_done_ = 0;
  checkpoint::Checkpoint offered_;
  std::chrono::steady_clock::time_point next_offer_{};
  std::chrono::steady_clock::time_point last_message_{};
  uint64_t publishes_ = 0;       // messages sent, first sends and resends
  uint64_t publishes_seen_ = 0;  // publishes_ when last_message_ was last set
  std::vector<sink::BrokerEvent> events_;
  PublisherStats stats_;
  metrics::Stats own_metrics_;
  metrics::Stats& metrics_;
  bool connect_attempted_ = false;
  SharedRoute heartbeat_route_;
  CheckpointWriter writer_;  // last: its thread calls back into metrics_ until it is destroyed
};

}  // namespace mm::pipeline
