// BinlogStream: a replica connection that streams the source's binlog (EventSource).
//
// Connects through Connector/C (so TLS and every auth plugin work), declares the checksum it
// understands (the server's own), asks for heartbeats while idle, registers as a replica with its
// own server_id and sends COM_BINLOG_DUMP. Silence for 2x the heartbeat period (plus a second)
// is a dead link (Io). Packet framing per binlog-reference §1.5; protocol steps §5.
//
// One thread calls open()/next(); interrupt() may come from any thread.
#pragma once

#include <atomic>
#include <mutex>
#include <string>

#include "mysql/connection.h"
#include "mysql/event_source.h"

namespace mm::mysql {

struct BinlogStreamOptions {
  ConnectionOptions connection;
  uint32_t server_id = 0;
  int heartbeat_period_seconds = 5;
};

class BinlogStream final : public EventSource {
 public:
  explicit BinlogStream(BinlogStreamOptions options) : options_(std::move(options)) {}

  Status open(const binlog::Position& start) override;
  Result<std::span<const uint8_t>> next() override;
  void interrupt() override;
  bool checksumBeforeFormatDescription() const override { return checksum_declared_; }

 private:
  Status registerReplica();
  Status sendDump(const binlog::Position& start);

  BinlogStreamOptions options_;
  Connection connection_;
  bool checksum_declared_ = false;
  bool is_mariadb_ = false;
  std::atomic<bool> interrupted_{false};
  std::mutex socket_mutex_;
  int socket_ = -1;  // guarded by socket_mutex_, for interrupt()
};

// Where to start when no checkpoint exists: "current" (the server's current end), "earliest" (the
// first binlog still on the server) or "FILE:POS". Errors: InvalidArgument for a bad spec.
Result<binlog::Position> resolveStartPosition(Connection& connection, const std::string& spec);

}  // namespace mm::mysql
