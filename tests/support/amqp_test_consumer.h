// AmqpTestConsumer: a subscriber for integration tests. Declares an exclusive, auto-delete queue,
// binds it to an exchange (declaring the exchange durable as the monitor does, so either may come
// first) and fetches messages with a timeout. Not thread-safe.
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
};

class AmqpTestConsumer {
 public:
  ~AmqpTestConsumer();

  Status connect(const std::string& host, int port, const std::string& user, const std::string& password,
                 const std::string& exchange, const std::string& exchange_type = "fanout",
                 const std::string& binding_key = "#");

  // The next message, or nullopt when none arrives within `timeout`.
  Result<std::optional<ReceivedMessage>> next(std::chrono::milliseconds timeout);

  // Collects messages until `count` arrived or `timeout` passed in total.
  std::vector<ReceivedMessage> take(size_t count, std::chrono::milliseconds timeout);

 private:
  amqp_connection_state_t_* connection_ = nullptr;
};

}  // namespace mm::test
