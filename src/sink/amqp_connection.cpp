#include "sink/amqp_connection.h"

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "common/check.h"
#include "sink/amqp_bytes.h"
#include "sink/amqp_refusal.h"

namespace mm::sink {
namespace {
constexpr int kFrameMax = 131072;
// A TCP connect to an address that does not answer is retried in slices this long, so a stop
// request is seen within it (issue 16).
constexpr std::chrono::milliseconds kConnectSlice{1000};
}  // namespace

AmqpConnection::AmqpConnection(AmqpOptions options) : options_(std::move(options)) {
  MM_CHECK(!options_.brokers.empty(), "AmqpConnection needs at least one broker");
}

AmqpConnection::~AmqpConnection() { close(); }

std::string AmqpConnection::where() const {
  const BrokerAddress& broker = options_.brokers[current_broker_];
  return fmt::format("AMQP broker {}:{}{}", broker.host, broker.port,
                     options_.tls.enabled ? " (TLS)" : "");
}

void AmqpConnection::close() {
  if (state_ != nullptr) {
    amqp_connection_close(state_, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(state_);
    state_ = nullptr;
  }
}

Status AmqpConnection::closedStatus(std::string_view doing, int reply_code,
                                    std::string_view reply_text) const {
  std::string message = fmt::format("{}: {}: {} {}", where(), doing, reply_code, reply_text);
  // Credentials, permissions, a missing vhost, a conflicting exchange: retrying cannot help, and
  // the fix travels with the message so that the daemon and `check` print the same text.
  const std::string fix = amqpRefusalFix(reply_code, reply_text, options_.user, options_.vhost);
  if (!fix.empty()) {
    return Status::refused(fmt::format("{}; fix: {}", message, fix));
  }
  return Status::protocol(std::move(message));
}

Status AmqpConnection::rpcStatus(std::string_view doing) const {
  return replyStatus(amqp_get_rpc_reply(state_), doing);
}

Status AmqpConnection::replyStatus(const amqp_rpc_reply_t_& reply, std::string_view doing) const {
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL: return Status::ok();
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      return Status::io(
          fmt::format("{}: {}: {}", where(), doing, amqp_error_string2(reply.library_error)));
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        auto* m = static_cast<amqp_connection_close_t*>(reply.reply.decoded);
        return closedStatus(doing, m->reply_code, textOf(m->reply_text));
      }
      if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        auto* m = static_cast<amqp_channel_close_t*>(reply.reply.decoded);
        return closedStatus(doing, m->reply_code, textOf(m->reply_text));
      }
      return Status::protocol(
          fmt::format("{}: {}: unexpected method 0x{:08X}", where(), doing, reply.reply.id));
    default: return Status::io(fmt::format("{}: {}: no reply", where(), doing));
  }
}

void AmqpConnection::interrupt() {
  interrupted_ = true;
  std::lock_guard lock(opening_mutex_);
  if (opening_socket_ >= 0) {
    ::shutdown(opening_socket_, SHUT_RDWR);
  }
}

Status AmqpConnection::open(std::string_view connection_name,
                            const std::function<Status()>& set_up) {
  Status status;
  for (size_t attempt = 0; attempt < options_.brokers.size(); ++attempt) {
    const size_t index = (current_broker_ + attempt) % options_.brokers.size();
    current_broker_ = index;
    status = openOn(options_.brokers[index], connection_name, set_up);
    if (interrupted_) {
      close();
      return Status::cancelled(fmt::format("{}: connecting stopped by a stop request", where()));
    }
    if (status.isOk() || status.code() == StatusCode::Refused) {
      return status;
    }
  }
  return options_.brokers.size() == 1
             ? status
             : status.withContext(
                   fmt::format("none of the {} brokers answered; last", options_.brokers.size()));
}

Status AmqpConnection::openSocket(const BrokerAddress& broker) {
  amqp_socket_t* socket = nullptr;
  if (options_.tls.enabled) {
    socket = amqp_ssl_socket_new(state_);
    if (socket == nullptr) {
      return Status::internal(fmt::format("{}: cannot create a TLS socket", where()));
    }
    amqp_ssl_socket_set_verify_peer(socket, options_.tls.verify_peer ? 1 : 0);
    amqp_ssl_socket_set_verify_hostname(socket, options_.tls.verify_peer ? 1 : 0);
    if (!options_.tls.ca_file.empty() &&
        amqp_ssl_socket_set_cacert(socket, options_.tls.ca_file.c_str()) != AMQP_STATUS_OK) {
      return Status::invalidArgument(
          fmt::format("{}: cannot load [amqp] ssl_ca {}", where(), options_.tls.ca_file));
    }
    if (!options_.tls.cert_file.empty() &&
        amqp_ssl_socket_set_key(socket, options_.tls.cert_file.c_str(),
                                options_.tls.key_file.c_str()) != AMQP_STATUS_OK) {
      return Status::invalidArgument(fmt::format("{}: cannot load [amqp] ssl_cert {} / ssl_key {}",
                                                 where(), options_.tls.cert_file,
                                                 options_.tls.key_file));
    }
  } else {
    socket = amqp_tcp_socket_new(state_);
    if (socket == nullptr) {
      return Status::internal(fmt::format("{}: cannot create a socket", where()));
    }
  }
  return connectSocket(socket, broker);
}

