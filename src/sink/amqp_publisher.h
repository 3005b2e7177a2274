// AmqpPublisher: a Publisher over one AMQP 0-9-1 connection (rabbitmq-c), one channel in confirm
// mode. Declares the exchange durable with the configured type; messages are persistent
// (delivery_mode 2), content_type application/json, with message_id, timestamp and app_id.
//
// rabbitmq-c connections are not thread-safe: one thread (the publisher stage) owns this object.
// AMQP heartbeats are served whenever the owner calls pollConfirms(), which the stage does
// continuously. Errors name the broker (host:port) and the broker's reply text.
#pragma once

#include <string>

#include "sink/publisher.h"

struct amqp_connection_state_t_;

namespace mm::sink {

struct AmqpOptions {
  std::string host = "localhost";
  int port = 5672;
  std::string user = "guest";
  std::string password = "guest";
  std::string vhost = "/";
  std::string exchange = "mysql-monitor";
  std::string exchange_type = "fanout";
  int heartbeat_seconds = 30;
  int connect_timeout_seconds = 10;
};

class AmqpPublisher final : public Publisher {
 public:
  explicit AmqpPublisher(AmqpOptions options) : options_(std::move(options)) {}
  ~AmqpPublisher() override;
  AmqpPublisher(const AmqpPublisher&) = delete;
  AmqpPublisher& operator=(const AmqpPublisher&) = delete;

  Status connect() override;
  Result<uint64_t> publish(const OutgoingMessage& message) override;
  Status pollConfirms(std::chrono::milliseconds timeout, std::vector<Confirm>& out) override;

 private:
  void disconnect();
  Status rpcStatus(std::string_view doing);
  std::string where() const;

  AmqpOptions options_;
  amqp_connection_state_t_* connection_ = nullptr;
  uint64_t next_delivery_tag_ = 1;
};

}  // namespace mm::sink
