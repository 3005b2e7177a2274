// EventSource: where the reader stage gets binlog events from (a replica connection; a file or a
// fake in tests). One event per call, as the source sent it: common header to checksum.
#pragma once

#include <cstdint>
#include <span>

#include "binlog/position.h"
#include "common/status.h"

namespace mm::mysql {

class EventSource {
 public:
  virtual ~EventSource() = default;

  // Starts streaming at `start`. Errors name the server and, for an unusable position, say so.
  // Retryable failures (the link, a restarting server, a killed connection) are Io; anything else
  // (wrong server, duplicate server_id, lost position, server errors) is not worth retrying.
  virtual Status open(const binlog::Position& start) = 0;

  // Blocks until the next event and returns its bytes, valid until the next call. Returns
  // Cancelled once interrupt() was called, Io when the link fails, Protocol when the server ends
  // the stream with an error.
  virtual Result<std::span<const uint8_t>> next() = 0;

  // Thread-safe: makes a blocked or later next() (and open()) return Cancelled, for good.
  virtual void interrupt() = 0;

  // Whether events before the first FORMAT_DESCRIPTION carry a CRC32 (the fake ROTATE).
  virtual bool checksumBeforeFormatDescription() const = 0;

  // After open() or next() failed: whether the server refused the requested position because it
  // no longer has it or never had it (purged binlog, unknown file, past the end: error 1236).
  virtual bool positionLost() const = 0;

  // The server's current end of binlog, where a stream resumes after its position was lost.
  virtual Result<binlog::Position> currentPosition() = 0;
};

}  // namespace mm::mysql
