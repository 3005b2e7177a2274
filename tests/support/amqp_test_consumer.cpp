#include "support/amqp_test_consumer.h"

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>

#include <fmt/format.h>

namespace mm::test {
namespace {
constexpr amqp_channel_t kChannel = 1;

Status replyStatus(amqp_connection_state_t connection, std::string_view doing) {
  const amqp_rpc_reply_t reply = amqp_get_rpc_reply(connection);
  if (reply.reply_type == AMQP_RESPONSE_NORMAL) {
    return Status::ok();
  }
  return Status::protocol(fmt::format("test consumer: {} failed (reply type {})", doing,
                                      static_cast<int>(reply.reply_type)));
}

std::string textOf(amqp_bytes_t bytes) {
  return std::string(static_cast<const char*>(bytes.bytes), bytes.len);
}
}  // namespace

AmqpTestConsumer::~AmqpTestConsumer() { disconnect(); }

void AmqpTestConsumer::disconnect() {
  if (connection_ != nullptr) {
    amqp_connection_close(connection_, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(connection_);
    connection_ = nullptr;
  }
}

Status AmqpTestConsumer::reconnect() {
  return connect(host_, port_, user_, password_, exchange_, exchange_type_, binding_key_,
                 durable_queue_);
}

Status AmqpTestConsumer::deleteQueue() {
  if (connection_ == nullptr) {
    // Never connected (a fixture's SetUp failed first): rabbitmq-c would dereference null.
    return Status::ok();
  }
  amqp_queue_delete(connection_, kChannel, amqp_cstring_bytes(durable_queue_.c_str()), 0, 0);
  return replyStatus(connection_, "queue.delete");
}

Status AmqpTestConsumer::connect(const std::string& host, int port, const std::string& user,
                                 const std::string& password, const std::string& exchange,
                                 const std::string& exchange_type, const std::string& binding_key,
                                 const std::string& durable_queue) {
  disconnect();
  host_ = host;
  port_ = port;
  user_ = user;
  password_ = password;
  exchange_ = exchange;
  exchange_type_ = exchange_type;
  binding_key_ = binding_key;
  durable_queue_ = durable_queue;
  connection_ = amqp_new_connection();
  amqp_socket_t* socket = amqp_tcp_socket_new(connection_);
  if (amqp_socket_open(socket, host.c_str(), port) != AMQP_STATUS_OK) {
    return Status::io(fmt::format("test consumer: cannot connect to {}:{}", host, port));
  }
  if (amqp_login(connection_, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, user.c_str(),
                 password.c_str())
          .reply_type != AMQP_RESPONSE_NORMAL) {
    return Status::protocol("test consumer: login failed");
  }
  amqp_channel_open(connection_, kChannel);
  MM_RETURN_IF_ERROR(replyStatus(connection_, "channel.open"));
  amqp_exchange_declare(connection_, kChannel, amqp_cstring_bytes(exchange.c_str()),
                        amqp_cstring_bytes(exchange_type.c_str()), 0, 1, 0, 0, amqp_empty_table);
  MM_RETURN_IF_ERROR(replyStatus(connection_, "exchange.declare"));
  const bool durable = !durable_queue.empty();
  amqp_table_entry_t quorum_type;
  quorum_type.key = amqp_cstring_bytes("x-queue-type");
  quorum_type.value.kind = AMQP_FIELD_KIND_UTF8;
  quorum_type.value.value.bytes = amqp_cstring_bytes("quorum");
  const amqp_table_t arguments =
      durable && quorum_ ? amqp_table_t{1, &quorum_type} : amqp_empty_table;
  amqp_queue_declare_ok_t* queue = amqp_queue_declare(
      connection_, kChannel, amqp_cstring_bytes(durable_queue.c_str()), 0, durable ? 1 : 0,
      /*exclusive=*/durable ? 0 : 1, /*auto_delete=*/durable ? 0 : 1, arguments);
  MM_RETURN_IF_ERROR(replyStatus(connection_, "queue.declare"));
  const amqp_bytes_t queue_name = amqp_bytes_malloc_dup(queue->queue);
  amqp_queue_bind(connection_, kChannel, queue_name, amqp_cstring_bytes(exchange.c_str()),
                  amqp_cstring_bytes(binding_key.c_str()), amqp_empty_table);
  Status bound = replyStatus(connection_, "queue.bind");
  if (bound.isOk()) {
    // A durable queue is for tests that restart the broker: acknowledge each message only once
    // taken, so what was pushed to a connection that then died is delivered again.
    amqp_basic_consume(connection_, kChannel, queue_name, amqp_empty_bytes, 0,
                       /*no_ack=*/durable ? 0 : 1, 0, amqp_empty_table);
    bound = replyStatus(connection_, "basic.consume");
  }
  amqp_bytes_free(queue_name);
  return bound;
}

Status AmqpTestConsumer::publish(const std::string& message_id, const std::string& body,
                                 const std::string& routing_key) {
  amqp_basic_properties_t properties{};
  properties._flags =
      AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_MESSAGE_ID_FLAG;
  properties.content_type = amqp_cstring_bytes("application/json");
  properties.delivery_mode = 2;  // persistent, as the monitor publishes
  properties.message_id = amqp_cstring_bytes(message_id.c_str());
  const amqp_bytes_t bytes{body.size(), const_cast<char*>(body.data())};
  if (amqp_basic_publish(connection_, kChannel, amqp_cstring_bytes(exchange_.c_str()),
                         amqp_cstring_bytes(routing_key.c_str()), 0, 0, &properties,
                         bytes) != AMQP_STATUS_OK) {
    return Status::io(fmt::format("test consumer: publish of {} failed", message_id));
  }
  return Status::ok();
}

Result<std::optional<ReceivedMessage>> AmqpTestConsumer::next(std::chrono::milliseconds timeout) {
  amqp_maybe_release_buffers(connection_);
  amqp_envelope_t envelope;
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
  timeval wait{static_cast<time_t>(micros / 1000000), static_cast<suseconds_t>(micros % 1000000)};
  const amqp_rpc_reply_t reply = amqp_consume_message(connection_, &envelope, &wait, 0);
  if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
      reply.library_error == AMQP_STATUS_TIMEOUT) {
    return std::optional<ReceivedMessage>{};
  }
  if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
    return Status::io("test consumer: consume failed");
  }
  ReceivedMessage message;
  message.body = textOf(envelope.message.body);
  const amqp_basic_properties_t& p = envelope.message.properties;
  if (p._flags & AMQP_BASIC_MESSAGE_ID_FLAG)
    message.message_id = textOf(p.message_id);
  if (p._flags & AMQP_BASIC_CONTENT_TYPE_FLAG)
    message.content_type = textOf(p.content_type);
  if (p._flags & AMQP_BASIC_DELIVERY_MODE_FLAG)
    message.delivery_mode = p.delivery_mode;
  message.routing_key = textOf(envelope.routing_key);
  if (p._flags & AMQP_BASIC_TIMESTAMP_FLAG) {
    message.timestamp = p.timestamp;
  }
  if (p._flags & AMQP_BASIC_APP_ID_FLAG) {
    message.app_id = textOf(p.app_id);
  }
  if (p._flags & AMQP_BASIC_TYPE_FLAG) {
    message.type = textOf(p.type);
  }
  message.has_headers = (p._flags & AMQP_BASIC_HEADERS_FLAG) != 0;
  if (p._flags & AMQP_BASIC_HEADERS_FLAG) {
    for (int i = 0; i < p.headers.num_entries; ++i) {
      const amqp_table_entry_t& entry = p.headers.entries[i];
      if (entry.value.kind == AMQP_FIELD_KIND_UTF8 || entry.value.kind == AMQP_FIELD_KIND_BYTES) {
        message.headers.emplace_back(textOf(entry.key), textOf(entry.value.value.bytes));
      }
    }
  }
  if (!durable_queue_.empty() && amqp_basic_ack(connection_, kChannel, envelope.delivery_tag,
                                                /*multiple=*/0) != AMQP_STATUS_OK) {
    amqp_destroy_envelope(&envelope);
    return Status::io("test consumer: ack failed");
  }
  amqp_destroy_envelope(&envelope);
  return std::optional<ReceivedMessage>{std::move(message)};
}

std::vector<ReceivedMessage> AmqpTestConsumer::take(size_t count,
                                                    std::chrono::milliseconds timeout) {
  std::vector<ReceivedMessage> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < count) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      break;
    }
    auto message = next(left);
    if (!message.isOk() || !message->has_value()) {
      break;
    }
    out.push_back(std::move(**message));
  }
  return out;
}

}  // namespace mm::test
