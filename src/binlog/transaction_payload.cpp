#include "binlog/transaction_payload.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>
#include <zstd.h>

#include "binlog/event_type.h"
#include "common/byte_reader.h"

namespace mm::binlog {
namespace {

// TLV field types of the payload header (M:codecs Transaction_payload).
constexpr uint64_t kEndMark = 0;
constexpr uint64_t kPayloadSize = 1;
constexpr uint64_t kCompressionType = 2;
constexpr uint64_t kUncompressedSize = 3;

// An inner event larger than the server's max_allowed_packet ceiling is damage, not data.
constexpr uint64_t kMaxInnerEventSize = 1ULL << 30;
constexpr size_t kChunk = 64 * 1024;

Status headerError(std::string_view what) {
  return Status::corruption(fmt::format("TRANSACTION_PAYLOAD_EVENT: {}", what));
}

}  // namespace

Result<TransactionPayloadEvent> decodeTransactionPayload(std::span<const uint8_t> body) {
  ByteReader r(body);
  TransactionPayloadEvent e;
  std::optional<uint64_t> payload_size;
  std::optional<uint64_t> compression;
  for (;;) {
    const uint64_t type = r.packedInt();
    if (!r.ok()) {
      return headerError("header truncated before its end mark");
    }
    if (type == kEndMark) {
      break;
    }
    const uint64_t length = r.packedInt();
    ByteReader field = r.sub(r.ok() ? length : 0);
    if (!r.ok()) {
      return headerError(fmt::format("header field {} truncated", type));
    }
    if (type != kPayloadSize && type != kCompressionType && type != kUncompressedSize) {
      continue;  // a field of a newer server: its length lets us step over it
    }
    // The value is itself a packed integer, although a length precedes it (§2.5).
    const uint64_t value = field.packedInt();
    if (!field.ok() || !field.empty()) {
      return headerError(
          fmt::format("header field {} is not one packed integer of {} bytes", type, length));
    }
    switch (type) {
      case kPayloadSize: payload_size = value; break;
      case kCompressionType: compression = value; break;
      default: e.uncompressed_size = value; break;
    }
  }
  if (!payload_size || !compression) {
    return headerError("header lacks the payload size or the compression type");
  }
  if (*compression != static_cast<uint64_t>(PayloadCompression::Zstd) &&
      *compression != static_cast<uint64_t>(PayloadCompression::None)) {
    return Status::unsupported(fmt::format(
        "TRANSACTION_PAYLOAD_EVENT: compression type {} (only 0 ZSTD and 255 NONE exist)",
        *compression));
  }
  e.compression = static_cast<PayloadCompression>(*compression);
  if (*payload_size != r.remaining()) {
    return headerError(fmt::format("payload size {} but {} bytes follow the header", *payload_size,
                                   r.remaining()));
  }
  e.payload = r.rest();
  return e;
}

struct TransactionPayloadReader::Stream {
  ZSTD_DStream* zstd = ZSTD_createDStream();
  ZSTD_inBuffer in{};
  size_t last_result = 1;    // 0 once a frame is complete and fully flushed
  bool output_full = false;  // the last call may hold more output back
  ~Stream() { ZSTD_freeDStream(zstd); }
};

TransactionPayloadReader::TransactionPayloadReader(const TransactionPayloadEvent& payload)
    : payload_(payload) {
  if (payload_.compression == PayloadCompression::Zstd) {
    stream_ = std::make_unique<Stream>();
    stream_->in = ZSTD_inBuffer{payload_.payload.data(), payload_.payload.size(), 0};
    if (stream_->zstd == nullptr) {
      error_ = Status::internal("TRANSACTION_PAYLOAD_EVENT: cannot allocate a zstd stream");
    }
  } else {
    end_ = payload_.payload.size();
  }
}

TransactionPayloadReader::~TransactionPayloadReader() = default;

bool TransactionPayloadReader::inputDone() const {
  return stream_ == nullptr || (stream_->in.pos == stream_->in.size && !stream_->output_full);
}

Status TransactionPayloadReader::fill() {
  if (end_ == buffer_.size() && begin_ > 0) {
    // Consumed events make room: the buffer holds at most the event being assembled.
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buffer_.size()) {
    buffer_.resize(std::max(kChunk, buffer_.size() * 2));
  }
  ZSTD_outBuffer out{buffer_.data(), buffer_.size(), end_};
  const size_t result = ZSTD_decompressStream(stream_->zstd, &out, &stream_->in);
  if (ZSTD_isError(result) != 0) {
    return Status::corruption(fmt::format("TRANSACTION_PAYLOAD_EVENT: zstd: {} after {} bytes",
                                          ZSTD_getErrorName(result), produced_));
  }
  produced_ += out.pos - end_;
  end_ = out.pos;
  stream_->last_result = result;
  stream_->output_full = out.pos == out.size;
  if (payload_.uncompressed_size != 0 && produced_ > payload_.uncompressed_size) {
    return Status::corruption(
        fmt::format("TRANSACTION_PAYLOAD_EVENT: decompresses past its uncompressed size {}",
                    payload_.uncompressed_size));
  }
  return Status::ok();
}

std::span<const uint8_t> TransactionPayloadReader::decompressed() const {
  return stream_ ? std::span<const uint8_t>(buffer_) : payload_.payload;
}

Result<std::optional<std::span<const uint8_t>>> TransactionPayloadReader::next() {
  if (!error_.isOk()) {
    return error_;
  }
  auto fail = [&](Status status) -> Result<std::optional<std::span<const uint8_t>>> {
    error_ = std::move(status);
    return error_;
  };
  auto corrupt = [&](std::string_view what) {
    return fail(Status::corruption(
        fmt::format("TRANSACTION_PAYLOAD_EVENT: inner event {} at uncompressed byte {}: {}", count_,
                    offset_, what)));
  };
  while (end_ - begin_ < LOG_EVENT_HEADER_LEN && !inputDone()) {
    if (Status s = fill(); !s.isOk()) {
      return fail(std::move(s));
    }
  }
  if (end_ == begin_) {
    if (stream_ && stream_->last_result != 0) {
      return corrupt("the zstd stream ends inside a frame");
    }
    return std::optional<std::span<const uint8_t>>{};
  }
  if (end_ - begin_ < LOG_EVENT_HEADER_LEN) {
    return corrupt(
        fmt::format("the payload ends inside its header ({} bytes left)", end_ - begin_));
  }
  ByteReader size_field(decompressed().subspan(begin_ + 9, 4));
  const uint32_t size = size_field.u32le();
  if (size < LOG_EVENT_HEADER_LEN || size > kMaxInnerEventSize) {
    return corrupt(fmt::format("impossible event size {}", size));
  }
  while (end_ - begin_ < size && !inputDone()) {
    if (Status s = fill(); !s.isOk()) {
      return fail(std::move(s));
    }
  }
  if (end_ - begin_ < size) {
    return corrupt(fmt::format("the payload ends inside it: it declares {} bytes, {} remain", size,
                               end_ - begin_));
  }
  // Taken after fill(), which may have moved the buffer.
  const std::span<const uint8_t> event = decompressed().subspan(begin_, size);
  begin_ += size;
  offset_ += size;
  ++count_;
  return std::optional<std::span<const uint8_t>>{event};
}

}  // namespace mm::binlog
