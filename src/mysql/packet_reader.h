// PacketReader: the packets of a binlog stream read straight from the connection's socket, once
// Connector/C has authenticated and sent the dump command (docs/binlog-format.md §1.5: a 3-byte
// length, a sequence number, the payload; a payload of 0xFFFFFF bytes continues in the next
// packet).
//
// Why not Connector/C's own reads: it reads a plain connection 16 KiB at a time into its
// read-ahead cache and copies every packet out of it, header and body apart. Reading up to 256 KiB
// per system call cut the receive path's system calls (and the TCP acknowledgements each sends)
// sixteenfold (docs/performance.md). Only for connections without TLS or protocol compression,
// whose bytes on the socket are the packets themselves; BinlogStream keeps Connector/C's reads for
// the others.
//
// Errors (Io): the server closed the connection, a socket error, or nothing arrived for the read
// timeout. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"

namespace mm::mysql {

class PacketReader {
 public:
  // `pending`: bytes Connector/C already read from the socket and not yet used; they come first.
  PacketReader(int socket, std::span<const uint8_t> pending,
               std::chrono::milliseconds read_timeout);

  // The next packet's payload (continuations joined), valid until the next call.
  Result<std::span<const uint8_t>> next();

  // Whether bytes of the next packet are already here (no system call).
  bool buffered() const { return end_ > begin_; }

 private:
  // Makes `need` bytes from begin_ available, reading the socket as needed.
  Status fill(size_t need);
  // Moves the unread bytes to the start of the buffer.
  void moveUnreadToFront();

  int socket_;
  std::chrono::milliseconds read_timeout_;
  std::vector<uint8_t> buffer_;
  size_t begin_ = 0;  // the unread bytes are [begin_, end_)
  size_t end_ = 0;
  std::vector<uint8_t> joined_;  // a payload split over several packets
};

}  // namespace mm::mysql
