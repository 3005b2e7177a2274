#include "sink/amqp_publisher.h"

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <sys/time.h>

#include <fmt/format.h>

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

AmqpPublisher::~AmqpPublisher() { disconnect(); }

std::string AmqpPublisher::where() const { return fmt::format("AMQP broker {}:{}", options_.host, options_.port); }

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
  disconnect();
  next_delivery_tag_ = 1;
  connection_ = amqp_new_connection();
  amqp_socket_t* socket = amqp_tcp_socket_new(connection_);
  if (socket == nullptr) {
    return Status::internal("cannot create an AMQP socket");
  }
  timeval timeout{options_.connect_timeout_seconds, 0};
  const int opened = amqp_socket_open_noblock(socket, options_.host.c_str(), options_.port, &timeout);
  if (opened != AMQP_STATUS_OK) {
    Status status = Status::io(fmt::format("{}: cannot connect: {}", where(), amqp_error_string2(opened)));
    disconnect();
    return status;
  }
  const amqp_rpc_reply_t login =
      amqp_login(connection_, options_.vhost.c_str(), 0, kFrameMax, options_.heartbeat_seconds,
                 AMQP_SASL_METHOD_PLAIN, options_.user.c_str(), options_.password.c_str());
  if (login.reply_type != AMQP_RESPONSE_NORMAL) {
    Status status = rpcStatus(fmt::format("login as '{}' on vhost '{}' failed (check [amqp] user, "
                                          "password and vhost)",
                                          options_.user, options_.vhost));
    disconnect();
    return status;
  }
  amqp_channel_open(connection_, kChannel);
  Status status = rpcStatus("cannot open a channel");
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
  const int rc = amqp_basic_publish(connection_, kChannel, bytesOf(options_.exchange),
                                    bytesOf(message.routing_key), /*mandatory=*/0, /*immediate=*/0,
                                    &props, bytesOf(message.body));
  if (rc != AMQP_STATUS_OK) {
    return Status::io(fmt::format("{}: publish failed: {}", where(), amqp_error_string2(rc)));
  }
  return next_delivery_tag_++;
}

Status AmqpPublisher::pollConfirms(std::chrono::milliseconds timeout, std::vector<Confirm>& out) {
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
      return Status::io(fmt::format("{}: connection lost: {}", where(), amqp_error_string2(rc)));
    }
    if (frame.frame_type != AMQP_FRAME_METHOD) {
      continue;
    }
    switch (frame.payload.method.id) {
      case AMQP_BASIC_ACK_METHOD: {
        auto* ack = static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded);
        out.push_back(Confirm{ack->delivery_tag, ack->multiple != 0, true});
        break;
      }
      case AMQP_BASIC_NACK_METHOD: {
        auto* nack = static_cast<amqp_basic_nack_t*>(frame.payload.method.decoded);
        out.push_back(Confirm{nack->delivery_tag, nack->multiple != 0, false});
        break;
      }
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
