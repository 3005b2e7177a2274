// AmqpConnection: one AMQP 0-9-1 connection (rabbitmq-c) with channel 1 open, to the first of the
// configured brokers that answers. The publisher and the consumer (`mysql-monitor tail`) share it,
// so both reach the brokers, log in, use TLS and report errors the same way.
//
// open() tries the brokers in turn, starting with the one that last worked (after a blip it is the
// likeliest to answer, and a cluster's other nodes come next), and returns the last error when none
// answers. The connection announces the `connection.blocked` capability. Errors name the broker
// (host:port) and the broker's reply text, never the password.
//
// Not thread-safe: rabbitmq-c connections belong to one thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

struct amqp_connection_state_t_;
struct amqp_socket_t_;
struct amqp_rpc_reply_t_;

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
  bool headers = true;  // send each message's headers (the route's database/table/type)
  // Send the timestamp property; off in [message] format = origin, whose messages had none.
  bool timestamp_property = true;
  int heartbeat_seconds = 30;
  int connect_timeout_seconds = 10;
  TlsOptions tls;
  // The broker's largest message body, when configured ([amqp] max_message_size); 0 = learn it
  // from the broker's refusal (Publisher::maxMessageSize).
  uint64_t max_message_size = 0;
};

// The channel every user of AmqpConnection works on.
inline constexpr uint16_t kAmqpChannel = 1;

class AmqpConnection {
 public:
  // Requires: options.brokers is not empty.
  explicit AmqpConnection(AmqpOptions options);
  ~AmqpConnection();
  AmqpConnection(const AmqpConnection&) = delete;
  AmqpConnection& operator=(const AmqpConnection&) = delete;

  // Closes any open connection, then per broker: socket (TLS when configured), login announcing
  // `connection_name`, channel 1, then `set_up` (declarations); the first broker where all of it
  // succeeds stays connected.
  Status open(std::string_view connection_name, const std::function<Status()>& set_up);
  void close();
  bool isOpen() const { return state_ != nullptr; }

  // Thread-safe, for a stop: an open() in progress, and every later one, ends at once with
  // Cancelled. The TCP connect is tried in slices of at most 1 s (without TLS) so the flag is seen
  // between them; once connected, the handshake's socket is shut down. An open connection is left
  // alone (its users stop on their own).
  void interrupt();

  // The rabbitmq-c connection while open, else nullptr.
  amqp_connection_state_t_* state() const { return state_; }

  // The outcome of the last synchronous method (amqp_get_rpc_reply) as a Status naming `doing`:
  // Refused (with the fix, sink/amqp_refusal.h) when the broker refused for good, Protocol for its
  // other replies, Io for the link.
  Status rpcStatus(std::string_view doing) const;

  // "AMQP broker host:port" (" (TLS)" appended over TLS) of the broker connected to (or tried
  // last), for messages.
  std::string where() const;
  const AmqpOptions& options() const { return options_; }

 private:
  Status openOn(const BrokerAddress& broker, std::string_view connection_name,
                const std::function<Status()>& set_up);
  Status openSocket(const BrokerAddress& broker);
  Status login(std::string_view connection_name);
  Status replyStatus(const amqp_rpc_reply_t_& reply, std::string_view doing) const;
  Status closedStatus(std::string_view doing, int reply_code, std::string_view reply_text) const;

  // Opens the socket, waiting for the TCP connect in slices that see interrupt().
  Status connectSocket(amqp_socket_t_* socket, const BrokerAddress& broker);

  AmqpOptions options_;
  size_t current_broker_ = 0;
  amqp_connection_state_t_* state_ = nullptr;
  std::atomic<bool> interrupted_{false};
  std::mutex opening_mutex_;
  int opening_socket_ = -1;  // guarded by opening_mutex_: the socket of an open() in its handshake
};

}  // namespace mm::sink
