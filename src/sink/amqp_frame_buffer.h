// AmqpFrameBuffer: the frames of many basic.publish messages (method, content header, body),
// encoded back to back so that they reach the broker's socket in one system call.
//
// Why: rabbitmq-c's amqp_basic_publish sends every frame with a send(2) of its own, three system
// calls per message, which were a fifth of the monitor's CPU (docs/performance.md). The method
// arguments and the properties are encoded by rabbitmq-c's public encoders
// (amqp_encode_method / amqp_encode_properties); only the frame envelope (type, channel, size,
// frame-end octet, AMQP 0-9-1 §4.2.3) and the split of a body into frames of at most frame_max
// bytes are written here.
//
// writeAllToSocket() sends the bytes on a plain TCP socket, blocking or not. It is for
// connections without TLS: with TLS the bytes must go through the library's TLS session.
#pragma once

#include <amqp.h>

#include <chrono>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mm::sink {

class AmqpFrameBuffer {
 public:
  // `frame_max`: the frame size negotiated with the broker (amqp_get_frame_max), at least 4096.
  explicit AmqpFrameBuffer(size_t frame_max) : frame_max_(frame_max) {}

  // Appends the three or more frames of one message on `channel`. InvalidArgument (and nothing
  // appended) when a field does not fit AMQP, e.g. a routing key longer than 255 bytes.
  Status appendPublish(uint16_t channel, const amqp_basic_publish_t& method,
                       const amqp_basic_properties_t& properties, std::string_view body);

  // The same in pieces, for a body too large to copy whole (AmqpPublisher writes the buffer out
  // between the pieces): the method and content-header frames of a message whose body has
  // `body_size` bytes, then appendBody() with consecutive parts of the body, `body_size` bytes in
  // all. Errors as appendPublish.
  Status appendPublishHeader(uint16_t channel, const amqp_basic_publish_t& method,
                             const amqp_basic_properties_t& properties, uint64_t body_size);
  void appendBody(uint16_t channel, std::string_view part);

  std::span<const uint8_t> bytes() const { return {storage_.data(), size_}; }
  bool empty() const { return size_ == 0; }
  void clear() { size_ = 0; }

 private:
  // Starts a frame of `type` whose payload is at most `max_payload` bytes; returns the offset of
  // its payload. finishFrame() writes the size and the frame-end octet once it is known.
  size_t startFrame(uint8_t type, uint16_t channel, size_t max_payload);
  void finishFrame(size_t payload_offset, size_t payload_size);

  size_t frame_max_;
  // The frames are storage_[0, size_). The storage only grows: a frame is written into room
  // reserved for its largest size, and zero-filling that room per message cost more than the
  // encoding.
  std::vector<uint8_t> storage_;
  size_t size_ = 0;
};

// Writes every byte of `bytes` to the connected socket `fd`, waiting while the socket is full. Io
// error naming the cause when the peer is gone, or when no byte could be written for `stall_limit`.
Status writeAllToSocket(int fd, std::span<const uint8_t> bytes,
                        std::chrono::milliseconds stall_limit);

}  // namespace mm::sink
