// AmqpPublisher: a Publisher over one AMQP 0-9-1 connection (rabbitmq-c), one channel in confirm
// mode. Declares the exchange durable with the configured type; messages are persistent
// (delivery_mode 2), content_type application/json, with message_id, timestamp (unless
// `AmqpOptions::timestamp_property` is off) and, when `AmqpOptions::headers`, the caller's headers.
//
// connect() tries the brokers in turn (AmqpConnection) and returns the last error when none
// answers (the caller backs off). The connection announces the `connection.blocked` capability, so
// a broker alarm arrives as a Blocked event instead of a silent stall. With `mandatory`, an
// unroutable message comes back as a Returned event.
//
// Without TLS, publish() encodes the frames into a buffer and they go out in large writes (once
// 128 KiB are buffered, and at the latest when poll() is called), one system call for hundreds of
// messages instead of three per message; over TLS every frame goes through rabbitmq-c's TLS
// session as it is published.
//
// A body larger than 128 KiB is framed and written in parts of that size rather than copied whole
// into the buffer, so a 60 MB row costs no second 60 MB here (README "Performance").
//
// RabbitMQ refuses a body over its max_message_size (128 MiB by default) by closing the channel
// with 406 PRECONDITION_FAILED and both sizes in the text; poll() reports that as a Protocol error
// and remembers the limit (maxMessageSize()), so the caller can keep such messages back.
//
// rabbitmq-c connections are not thread-safe: one thread (the publisher stage) owns this object.
// AMQP heartbeats are served whenever the owner calls into it (poll), which the stage does
// continuously. Errors name the broker (host:port) and the broker's reply text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sink/amqp_connection.h"
#include "sink/amqp_frame_buffer.h"
#include "sink/publisher.h"

struct amqp_table_entry_t_;

namespace mm::sink {

// What a broker's refusal of a too-large message says: the body's size and the broker's limit.
struct MessageSizeRefusal {
  uint64_t size = 0;
  uint64_t limit = 0;
};

// Reads RabbitMQ's channel.close for a body over max_message_size: reply code 406 and a text like
// "PRECONDITION_FAILED - message size 2235 is larger than configured max size 1000" (3.8 to 3.13;
// "larger than max size" when the limit is the built-in one). nullopt for any other close.
std::optional<MessageSizeRefusal> parseMessageSizeRefusal(uint16_t reply_code,
                                                          std::string_view reply_text);

class AmqpPublisher final : public Publisher {
 public:
  // Requires: options.brokers is not empty.
  explicit AmqpPublisher(AmqpOptions options);
  ~AmqpPublisher() override;
  AmqpPublisher(const AmqpPublisher&) = delete;
  AmqpPublisher& operator=(const AmqpPublisher&) = delete;

  Status connect() override;
  void interrupt() override { connection_.interrupt(); }
  Result<uint64_t> publish(const OutgoingMessage& message) override;
  Status poll(std::chrono::milliseconds timeout, std::vector<BrokerEvent>& out) override;
  std::string describe() const override { return where(); }
  uint64_t maxMessageSize() const override { return max_message_size_; }

 private:
  // Confirm mode and the exchange, on a freshly opened connection.
  Status setUpChannel();
  std::string where() const { return connection_.where(); }
  // Writes the buffered frames; on failure the connection is closed.
  Status flush();
  // Appends the event a method frame from the broker carries; returns the error when the frame
  // closed the channel or the connection (the caller closes the connection).
  std::optional<Status> handleMethod(const amqp_frame_t& frame, std::vector<BrokerEvent>& out);
  // basic.publish of a large body through frames_, a part at a time, written out after each.
  Status publishInParts(const amqp_basic_publish_t& method, const amqp_basic_properties_t& props,
                        std::string_view body);

  AmqpOptions options_;
  AmqpConnection connection_;
  uint64_t next_delivery_tag_ = 1;
  AmqpFrameBuffer frames_{4096};  // AMQP's minimum frame_max until connect() negotiates it
  std::vector<amqp_table_entry_t_> header_entries_;  // reused by publish()
  uint64_t max_message_size_;  // configured, or the smallest limit a refusal named; 0 = unknown
};

}  // namespace mm::sink
