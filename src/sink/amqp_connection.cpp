#include "sink/amqp_connection.h"

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>
#include <sys/time.h>

#include <fmt/format.h>

#include "common/check.h"
#include "sink/amqp_bytes.h"

namespace mm::sink {
namespace {
constexpr int kFrameMax = 131072;
}  // namespace

AmqpConnection::AmqpConnection(AmqpOptions options) : options_(std::move(options)) {
  MM_CHECK(!options_.brokers.empty(), "AmqpConnection needs at least one broker");
}

AmqpConnection::~AmqpConnection() { close(); }

std::string AmqpConnection::where() const {
  const BrokerAddress& broker = options_.brokers[current_broker_];
  return fmt::format("AMQP broker {}:{}{}", broker.host, broker.port, options_.tls.enabled ? " (TLS)" : "");
}

void AmqpConnection::close() {
  if (state_ != nullptr) {
    amqp_connection_close(state_, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(state_);
    state_ = nullptr;
  }
}

Status AmqpConnection::rpcStatus(std::string_view doing) const {
  const amqp_rpc_reply_t reply = amqp_get_rpc_reply(state_);
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return Status::ok();
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      return Status::io(fmt::format("{}: {}: {}", where(), doing, amqp_error_string2(reply.library_error)));
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        auto* m = static_cast<amqp_connection_close_t*>(reply.reply.decoded);
        return Status::protocol(fmt::format("{}: {}: {} {}", where(), doing, m->reply_code, textOf(m->reply_text)));
      }
      if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        auto* m = static_cast<amqp_channel_close_t*>(reply.reply.decoded);
        return Status::protocol(fmt::format("{}: {}: {} {}", where(), doing, m->reply_code, textOf(m->reply_text)));
      }
      return Status::protocol(fmt::format("{}: {}: unexpected method 0x{:08X}", where(), doing, reply.reply.id));
    default:
      return Status::io(fmt::format("{}: {}: no reply", where(), doing));
  }
}

Status AmqpConnection::open(std::string_view connection_name, const std::function<Status()>& set_up) {
  Status status;
  for (size_t attempt = 0; attempt < options_.brokers.size(); ++attempt) {
    const size_t index = (current_broker_ + attempt) % options_.brokers.size();
    current_broker_ = index;
    status = openOn(options_.brokers[index], connection_name, set_up);
    if (status.isOk()) {
      return status;
    }
  }
  return options_.brokers.size() == 1
             ? status
             : status.withContext(fmt::format("none of the {} brokers answered; last", options_.brokers.size()));
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
      return Status::invalidArgument(fmt::format("{}: cannot load [amqp] ssl_ca {}", where(), options_.tls.ca_file));
    }
    if (!options_.tls.cert_file.empty() &&
        amqp_ssl_socket_set_key(socket, options_.tls.cert_file.c_str(), options_.tls.key_file.c_str()) !=
            AMQP_STATUS_OK) {
      return Status::invalidArgument(fmt::format("{}: cannot load [amqp] ssl_cert {} / ssl_key {}", where(),
                                                 options_.tls.cert_file, options_.tls.key_file));
    }
  } else {
    socket = amqp_tcp_socket_new(state_);
    if (socket == nullptr) {
      return Status::internal(fmt::format("{}: cannot create a socket", where()));
    }
  }
  timeval timeout{options_.connect_timeout_seconds, 0};
  const int opened = amqp_socket_open_noblock(socket, broker.host.c_str(), broker.port, &timeout);
  if (opened != AMQP_STATUS_OK) {
    return Status::io(fmt::format("{}: cannot connect: {}", where(), amqp_error_string2(opened)));
  }
  return Status::ok();
}

Status AmqpConnection::login(std::string_view connection_name) {
  // Announcing connection.blocked makes a broker alarm visible (connection.blocked/unblocked)
  // instead of the broker silently not reading our socket. rabbitmq-c merges these with its own
  // client properties.
  amqp_table_entry_t capability{};
  capability.key = amqp_cstring_bytes("connection.blocked");
  capability.value.kind = AMQP_FIELD_KIND_BOOLEAN;
  capability.value.value.boolean = 1;
  amqp_table_entry_t properties[2]{};
  properties[0].key = amqp_cstring_bytes("capabilities");
  properties[0].value.kind = AMQP_FIELD_KIND_TABLE;
  properties[0].value.value.table = amqp_table_t{1, &capability};
  properties[1].key = amqp_cstring_bytes("connection_name");
  properties[1].value.kind = AMQP_FIELD_KIND_UTF8;
  properties[1].value.value.bytes = bytesOf(connection_name);
  const amqp_table_t client_properties{2, properties};
  const amqp_rpc_reply_t reply = amqp_login_with_properties(
      state_, options_.vhost.c_str(), 0, kFrameMax, options_.heartbeat_seconds, &client_properties,
      AMQP_SASL_METHOD_PLAIN, options_.user.c_str(), options_.password.c_str());
  if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
    return rpcStatus(fmt::format(
        "login as '{}' on vhost '{}' failed (check [amqp] user, password and vhost{})", options_.user,
        options_.vhost,
        options_.tls.enabled ? "; over TLS the broker may also have refused the client: does it "
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
  if (!status.isOk()) {
    close();
  }
  return status;
}

}  // namespace mm::sink