Status AmqpConnection::connectSocket(amqp_socket_t* socket, const BrokerAddress& broker) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::seconds(options_.connect_timeout_seconds);
  for (;;) {
    // Over TLS the handshake happens inside the open: it gets the whole timeout, not a slice.
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    const auto slice = options_.tls.enabled ? left : std::min(left, kConnectSlice);
    timeval timeout{static_cast<time_t>(slice.count() / 1000),
                    static_cast<suseconds_t>(slice.count() % 1000 * 1000)};
    const int opened = amqp_socket_open_noblock(socket, broker.host.c_str(), broker.port, &timeout);
    if (opened == AMQP_STATUS_OK) {
      break;
    }
    if (opened != AMQP_STATUS_TIMEOUT || interrupted_ || Clock::now() >= deadline) {
      return Status::io(fmt::format("{}: cannot connect: {}", where(), amqp_error_string2(opened)));
    }
  }
  // From here on a stop shuts the socket down, which ends the handshake's wait.
  std::lock_guard lock(opening_mutex_);
  opening_socket_ = amqp_socket_get_sockfd(socket);
  if (interrupted_) {
    ::shutdown(opening_socket_, SHUT_RDWR);
  }
  return Status::ok();
}

Status AmqpConnection::login(std::string_view connection_name) {
  // Announcing connection.blocked makes a broker alarm visible (connection.blocked/unblocked)
  // instead of the broker silently not reading our socket. rabbitmq-c merges these with its own
  // client properties.
  // authentication_failure_close makes the broker answer wrong credentials with connection.close
  // 403 ACCESS_REFUSED instead of dropping the connection, so a refusal is told from a network
  // error (sink/amqp_refusal.h).
  amqp_table_entry_t capabilities[2]{};
  capabilities[0].key = amqp_cstring_bytes("connection.blocked");
  capabilities[0].value.kind = AMQP_FIELD_KIND_BOOLEAN;
  capabilities[0].value.value.boolean = 1;
  capabilities[1].key = amqp_cstring_bytes("authentication_failure_close");
  capabilities[1].value.kind = AMQP_FIELD_KIND_BOOLEAN;
  capabilities[1].value.value.boolean = 1;
  amqp_table_entry_t properties[2]{};
  properties[0].key = amqp_cstring_bytes("capabilities");
  properties[0].value.kind = AMQP_FIELD_KIND_TABLE;
  properties[0].value.value.table = amqp_table_t{2, capabilities};
  properties[1].key = amqp_cstring_bytes("connection_name");
  properties[1].value.kind = AMQP_FIELD_KIND_UTF8;
  properties[1].value.value.bytes = bytesOf(connection_name);
  const amqp_table_t client_properties{2, properties};
  const amqp_rpc_reply_t reply = amqp_login_with_properties(
      state_, options_.vhost.c_str(), 0, kFrameMax, options_.heartbeat_seconds, &client_properties,
      AMQP_SASL_METHOD_PLAIN, options_.user.c_str(), options_.password.c_str());
  if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
    // The login's own reply: amqp_get_rpc_reply() does not hold it.
    return replyStatus(
        reply,
        fmt::format("login as '{}' on vhost '{}' failed (check [amqp] user, password and vhost{})",
                    options_.user, options_.vhost,
                    options_.tls.enabled
                        ? "; over TLS the broker may also have refused the client: does it "
                          "require a client certificate ([amqp] ssl_cert, ssl_key)?"
                        : ""));
  }
  return Status::ok();
}

Status AmqpConnection::openOn(const BrokerAddress& broker, std::string_view connection_name,
                              const std::function<Status()>& set_up) {
  close();
  state_ = amqp_new_connection();
  // Without these a broker that accepts the TCP connection and then says nothing (a stalled link,
  // a booting node) would hang the handshake or a declare forever.
  timeval rpc_timeout{options_.connect_timeout_seconds, 0};
  amqp_set_handshake_timeout(state_, &rpc_timeout);
  amqp_set_rpc_timeout(state_, &rpc_timeout);
  Status status = openSocket(broker);
  if (status.isOk()) {
    status = login(connection_name);
  }
  if (status.isOk()) {
    amqp_channel_open(state_, kAmqpChannel);
    status = rpcStatus("cannot open a channel");
  }
  if (status.isOk()) {
    status = set_up();
  }
  {
    std::lock_guard lock(opening_mutex_);
    opening_socket_ = -1;
  }
  if (!status.isOk()) {
    close();
  }
  return status;
}

}  // namespace mm::sink
