// TRANSACTION_PAYLOAD_EVENT (40, MySQL 8.0.20+ with binlog_transaction_compression=ON): a whole
// transaction (QUERY BEGIN, TABLE_MAPs, ROWS, XID) compressed into one event. Layout:
// docs/binlog-format.md §2.5. The GTID event stays outside, just before the payload.
//
// Decoding is two-step so a huge transaction never sits decompressed in memory at once:
// EventDecoder::decode() returns a TransactionPayloadEvent that views the compressed bytes;
// a TransactionPayloadReader then decompresses them in a stream and hands out one inner event at a
// time, which EventDecoder::decodeInner() turns into an ordinary DecodedEvent:
//
//   TransactionPayloadReader inner(payload);          // payload.payload must outlive `inner`
//   for (;;) {
//     auto next = inner.next();                       // error: Corruption naming the inner event
//     if (!next.isOk() || !next->has_value()) break;
//     auto event = decoder.decodeInner(**next);       // views into `inner`'s buffer
//   }
//
// Positions: inner events carry log_pos 0 and exist at no file offset of their own. Give every
// inner event the payload event's start position, and the last one (the XID or COMMIT that ends
// the transaction) the payload event's end, so a checkpoint lands only at a transaction boundary
// (go-mysql PR #1153). Within one payload, inner rows events share that position: tell them apart
// by TransactionPayloadReader::index().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "common/status.h"

namespace mm::binlog {

enum class PayloadCompression : uint8_t { Zstd = 0, None = 255 };

struct TransactionPayloadEvent {
  PayloadCompression compression = PayloadCompression::Zstd;
  uint64_t uncompressed_size = 0;    // as the header states it (0 when absent)
  std::span<const uint8_t> payload;  // the compressed events: a view into the event bytes
};

// Decodes the TLV header (body with the checksum stripped); the payload is the rest of the body.
Result<TransactionPayloadEvent> decodeTransactionPayload(std::span<const uint8_t> body);

// Streams the inner events of one payload. Each span next() returns is one whole inner event
// (common header to end; inner events have no checksum) and stays valid until the next call or
// the reader's destruction. Memory is bounded by the largest inner event, not the transaction.
// Not thread-safe; not copyable.
class TransactionPayloadReader {
 public:
  // `payload.payload` must outlive the reader.
  explicit TransactionPayloadReader(const TransactionPayloadEvent& payload);
  ~TransactionPayloadReader();
  TransactionPayloadReader(const TransactionPayloadReader&) = delete;
  TransactionPayloadReader& operator=(const TransactionPayloadReader&) = delete;

  // The next inner event; nullopt after the last. Corruption when the compressed stream is
  // damaged, ends inside an event, or decompresses past the header's uncompressed_size.
  Result<std::optional<std::span<const uint8_t>>> next();

  // 0-based index of the event the last next() returned.
  size_t index() const { return count_ == 0 ? 0 : count_ - 1; }

 private:
  struct Stream;
  Status fill();  // decompresses more input into buffer_
  bool inputDone() const;
  std::span<const uint8_t> decompressed() const;  // buffer_, or the payload itself when stored

  TransactionPayloadEvent payload_;
  std::unique_ptr<Stream> stream_;  // zstd state; null for PayloadCompression::None
  std::vector<uint8_t> buffer_;
  size_t begin_ = 0;       // first byte of the next inner event in buffer_
  size_t end_ = 0;         // end of the decompressed bytes in buffer_
  uint64_t produced_ = 0;  // bytes decompressed so far
  uint64_t offset_ = 0;    // uncompressed offset of the next inner event
  size_t count_ = 0;
  Status error_;  // sticky
};

}  // namespace mm::binlog
