// AmqpPublisher: a Publisher over one AMQP 0-9-1 connection (rabbitmq-c), one channel in confirm
// mode. Declares the exchange durable with the configured type; messages are persistent
// (delivery_mode 2), content_type application/json, with message_id, timestamp and, when
// `AmqpOptions::headers`, the caller's headers.
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
// rabbitmq-c connections are not thread-safe: one thread (the publisher stage) owns this object.
// AMQP heartbeats are served whenever the owner calls into it (poll), which the stage does
// continuously. Errors name the broker (host:port) and the broker's reply text.
#pragma once

#include <string>
#include <vector>

#include "sink/amqp_connection.h"
#include "sink/amqp_frame_buffer.h"
#include "sink/publisher.h"

struct amqp_table_entry_t_;

namespace mm::sink {

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

 private:
  // Confirm mode and the exchange, on a freshly opened connection.
  Status setUpChannel();
  std::string where() const { return connection_.where(); }
  // Writes the buffered frames; on failure the connection is closed.
  Status flush();

  AmqpOptions options_;
  AmqpConnection connection_;
  uint64_t next_delivery_tag_ = 1;
  AmqpFrameBuffer frames_{4096};  // AMQP's minimum frame_max until connect() negotiates it
  std::vector<amqp_table_entry_t_> header_entries_;  // reused by publish()
};

}  // namespace mm::sink
