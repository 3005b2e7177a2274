// PublisherStage (thread 3): publishes messages with publisher confirms and moves the checkpoint.
//
// The stage is the loop that does the I/O (sink::Publisher calls, waits on the Clock, the hand-off
// to the CheckpointWriter); what is in flight, and what follows from the broker's answers, is the
// InFlightWindow's (pipeline/in_flight_window.h). Keeps every message in the window (in order)
// until the broker confirms it; the checkpoint is the window's low-water mark, handed every
// checkpoint_interval to a CheckpointWriter that saves it atomically on its own thread (further
// apart on a slow disk: pipeline/save_cadence.h), and saved when the stage ends (docs/design.md
// §3-4). A nack, a returned message (`mandatory`), a closed channel or a lost connection never
// drops a message: the stage reconnects (capped exponential backoff with jitter; the publisher
// tries its brokers in turn) and publishes every unconfirmed message again, in the original order
// (consumers de-duplicate on message_id). At most `confirm_window` messages are unconfirmed;
// beyond that the stage stops taking input, so a slow or absent broker backs the pipeline up to
// the reader. While the broker has blocked the connection (memory or disk alarm) the stage
// publishes nothing and only polls, which keeps AMQP heartbeats going.
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

#include <atomic>
#include <chrono>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "checkpoint/checkpoint.h"
#include "checkpoint/state_store.h"
#include "common/clock.h"
#include "common/status.h"
#include "message/message_format.h"
#include "metrics/stats.h"
#include "pipeline/bounded_queue.h"
#include "pipeline/checkpoint_writer.h"
#include "pipeline/in_flight_window.h"
#include "pipeline/items.h"
#include "pipeline/reconnect_backoff.h"
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
  // After the input ends, wait this long for confirms.
  std::chrono::milliseconds drain_timeout{10000};
  std::chrono::milliseconds min_reconnect_backoff{250};
  std::chrono::milliseconds max_reconnect_backoff{30000};
  OversizePolicy on_oversize = OversizePolicy::Fail;
  // The heartbeat's body and id follow the message contract (message/origin_message.h).
  message::MessageFormat message_format = message::MessageFormat::Native;
  // The leader's lease (state/leader_lease.h validUntil(): steady_clock nanoseconds): while
  // monotonicNow() is past it, nothing is published, so a leader paused or cut off past the time
  // the server may have handed the lock to a standby never publishes after it
  // (docs/high-availability.md "Fencing"). Null: no lease (state_store = file).
  const std::atomic<int64_t>* lease_valid_until = nullptr;
};

class PublisherStage {
 public:
  // All references must outlive the stage. `initial` is the checkpoint the pipeline started from.
  // The stage and its CheckpointWriter count into `stats` (messages_*, broker_*,
  // checkpoints_saved).
  PublisherStage(sink::Publisher& publisher, BoundedQueue<PublishBatch>& in,
                 checkpoint::StateStore& state, const Clock& clock, metrics::Stats& stats,
                 PublisherOptions options, const checkpoint::Checkpoint& initial);

  // Runs until the input is closed and everything is confirmed (or drain_timeout passed), or
  // `stop` is requested. `draining` (the pipeline's stop request) ends it early, with Cancelled,
  // while the broker is unreachable and nothing is unconfirmed: nothing would be gained by
  // waiting for it. A broker's refusal (StatusCode::Refused: credentials, vhost, permissions, a
  // conflicting exchange) ends it with that error instead of a retry. Saves the checkpoint
  // before returning.
  Status run(std::stop_token stop, std::stop_token draining = {});

  // The low-water mark: where a restart would resume.
  checkpoint::Checkpoint checkpoint() const { return window_.lowWaterMark(); }

 private:
  using Entry = InFlightWindow::Entry;

  Status ensureConnected(std::stop_token stop);
  // One connection attempt, interruptible by a stop (and by a drain with nothing unconfirmed).
  Status connect(std::stop_token stop);
  // After a new connection: every unconfirmed message goes out again, in the original order.
  void republish();
  // One turn of the loop on a live connection: input, broker, checkpoint. True when the stage is
  // done (the input ended and everything is confirmed, or the drain timed out).
  Result<bool> turn();
  // Takes queued input into the window (item by item, up to confirm_window) and publishes it.
  void takeInput();
  bool drainEnded() const;
  void append(PublishItem item);
  void publish(Entry& entry);
  // `entry`'s body is over the broker's `limit`: replaces it with a row_oversize message (true), or
  // halts the stage at it (false).
  bool handleOversize(Entry& entry, uint64_t limit);
  void pollBroker(std::chrono::milliseconds timeout);
  // Handles one broker event; false when it ended the connection (what follows is moot).
  bool handle(const sink::BrokerEvent& event);
  Status maybeSave();
  void maybeHeartbeat();
  // The lease this leader publishes under is past its time (PublisherOptions::lease_valid_until).
  bool leaseExpired() const;
  // A leader's saves lag more than a confirm window of messages (CheckpointWriter::behind()).
  bool savesBehind() const;
  // Forgets the connection; every unconfirmed message goes out again after reconnecting, after the
  // next backoff delay.
  void markDisconnected(const Status& why);

  sink::Publisher& publisher_;
  std::stop_token draining_;  // run()'s `draining`
  std::stop_token wake_;      // stop or draining: ends a backoff wait
  BoundedQueue<PublishBatch>& in_;
  const Clock& clock_;
  metrics::Stats& stats_;
  PublisherOptions options_;

  PublishBatch pending_;     // the batch being taken from the input
  size_t pending_next_ = 0;  // its first item not yet appended
  InFlightWindow window_;
  // Not ok once a message too large for the broker halted the stage (OversizePolicy::Fail): the
  // window publishes nothing from it on, and run() ends with this error.
  Status halt_reason_;
  bool connected_ = false;
  bool blocked_ = false;
  bool connect_attempted_ = false;
  ReconnectBackoff backoff_;
  std::chrono::steady_clock::time_point reconnect_not_before_{};
  // Set once the input ended or the stage halted: wait for confirms until then, no longer.
  std::optional<std::chrono::steady_clock::time_point> drain_deadline_;
  // The last mark handed to the writer, and when the next may be.
  checkpoint::Checkpoint offered_;
  std::chrono::steady_clock::time_point next_offer_{};
  std::chrono::steady_clock::time_point last_message_{};
  uint64_t publishes_ = 0;       // messages sent, first sends and resends
  uint64_t publishes_seen_ = 0;  // publishes_ when last_message_ was last set
  std::vector<sink::BrokerEvent> events_;
  SharedRoute heartbeat_route_;
  CheckpointWriter writer_;  // last: its thread reports to stats_ until it is destroyed
};

}  // namespace mm::pipeline
