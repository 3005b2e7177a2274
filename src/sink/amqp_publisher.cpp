#include "sink/amqp_publisher.h"

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>
#include <sys/time.h>

#include <fmt/format.h>

#include "common/check.h"

namespace mm::sink {
namespace {

constexpr amqp_channel_t kChannel = 1;
constexpr int kFrameMax = 131072;

amqp_bytes_t bytesOf(std::string_view s) {
  return amqp_bytes_t{s.size(), const_cast<char*>(s.data())};
}

std::string textOf(amqp_bytes_t bytes) {
  return std::string(static_cast<const char*>(bytes.bytes), bytes.len);
}

std::string describeClose(const amqp_frame_t& frame) {
  if (frame.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD) {
    auto* m = static_cast<amqp_channel_close_t*>(frame.payload.method.decoded);
    return fmt::format("channel closed by broker: {} {}", m->reply_code, textOf(m->reply_text));
  }
  auto* m = static_cast<amqp_connection_close_t*>(frame.payload.method.decoded);
  return fmt::format("connection closed by broker: {} {}", m->reply_code, textOf(m->reply_text));
}

}  // namespace

AmqpPublisher::AmqpPublisher(AmqpOptions options) : options_(std::move(options)) {
  MM_CHECK(!options_.brokers.empty(), "AmqpPublisher needs at least one broker");
}

AmqpPublisher::~AmqpPublisher() { disconnect(); }

std::string AmqpPublisher::where() const {
  const BrokerAddress& broker = options_.brokers[current_broker_];
  return fmt::format("AMQP broker {}:{}{}", broker.host, broker.port, options_.tls.enabled ? " (TLS)" : "");
}

void AmqpPublisher::disconnect() {
  if (connection_ != nullptr) {
    amqp_connection_close(connection_, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(connection_);
    connection_ = nullptr;
  }
}

Status AmqpPublisher::rpcStatus(std::string_view doing) {
  const amqp_rpc_reply_t reply = amqp_get_rpc_reply(connection_);
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

Status AmqpPublisher::connect() {
  // Start with the broker that worked last: after a blip it is the likeliest to answer, and a
  // cluster's other nodes are next in turn.
  Status status;
  for (size_t attempt = 0; attempt < options_.brokers.size(); ++attempt) {
    const size_t index = (current_broker_ + attempt) % options_.brokers.size();
    current_broker_ = index;
    status = connectTo(options_.brokers[index]);
    if (status.isOk()) {
      return status;
    }
  }
  return options_.brokers.size() == 1
             ? status
             : status.withContext(fmt::format("none of the {} brokers answered; last", options_.brokers.size()));
}

Status AmqpPublisher::openSocket(const BrokerAddress& broker) {
  amqp_socket_t* socket = nullptr;
  if (options_.tls.enabled) {
    socket = amqp_ssl_socket_new(connection_);
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
    socket = amqp_tcp_socket_new(connection_);
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

Status AmqpPublisher::login() {
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
  properties[1].value.value.bytes = amqp_cstring_bytes("mysql-monitor");
  const amqp_table_t client_properties{2, properties};
  const amqp_rpc_reply_t reply = amqp_login_with_properties(
      connection_, options_.vhost.c_str(), 0, kFrameMax, options_.heartbeat_seconds, &client_properties,
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

Status AmqpPublisher::connectTo(const BrokerAddress& broker) {
  disconnect();
  next_delivery_tag_ = 1;
  connection_ = amqp_new_connection();
  // Without these a broker that accepts the TCP connection and then says nothing (a stalled link,
  // a booting node) would hang the handshake or a declare forever.
  timeval rpc_timeout{options_.connect_timeout_seconds, 0};
  amqp_set_handshake_timeout(connection_, &rpc_timeout);
  amqp_set_rpc_timeout(connection_, &rpc_timeout);
  Status status = openSocket(broker);
  if (status.isOk()) {
    status = login();
  }
  if (status.isOk()) {
    amqp_channel_open(connection_, kChannel);
    status = rpcStatus("cannot open a channel");
  }
  if (status.isOk()) {
    amqp_confirm_select(connection_, kChannel);
    status = rpcStatus("cannot enable publisher confirms");
  }
  if (status.isOk()) {
    amqp_exchange_declare(connection_, kChannel, amqp_cstring_bytes(options_.exchange.c_str()),
                          amqp_cstring_bytes(options_.exchange_type.c_str()), /*passive=*/0,
                          /*durable=*/1, /*auto_delete=*/0, /*internal=*/0, amqp_empty_table);
    status = rpcStatus(fmt::format("cannot declare exchange '{}' of type {}", options_.exchange,
                                   options_.exchange_type));
  }
  if (!status.isOk()) {
    disconnect();
  }
  return status;
}

Result<uint64_t> AmqpPublisher::publish(const OutgoingMessage& message) {
  if (connection_ == nullptr) {
    return Status::io(fmt::format("{}: not connected", where()));
  }
  amqp_basic_properties_t props{};
  props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
                 AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_TIMESTAMP_FLAG | AMQP_BASIC_APP_ID_FLAG;
  props.content_type = amqp_cstring_bytes("application/json");
  props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
  props.message_id = bytesOf(message.message_id);
  props.timestamp = static_cast<uint64_t>(message.timestamp);
  props.app_id = amqp_cstring_bytes("mysql-monitor");
  if (!message.headers.empty()) {
    header_entries_.resize(message.headers.size());
    for (size_t i = 0; i < message.headers.size(); ++i) {
      header_entries_[i].key = bytesOf(message.headers[i].first);
      header_entries_[i].value.kind = AMQP_FIELD_KIND_UTF8;
      header_entries_[i].value.value.bytes = bytesOf(message.headers[i].second);
    }
    props._flags |= AMQP_BASIC_HEADERS_FLAG;
    props.headers = amqp_table_t{static_cast<int>(header_entries_.size()), header_entries_.data()};
  }
  const int rc = amqp_basic_publish(connection_, kChannel, bytesOf(options_.exchange),
                                    bytesOf(message.routing_key), options_.mandatory ? 1 : 0,
                                    /*immediate=*/0, &props, bytesOf(message.body));
  if (rc != AMQP_STATUS_OK) {
    return Status::io(fmt::format("{}: publish failed: {}", where(), amqp_error_string2(rc)));
  }
  return next_delivery_tag_++;
}

Status AmqpPublisher::poll(std::chrono::milliseconds timeout, std::vector<BrokerEvent>& out) {
  if (connection_ == nullptr) {
    return Status::io(fmt::format("{}: not connected", where()));
  }
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
  timeval wait{static_cast<time_t>(micros / 1000000), static_cast<suseconds_t>(micros % 1000000)};
  bool first = true;
  for (;;) {
    if (!first && !amqp_frames_enqueued(connection_) && !amqp_data_in_buffer(connection_)) {
      return Status::ok();
    }
    timeval zero{0, 0};
    amqp_frame_t frame;
    const int rc = amqp_simple_wait_frame_noblock(connection_, &frame, first ? &wait : &zero);
    first = false;
    if (rc == AMQP_STATUS_TIMEOUT) {
      return Status::ok();
    }
    if (rc != AMQP_STATUS_OK) {
      Status status = Status::io(fmt::format("{}: connection lost: {}", where(), amqp_error_string2(rc)));
      disconnect();
      return status;
    }
    // Header and body frames follow a basic.return; the method frame said all we need.
    if (frame.frame_type != AMQP_FRAME_METHOD) {
      continue;
    }
    switch (frame.payload.method.id) {
      case AMQP_BASIC_ACK_METHOD: {
        auto* ack = static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded);
        out.push_back(BrokerEvent{ack->delivery_tag, ack->multiple != 0, BrokerEvent::Kind::Ack, {}});
        break;
      }
      case AMQP_BASIC_NACK_METHOD: {
        auto* nack = static_cast<amqp_basic_nack_t*>(frame.payload.method.decoded);
        out.push_back(BrokerEvent{nack->delivery_tag, nack->multiple != 0, BrokerEvent::Kind::Nack, {}});
        break;
      }
      case AMQP_BASIC_RETURN_METHOD: {
        auto* returned = static_cast<amqp_basic_return_t*>(frame.payload.method.decoded);
        out.push_back(BrokerEvent{0, false, BrokerEvent::Kind::Returned,
                              fmt::format("{}: message to exchange '{}' with routing key '{}' returned: {} {}",
                                          where(), textOf(returned->exchange), textOf(returned->routing_key),
                                          returned->reply_code, textOf(returned->reply_text))});
        break;
      }
      case AMQP_CONNECTION_BLOCKED_METHOD: {
        auto* why = static_cast<amqp_connection_blocked_t*>(frame.payload.method.decoded);
        out.push_back(BrokerEvent{0, false, BrokerEvent::Kind::Blocked,
                              fmt::format("{} blocked publishing: {}", where(), textOf(why->reason))});
        break;
      }
      case AMQP_CONNECTION_UNBLOCKED_METHOD:
        out.push_back(BrokerEvent{0, false, BrokerEvent::Kind::Unblocked, fmt::format("{} unblocked publishing", where())});
        break;
      case AMQP_CHANNEL_CLOSE_METHOD:
      case AMQP_CONNECTION_CLOSE_METHOD: {
        Status status = Status::protocol(fmt::format("{}: {}", where(), describeClose(frame)));
        disconnect();
        return status;
      }
      default:
        break;
    }
  }
}

}  // namespace mm::sink
