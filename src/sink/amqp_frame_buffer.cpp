#include "sink/amqp_frame_buffer.h"

#include <amqp_framing.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace mm::sink {
namespace {

// The frame envelope: type (1), channel (2), payload size (4) ... frame-end octet (1).
constexpr size_t kFrameHeaderSize = 7;
constexpr size_t kFrameEndSize = 1;
constexpr size_t kFrameOverhead = kFrameHeaderSize + kFrameEndSize;
constexpr size_t kMethodIdSize = 4;          // class id and method id
constexpr size_t kContentHeaderPrefix = 12;  // class id (2), weight (2), body size (8)
// basic.publish arguments: ticket (2), exchange and routing key (short strings), one octet of bits.
constexpr size_t kMaxPublishArguments = 2 + (1 + 255) + (1 + 255) + 1;

void putBigEndian(uint8_t* out, uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(value);
    value >>= 8;
  }
}

// An upper bound of the encoded size of `properties`: every short string with its length octet,
// the fixed-size fields, and a table of string values (the only kind the publisher sends; other
// kinds make the encoder fail, which is reported, never overrun).
size_t propertiesBound(const amqp_basic_properties_t& p) {
  size_t n = 2 /*flags*/ + 8 /*timestamp*/ + 1 /*delivery_mode*/ + 1 /*priority*/;
  for (const amqp_bytes_t* s :
       {&p.content_type, &p.content_encoding, &p.correlation_id, &p.reply_to, &p.expiration,
        &p.message_id, &p.type, &p.user_id, &p.app_id, &p.cluster_id}) {
    n += 1 + s->len;
  }
  n += 4;
  for (int i = 0; i < p.headers.num_entries; ++i) {
    const amqp_table_entry_t& entry = p.headers.entries[i];
    n += 1 + entry.key.len + 1 + 4 +
         (entry.value.kind == AMQP_FIELD_KIND_UTF8 ? entry.value.value.bytes.len : 0);
  }
  return n;
}

}  // namespace

size_t AmqpFrameBuffer::startFrame(uint8_t type, uint16_t channel, size_t max_payload) {
  const size_t start = size_;
  const size_t needed = start + kFrameHeaderSize + max_payload + kFrameEndSize;
  if (storage_.size() < needed) {
    storage_.resize(std::max(needed, 2 * storage_.size()));
  }
  storage_[start] = type;
  putBigEndian(&storage_[start + 1], channel, 2);
  return start + kFrameHeaderSize;
}

void AmqpFrameBuffer::finishFrame(size_t payload_offset, size_t payload_size) {
  putBigEndian(&storage_[payload_offset - 4], payload_size, 4);
  storage_[payload_offset + payload_size] = AMQP_FRAME_END;
  size_ = payload_offset + payload_size + kFrameEndSize;
}

Status AmqpFrameBuffer::appendPublish(uint16_t channel, const amqp_basic_publish_t& method,
                                      const amqp_basic_properties_t& properties,
                                      std::string_view body) {
  MM_RETURN_IF_ERROR(appendPublishHeader(channel, method, properties, body.size()));
  appendBody(channel, body);
  return Status::ok();
}

Status AmqpFrameBuffer::appendPublishHeader(uint16_t channel, const amqp_basic_publish_t& method,
                                            const amqp_basic_properties_t& properties,
                                            uint64_t body_size) {
  const size_t rollback = size_;
  auto fail = [&](std::string_view what, int rc) {
    size_ = rollback;
    return Status::invalidArgument(
        fmt::format("cannot encode the {}: {}", what, amqp_error_string2(rc)));
  };

  // basic.publish
  size_t payload = startFrame(AMQP_FRAME_METHOD, channel, kMethodIdSize + kMaxPublishArguments);
  putBigEndian(&storage_[payload], AMQP_BASIC_PUBLISH_METHOD, 4);
  auto args = const_cast<amqp_basic_publish_t&>(method);  // the encoder only reads it
  int rc =
      amqp_encode_method(AMQP_BASIC_PUBLISH_METHOD, &args,
                         amqp_bytes_t{kMaxPublishArguments, &storage_[payload + kMethodIdSize]});
  if (rc < 0) {
    return fail("basic.publish method (exchange or routing key longer than 255 bytes?)", rc);
  }
  finishFrame(payload, kMethodIdSize + static_cast<size_t>(rc));

  // Content header: class, weight 0, body size, properties.
  const size_t bound = propertiesBound(properties);
  payload = startFrame(AMQP_FRAME_HEADER, channel, kContentHeaderPrefix + bound);
  putBigEndian(&storage_[payload], AMQP_BASIC_CLASS, 2);
  putBigEndian(&storage_[payload + 2], 0, 2);
  putBigEndian(&storage_[payload + 4], body_size, 8);
  auto props = const_cast<amqp_basic_properties_t&>(properties);
  rc = amqp_encode_properties(AMQP_BASIC_CLASS, &props,
                              amqp_bytes_t{bound, &storage_[payload + kContentHeaderPrefix]});
  if (rc < 0) {
    return fail("message properties", rc);
  }
  finishFrame(payload, kContentHeaderPrefix + static_cast<size_t>(rc));
  return Status::ok();
}

void AmqpFrameBuffer::appendBody(uint16_t channel, std::string_view part) {
  // Body frames of at most frame_max bytes each (an empty body has none).
  const size_t chunk_max = frame_max_ - kFrameOverhead;
  for (size_t offset = 0; offset < part.size(); offset += chunk_max) {
    const size_t chunk = std::min(chunk_max, part.size() - offset);
    const size_t payload = startFrame(AMQP_FRAME_BODY, channel, chunk);
    std::memcpy(&storage_[payload], part.data() + offset, chunk);
    finishFrame(payload, chunk);
  }
}

Status writeAllToSocket(int fd, std::span<const uint8_t> bytes,
                        std::chrono::milliseconds stall_limit) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd writable{fd, POLLOUT, 0};
      const int ready = ::poll(&writable, 1, static_cast<int>(stall_limit.count()));
      if (ready == 0) {
        return Status::io(
            fmt::format("the broker accepted no data for {} s", stall_limit.count() / 1000));
      }
      if (ready < 0 && errno != EINTR) {
        return Status::io(fmt::format("cannot wait for the socket: {}", std::strerror(errno)));
      }
      continue;
    }
    return Status::io(
        fmt::format("cannot send: {}", n == 0 ? "connection closed" : std::strerror(errno)));
  }
  return Status::ok();
}

}  // namespace mm::sink
