// AmqpConsumer: watches an exchange through a private queue, for `mysql-monitor tail`.
//
// connect() declares the exchange as the publisher does (durable, same type), so either may start
// first, then a server-named, exclusive, auto-delete queue bound with `binding_key`: the queue
// lives only as long as this connection and never takes messages from another consumer's queue.
// Messages are consumed without acknowledgement (the broker forgets them once sent to us).
// Not thread-safe; one thread owns the consumer.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "sink/amqp_connection.h"

namespace mm::sink {

struct ConsumedMessage {
  std::string routing_key;
  std::string message_id;  // empty when the publisher set none
  int64_t timestamp = 0;   // Unix seconds; 0 when the publisher set none
  bool redelivered = false;
  std::vector<std::pair<std::string, std::string>> headers;  // string-valued headers, in order
  std::string body;
};

class AmqpConsumer {
 public:
  // `options` names the brokers, credentials, TLS and the exchange with its type.
  AmqpConsumer(AmqpOptions options, std::string binding_key);

  // Connects, declares and binds. Errors name the broker and what failed.
  Status connect();

  // The next message, or nullopt when none arrives within `timeout`. Io when the link is lost.
  Result<std::optional<ConsumedMessage>> next(std::chrono::milliseconds timeout);

  // "AMQP broker host:port" for messages.
  std::string where() const { return connection_.where(); }

 private:
  Status declareAndConsume();

  AmqpOptions options_;
  std::string binding_key_;
  AmqpConnection connection_;
};

}  // namespace mm::sink
