// AmqpTestConsumer: a subscriber for integration tests. Declares an exclusive, auto-delete queue,
// binds it to an exchange (declaring the exchange durable as the monitor does, so either may come
// first) and fetches messages with a timeout. With a `durable_queue` name the queue is durable
// instead and outlives the connection and broker restarts (persistent messages included), and
// messages are acknowledged as they are taken, so a test can reconnect() after restarting the
// broker without losing any; deleteQueue() removes it. publish() sends a message of the test's own
// to the exchange, as the monitor would (tests/integration/example_consumers_test.cpp feeds the
// example consumers a hand-made snapshot). Not thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

struct amqp_connection_state_t_;

namespace mm::test {

struct ReceivedMessage {
  std::string body;
  std::string message_id;
  std::string content_type;
  uint8_t delivery_mode = 0;
  std::string routing_key;
  std::vector<std::pair<std::string, std::string>> headers;  // string-valued headers, in order
  std::optional<uint64_t> timestamp;                         // the property, when set
  std::optional<std::string> app_id;
  std::optional<std::string> type;
  bool has_headers = false;  // the headers property is set (whatever its entries)
};

class AmqpTestConsumer {
 public:
  ~AmqpTestConsumer();

  Status connect(const std::string& host, int port, const std::string& user,
                 const std::string& password, const std::string& exchange,
                 const std::string& exchange_type = "fanout", const std::string& binding_key = "#",
                 const std::string& durable_queue = "");

  // Before connect(): the durable queue is a quorum queue (x-queue-type = quorum, replicated on
  // a RabbitMQ cluster's nodes; README "Running against a RabbitMQ cluster").
  void useQuorumQueue() { quorum_ = true; }

  // Connects again with the arguments of the last connect() (after a broker restart).
  Status reconnect();

  // Deletes the durable queue (test cleanup).
  Status deleteQueue();

  // Publishes `body` (persistent, application/json, message_id `message_id`) to the exchange with
  // routing key `routing_key`. Io error when the connection refuses it.
  Status publish(const std::string& message_id, const std::string& body,
                 const std::string& routing_key = "");

  // The next message, or nullopt when none arrives within `timeout`.
  Result<std::optional<ReceivedMessage>> next(std::chrono::milliseconds timeout);

  // Collects messages until `count` arrived or `timeout` passed in total.
  std::vector<ReceivedMessage> take(size_t count, std::chrono::milliseconds timeout);

 private:
  void disconnect();

  amqp_connection_state_t_* connection_ = nullptr;
  std::string host_, user_, password_, exchange_, exchange_type_, binding_key_, durable_queue_;
  int port_ = 0;
  bool quorum_ = false;
};

}  // namespace mm::test
