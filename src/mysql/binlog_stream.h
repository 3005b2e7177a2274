// BinlogStream: a replica connection that streams the source's binlog (EventSource).
//
// Connects through Connector/C (so TLS and every auth plugin work), declares the checksum it
// understands (the server's own), asks for heartbeats while idle, registers as a replica with its
// own server_id and sends COM_BINLOG_DUMP (by position), COM_BINLOG_DUMP_GTID (MySQL, by GTID)
// or COM_BINLOG_DUMP after @slave_connect_state (MariaDB, by GTID). Silence for 2x the heartbeat
// period (plus a second) is a dead link (Io). Packet framing per docs/binlog-format.md §1.5;
// protocol steps §5. The stream's packets are then read from the socket by a PacketReader, unless
// TLS or compression wraps them.
//
// Every open() reads the server's identity (ServerIdentity) and refuses (InvalidArgument) a
// server other than the one the first open() met when starting by position: positions are per
// server. A start by GTID accepts another server (that is how a failover is followed) and logs it.
// Another replica connecting with our server_id makes the server drop us; that comes back as
// InvalidArgument naming the server_id, not as a retryable Io error, since reconnecting would in
// turn drop the other replica, for ever. A refused position (error 1236) sets positionLost() and
// names the server's oldest binlog.
//
// One thread calls open()/next()/currentPosition(); interrupt() may come from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "binlog/start_position.h"
#include "mysql/connection.h"
#include "mysql/event_source.h"
#include "mysql/packet_reader.h"

namespace mm::mysql {

// Who a server is: MySQL names itself by server_uuid, MariaDB (no server_uuid) by server_id.
struct ServerIdentity {
  bool is_mariadb = false;
  uint32_t server_id = 0;
  std::string server_uuid;  // empty on MariaDB
  bool operator==(const ServerIdentity&) const = default;
};

// Reads VERSION(), @@server_id and (MySQL) @@server_uuid.
Result<ServerIdentity> readServerIdentity(Connection& connection);

// "server_uuid X" on MySQL, "server_id N" on MariaDB.
std::string describeIdentity(const ServerIdentity& identity);

struct BinlogStreamOptions {
  ConnectionOptions connection;
  uint32_t server_id = 0;
  int heartbeat_period_seconds = 5;
};

class BinlogStream final : public EventSource {
 public:
  explicit BinlogStream(BinlogStreamOptions options) : options_(std::move(options)) {}

  Status open(const StreamStart& start) override;
  Result<std::span<const uint8_t>> next() override;
  void interrupt() override;
  // Whether the packet reader, Connector/C's read-ahead cache or the socket holds unread bytes (TLS
  // may buffer more in its session, so false may also mean "buffered there").
  bool inputReady() override;
  bool checksumBeforeFormatDescription() const override { return checksum_declared_; }
  bool positionLost() const override { return position_lost_; }
  Result<StreamStart> currentPosition() override;

  // The identity the first open() read; nullopt before.
  const std::optional<ServerIdentity>& identity() const { return identity_; }

 private:
  Status checkIdentity(bool other_server_allowed);
  // MariaDB's replica settings: GTID events as themselves and, by GTID, where to start.
  Status prepareMariadbDump(const StreamStart& start);
  Status registerReplica();
  // Remembers the socket (for interrupt()) and, without TLS or compression, reads the packets
  // from it with a PacketReader.
  void readPacketsFromSocket(std::chrono::seconds read_timeout);
  Status sendDump(const StreamStart& start);
  // The Status for a stream that ended: classifies the server's error (see the class comment).
  Status streamError(unsigned int code, const std::string& text);
  Status streamError(std::span<const uint8_t> error_packet);
  std::string describeOldestBinlog();
  // resolveStartPosition(start) on a connection of its own.
  Result<StreamStart> askServer(const binlog::StartPosition& start);

  BinlogStreamOptions options_;
  Connection connection_;
  StreamStart requested_;
  std::optional<ServerIdentity> identity_;
  bool checksum_declared_ = false;
  bool position_lost_ = false;
  std::atomic<bool> interrupted_{false};
  std::mutex socket_mutex_;
  int socket_ =
      -1;  // written (by the reader thread) under socket_mutex_, read under it by interrupt()
  // The stream's packets, on a connection without TLS or compression (else Connector/C reads them).
  std::optional<PacketReader> packets_;
};

// Where `start` ([mysql] start_position, binlog/start_position.h) is on this server: "current" its
// current end, "earliest" its first binlog, FILE:POS as given, a GTID set after those transactions
// (in the server's dialect, else InvalidArgument). A position comes with the server's GTID set
// there when the server can tell: MariaDB's BINLOG_GTID_POS(); MySQL's executed set for "current"
// (read in the same statement as the position). Protocol when the server's answer is malformed.
Result<StreamStart> resolveStartPosition(Connection& connection,
                                         const binlog::StartPosition& start);

// MariaDB: the server's GTID position at `end`, its current end of binlog, read as
// @@gtid_binlog_pos while the end stays there; "" when it moved on (or the server logs no GTIDs).
// resolveStartPosition() uses it for "current" when BINLOG_GTID_POS() answers nothing.
Result<std::string> mariadbGtidPosAtEnd(Connection& connection, const binlog::Position& end);

// The replica commands' payloads after the command byte (docs/binlog-format.md §5.2, §5.3).
std::string registerReplicaPayload(uint32_t server_id);
std::string binlogDumpPayload(const binlog::Position& position, uint16_t flags, uint32_t server_id);

// COM_BINLOG_DUMP_GTID's payload after the command byte (docs/binlog-format.md §5.4): flags with
// BINLOG_THROUGH_GTID, our server_id, no file name, position 4, and the encoded GTID set.
std::string gtidDumpPayload(uint32_t server_id, const std::string& encoded_gtid_set);

}  // namespace mm::mysql
