// AmqpPublisher: a Publisher over one AMQP 0-9-1 connection (rabbitmq-c), one channel in confirm
// mode. Declares the exchange durable with the configured type; messages are persistent
// (delivery_mode 2), content_type application/json, with message_id, timestamp, app_id and the
// caller's headers.
//
// connect() tries the brokers in turn, starting with the one that last worked, and returns the
// last error when none answers (the caller backs off). The connection announces the
// `connection.blocked` capability, so a broker alarm arrives as a Blocked event instead of a silent
// stall. With `mandatory`, an unroutable message comes back as a Returned event.
//
// rabbitmq-c connections are not thread-safe: one thread (the publisher stage) owns this object.
// AMQP heartbeats are served whenever the owner calls into it (poll), which the stage does
// continuously. Errors name the broker (host:port) and the broker's reply text.
#pragma once

#include <string>
#include <vector>

#include "sink/publisher.h"

struct amqp_connection_state_t_;
struct amqp_table_entry_t_;

namespace mm::sink {

struct BrokerAddress {
  std::string host;
  int port = 5672;
};

struct TlsOptions {
  bool enabled = false;
  std::string ca_file;      // PEM file of the CAs that sign the broker's certificate
  bool verify_peer = true;  // check the broker's certificate chain and host name
  std::string cert_file;    // client certificate (optional, with key_file)
  std::string key_file;
};

struct AmqpOptions {
  std::vector<BrokerAddress> brokers{{"localhost", 5672}};
  std::string user = "guest";
  std::string password = "guest";
  std::string vhost = "/";
  std::string exchange = "mysql-monitor";
  std::string exchange_type = "fanout";
  bool mandatory = false;
  int heartbeat_seconds = 30;
  int connect_timeout_seconds = 10;
  TlsOptions tls;
};

class AmqpPublisher final : public Publisher {
 public:
  // Requires: options.brokers is not empty.
  explicit AmqpPublisher(AmqpOptions options);
  ~AmqpPublisher() override;
  AmqpPublisher(const AmqpPublisher&) = delete;
  AmqpPublisher& operator=(const AmqpPublisher&) = delete;

  Status connect() override;
  Result<uint64_t> publish(const OutgoingMessage& message) override;
  Status poll(std::chrono::milliseconds timeout, std::vector<BrokerEvent>& out) override;
  std::string describe() const override { return where(); }

 private:
  Status connectTo(const BrokerAddress& broker);
  Status openSocket(const BrokerAddress& broker);
  Status login();
  void disconnect();
  Status rpcStatus(std::string_view doing);
  std::string where() const;

  AmqpOptions options_;
  size_t current_broker_ = 0;  // the broker connected to, or tried last
  amqp_connection_state_t_* connection_ = nullptr;
  uint64_t next_delivery_tag_ = 1;
  std::vector<amqp_table_entry_t_> header_entries_;  // reused by publish()
};

}  // namespace mm::sink
