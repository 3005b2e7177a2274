// Publisher: where the publisher stage sends messages. The sink knows nothing of binlogs or rows:
// it publishes opaque bodies with a few properties and headers and reports the broker's answers.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace mm::sink {

// Application headers of a message (AMQP table of string values), in the order given.
using MessageHeaders = std::vector<std::pair<std::string, std::string>>;

struct OutgoingMessage {
  std::string_view body;
  std::string_view message_id;  // stable across restarts: consumers de-duplicate on it
  std::string_view routing_key;
  int64_t timestamp = 0;  // Unix seconds
  std::span<const std::pair<std::string, std::string>> headers;
};

// What the broker told us. Ack/Nack are for one delivery tag, or for every tag up to it when
// `multiple`. Returned = a `mandatory` message no queue took; the broker does not say which
// delivery tag (it acks that tag right after), so `delivery_tag` is 0. Blocked/Unblocked = the
// broker stopped/resumed reading our messages (memory or disk alarm); publishing while blocked
// stalls. `detail` describes Returned, Blocked and Unblocked for the log.
struct BrokerEvent {
  enum class Kind { Ack, Nack, Returned, Blocked, Unblocked };
  uint64_t delivery_tag = 0;
  bool multiple = false;
  Kind kind = Kind::Ack;
  std::string detail;
};

class Publisher {
 public:
  virtual ~Publisher() = default;

  // Connects (or reconnects) and prepares the exchange. Delivery tags restart at 1, and a new
  // connection starts unblocked.
  virtual Status connect() = 0;

  // Sends a persistent message and returns its delivery tag. Io when the link is down.
  virtual Result<uint64_t> publish(const OutgoingMessage& message) = 0;

  // Appends the events that arrive within `timeout` (at least one wait; returns early once some
  // arrived and no more are buffered). This is also when the connection is serviced (AMQP
  // heartbeats): call it regularly, even when idle or blocked. Protocol/Io errors when the broker
  // closes the channel or the link fails.
  virtual Status poll(std::chrono::milliseconds timeout, std::vector<BrokerEvent>& out) = 0;

  // Thread-safe, for a stop: makes a connect() in progress, and every later one, end at once with
  // Cancelled. A publisher whose connect() cannot wait long may keep this no-op.
  virtual void interrupt() {}

  // The broker connected to (or tried last), for logs: "AMQP broker host:port (TLS)".
  virtual std::string describe() const = 0;

  // The largest message body the broker takes, in bytes; 0 = not known. Set by configuration, or
  // learned when the broker refused a larger body (RabbitMQ closes the channel with 406 and its
  // max_message_size in the reply text): kept across reconnects. A body larger than this must not
  // be published, or the broker closes the channel again (and every message after it is lost
  // with the channel, to be published again).
  virtual uint64_t maxMessageSize() const { return 0; }
};

}  // namespace mm::sink
