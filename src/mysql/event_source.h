// EventSource: where the reader stage gets binlog events from (a replica connection; a file or a
// fake in tests). One event per call, as the source sent it: common header to checksum.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "binlog/position.h"
#include "common/status.h"

namespace mm::mysql {

// Where a stream starts: at a file position, or (gtid_set not empty) at the first transaction not
// in the GTID set, wherever the server holds it: the way to continue on another server of the
// topology after a failover. gtid_set is MySQL's "uuid:1-5,..." or MariaDB's "0-1-100,...".
struct StreamStart {
  binlog::Position position;
  std::string gtid_set = {};
  bool byGtid() const { return !gtid_set.empty(); }
  bool operator==(const StreamStart&) const = default;
};

// "mysql-bin.000042:1234" or "GTID set 0-1-100".
std::string describe(const StreamStart& start);

class EventSource {
 public:
  virtual ~EventSource() = default;

  // Starts streaming at `start`. Errors name the server and, for an unusable position, say so.
  // Retryable failures (the link, a restarting server, a killed connection) are Io; anything else
  // (wrong server, duplicate server_id, lost position, server errors) is not worth retrying.
  virtual Status open(const StreamStart& start) = 0;

  // Blocks until the next event and returns its bytes, valid until the next call. Returns
  // Cancelled once interrupt() was called, Io when the link fails, Protocol when the server ends
  // the stream with an error.
  virtual Result<std::span<const uint8_t>> next() = 0;

  // Whether input for next() is already waiting (best effort: false when unsure). The reader
  // hands what it has decoded on before a next() that would wait.
  virtual bool inputReady() { return false; }

  // Thread-safe: makes a blocked or later next() (and open()) return Cancelled, for good.
  virtual void interrupt() = 0;

  // Whether events before the first FORMAT_DESCRIPTION carry a CRC32 (the fake ROTATE).
  virtual bool checksumBeforeFormatDescription() const = 0;

  // After open() or next() failed: whether the server refused the requested position because it
  // no longer has it or never had it (purged binlog, unknown file, past the end: error 1236).
  virtual bool positionLost() const = 0;

  // The server's current end of binlog, where a stream resumes after its position was lost, with
  // the GTID set there when the server tells it.
  virtual Result<StreamStart> currentPosition() = 0;
};

}  // namespace mm::mysql
