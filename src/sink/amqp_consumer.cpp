#include "sink/amqp_consumer.h"

#include <amqp.h>
#include <amqp_framing.h>
#include <sys/time.h>

#include <fmt/format.h>

#include "sink/amqp_bytes.h"

namespace mm::sink {

AmqpConsumer::AmqpConsumer(AmqpOptions options, std::string binding_key)
    : options_(options), binding_key_(std::move(binding_key)), connection_(std::move(options)) {}

Status AmqpConsumer::connect() {
  return connection_.open("mysql-monitor tail", [this] { return declareAndConsume(); });
}

Status AmqpConsumer::declareAndConsume() {
  amqp_connection_state_t state = connection_.state();
  amqp_exchange_declare(
      state, kAmqpChannel, bytesOf(options_.exchange), bytesOf(options_.exchange_type),
      /*passive=*/0, /*durable=*/1, /*auto_delete=*/0, /*internal=*/0, amqp_empty_table);
  MM_RETURN_IF_ERROR(connection_.rpcStatus(fmt::format("cannot declare exchange '{}' of type {}",
                                                       options_.exchange, options_.exchange_type)));
  amqp_queue_declare_ok_t* queue =
      amqp_queue_declare(state, kAmqpChannel, amqp_empty_bytes, /*passive=*/0,
                         /*durable=*/0, /*exclusive=*/1, /*auto_delete=*/1, amqp_empty_table);
  MM_RETURN_IF_ERROR(connection_.rpcStatus("cannot declare a private queue"));
  const std::string queue_name = textOf(queue->queue);
  amqp_queue_bind(state, kAmqpChannel, bytesOf(queue_name), bytesOf(options_.exchange),
                  bytesOf(binding_key_), amqp_empty_table);
  MM_RETURN_IF_ERROR(connection_.rpcStatus(fmt::format(
      "cannot bind a queue to exchange '{}' with key '{}'", options_.exchange, binding_key_)));
  amqp_basic_consume(state, kAmqpChannel, bytesOf(queue_name), amqp_empty_bytes, /*no_local=*/0,
                     /*no_ack=*/1, /*exclusive=*/1, amqp_empty_table);
  return connection_.rpcStatus("cannot start consuming");
}

Result<std::optional<ConsumedMessage>> AmqpConsumer::next(std::chrono::milliseconds timeout) {
  if (!connection_.isOpen()) {
    return Status::io(fmt::format("{}: not connected", where()));
  }
  amqp_connection_state_t state = connection_.state();
  amqp_maybe_release_buffers(state);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
  timeval wait{static_cast<time_t>(micros / 1000000), static_cast<suseconds_t>(micros % 1000000)};
  amqp_envelope_t envelope;
  const amqp_rpc_reply_t reply = amqp_consume_message(state, &envelope, &wait, 0);
  if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
      reply.library_error == AMQP_STATUS_TIMEOUT) {
    return std::optional<ConsumedMessage>{};
  }
  if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
    Status lost = reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION
                      ? Status::io(fmt::format("{}: connection lost: {}", where(),
                                               amqp_error_string2(reply.library_error)))
                      : Status::protocol(fmt::format("{}: the broker closed the channel", where()));
    connection_.close();
    return lost;
  }
  ConsumedMessage message;
  message.routing_key = textOf(envelope.routing_key);
  message.redelivered = envelope.redelivered != 0;
  message.body = textOf(envelope.message.body);
  const amqp_basic_properties_t& p = envelope.message.properties;
  if (p._flags & AMQP_BASIC_MESSAGE_ID_FLAG) {
    message.message_id = textOf(p.message_id);
  }
  if (p._flags & AMQP_BASIC_TIMESTAMP_FLAG) {
    message.timestamp = static_cast<int64_t>(p.timestamp);
  }
  if (p._flags & AMQP_BASIC_HEADERS_FLAG) {
    for (int i = 0; i < p.headers.num_entries; ++i) {
      const amqp_table_entry_t& entry = p.headers.entries[i];
      if (entry.value.kind == AMQP_FIELD_KIND_UTF8 || entry.value.kind == AMQP_FIELD_KIND_BYTES) {
        message.headers.emplace_back(textOf(entry.key), textOf(entry.value.value.bytes));
      }
    }
  }
  amqp_destroy_envelope(&envelope);
  return std::optional<ConsumedMessage>{std::move(message)};
}

}  // namespace mm::sink
