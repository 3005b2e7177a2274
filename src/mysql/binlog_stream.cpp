#include "mysql/binlog_stream.h"

#include <mysql.h>
#include <sys/socket.h>

#include <charconv>

#include <fmt/format.h>

namespace mm::mysql {
namespace {

// Connector/C's enum stops short of the replica commands' wire values.
constexpr auto kComRegisterSlave = static_cast<enum_server_command>(0x15);
constexpr auto kComBinlogDump = static_cast<enum_server_command>(0x12);
// MariaDB: send ANNOTATE_ROWS events instead of dummies, so every event of a transaction arrives
// and positions can be computed where MariaDB 11.4+ logs log_pos 0 (binlog-reference §1.8).
constexpr uint16_t kBinlogSendAnnotateRowsEvent = 0x02;
constexpr unsigned int kErrMasterFatalReadingBinlog = 1236;
// Server errors that mean "this connection ends", not "your request is wrong": a KILL, or the
// server shutting down for a restart. Retried like a lost link.
constexpr unsigned int kErrServerShutdown = 1053;
constexpr unsigned int kErrConnectionKilled = 1927;  // MariaDB
// MariaDB tells the replica it dropped for a newer one with the same server_id by this code;
// MySQL by 1236 and the same text (binlog-reference §5.6).
constexpr unsigned int kErrSlaveSameId = 4052;
constexpr std::string_view kSameIdText = "same server_uuid/server_id";

// 1236 texts that mean the requested file or offset is not on the server (binlog-reference §5.6);
// the other 1236 texts are read errors on the server's side.
bool isLostPositionText(std::string_view text) {
  for (std::string_view lost : {"Could not find first log file name", "impossible position",
                                "position > file size", "position < 4", "purged binary logs"}) {
    if (text.find(lost) != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

void putLe(std::string& out, uint64_t value, int width) {
  for (int i = 0; i < width; ++i) {
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
  }
}

}  // namespace

Result<ServerIdentity> readServerIdentity(Connection& connection) {
  auto rows = connection.query("SELECT VERSION(), @@global.server_id");
  if (!rows.isOk()) {
    return rows.status();
  }
  const Row& row = rows->at(0);
  ServerIdentity identity;
  identity.is_mariadb = row[0] && row[0]->find("MariaDB") != std::string::npos;
  identity.server_id = row[1] ? static_cast<uint32_t>(std::stoul(*row[1])) : 0;
  if (!identity.is_mariadb) {
    auto uuid = connection.query("SELECT @@global.server_uuid");
    if (!uuid.isOk()) {
      return uuid.status();
    }
    identity.server_uuid = uuid->at(0)[0].value_or("");
  }
  return identity;
}

std::string describeIdentity(const ServerIdentity& identity) {
  if (!identity.server_uuid.empty()) {
    return fmt::format("server_uuid {}", identity.server_uuid);
  }
  return fmt::format("server_id {}", identity.server_id);
}

Status BinlogStream::open(const binlog::Position& start) {
  {
    // The old socket number may be reused once the connection closes: forget it first.
    std::lock_guard lock(socket_mutex_);
    socket_ = -1;
  }
  if (interrupted_) {
    return Status::cancelled("binlog stream interrupted");
  }
  position_lost_ = false;
  requested_ = start;
  ConnectionOptions connection = options_.connection;
  connection.read_timeout_seconds = 2 * options_.heartbeat_period_seconds + 1;
  MM_RETURN_IF_ERROR(connection_.connect(connection));
  MM_RETURN_IF_ERROR(checkIdentity());
  auto checksum = connection_.query("SELECT @@global.binlog_checksum");
  if (!checksum.isOk()) {
    return checksum.status();
  }
  const Row& row = checksum->at(0);
  checksum_declared_ = row[0] && *row[0] == "CRC32";
  // Declare the server's own checksum setting under both names (MySQL reads source_, MariaDB
  // master_), so the first fake ROTATE and the rest agree (binlog-reference §1.4).
  MM_RETURN_IF_ERROR(connection_.execute(
      "SET @master_binlog_checksum = @@global.binlog_checksum, "
      "@source_binlog_checksum = @@global.binlog_checksum"));
  const uint64_t period_ns = static_cast<uint64_t>(options_.heartbeat_period_seconds) * 1000000000ULL;
  MM_RETURN_IF_ERROR(connection_.execute(fmt::format(
      "SET @master_heartbeat_period = {0}, @source_heartbeat_period = {0}", period_ns)));
  if (identity_->is_mariadb) {
    // GTID-aware capability: GTID events arrive as themselves, not as dummy events.
    MM_RETURN_IF_ERROR(connection_.execute("SET @mariadb_slave_capability = 4"));
  }
  MM_RETURN_IF_ERROR(registerReplica());
  MM_RETURN_IF_ERROR(sendDump(start));
  std::lock_guard lock(socket_mutex_);
  socket_ = static_cast<int>(mysql_get_socket(connection_.handle()));
  return Status::ok();
}

Status BinlogStream::checkIdentity() {
  auto identity = readServerIdentity(connection_);
  if (!identity.isOk()) {
    return identity.status();
  }
  if (identity_ && !(*identity_ == *identity)) {
    return Status::invalidArgument(fmt::format(
        "MySQL server {} is now {} but the stream began on {}: binlog positions of one server mean "
        "nothing on another, so the monitor stops rather than skip or repeat changes",
        connection_.where(), describeIdentity(*identity), describeIdentity(*identity_)));
  }
  identity_ = std::move(*identity);
  return Status::ok();
}

Result<binlog::Position> BinlogStream::currentPosition() { return askServer("current"); }

Result<binlog::Position> BinlogStream::askServer(const std::string& spec) {
  // On a fresh connection: Connector/C closes the stream's own once the dump ends in an error.
  Connection connection;
  MM_RETURN_IF_ERROR(connection.connect(options_.connection));
  return resolveStartPosition(connection, spec);
}

Status BinlogStream::registerReplica() {
  // COM_REGISTER_SLAVE (binlog-reference §5.2): server_id, hostname, user, password, port, rank,
  // master_id. Empty host/user/password as most replicas send.
  std::string payload;
  putLe(payload, options_.server_id, 4);
  payload.push_back(0);  // hostname
  payload.push_back(0);  // user
  payload.push_back(0);  // password
  putLe(payload, 0, 2);  // port
  putLe(payload, 0, 4);  // replication rank
  putLe(payload, 0, 4);  // master id
  MYSQL* mysql = connection_.handle();
  if (mysql->methods->db_command(mysql, kComRegisterSlave, payload.data(), payload.size(), 0,
                                 nullptr) != 0) {
    return connection_.lastError(fmt::format("cannot register as replica with server_id {}",
                                             options_.server_id));
  }
  return Status::ok();
}

Status BinlogStream::sendDump(const binlog::Position& start) {
  if (start.offset > 0xFFFFFFFFULL) {
    return Status::unsupported(fmt::format(
        "start position {}:{} is beyond 4 GiB, which COM_BINLOG_DUMP cannot address", start.file,
        start.offset));
  }
  // COM_BINLOG_DUMP (binlog-reference §5.3): position (4), flags (2), server_id (4), file name.
  std::string payload;
  putLe(payload, start.offset, 4);
  putLe(payload, identity_->is_mariadb ? kBinlogSendAnnotateRowsEvent : 0, 2);
  putLe(payload, options_.server_id, 4);
  payload.append(start.file);
  MYSQL* mysql = connection_.handle();
  if (mysql->methods->db_command(mysql, kComBinlogDump, payload.data(), payload.size(), 1, nullptr) !=
      0) {
    return connection_.lastError(fmt::format("cannot start the binlog dump at {}:{}", start.file,
                                             start.offset));
  }
  return Status::ok();
}

Result<std::span<const uint8_t>> BinlogStream::next() {
  MYSQL* mysql = connection_.handle();
  if (mysql == nullptr) {
    return Status::internal("BinlogStream::next() before open()");
  }
  const unsigned long length = mysql_net_read_packet(mysql);
  if (interrupted_) {
    return Status::cancelled("binlog stream interrupted");
  }
  // Connector/C's packet_error is a 32-bit -1 even where unsigned long is 64 bits. On it (an ERR
  // packet or a lost link) the library has parsed the error and may have freed its buffer.
  if (length == packet_error || length == 0) {
    return streamError(connection_.lastErrno(), connection_.lastErrorText());
  }
  const uint8_t* packet = mysql->net.read_pos;
  if (packet[0] == 0xFE && length < 9) {
    return Status::io(fmt::format("MySQL server {}: the server ended the binlog stream",
                                  connection_.where()));
  }
  if (packet[0] != 0x00) {
    return Status::protocol(fmt::format("MySQL server {}: unexpected packet marker 0x{:02X} in the binlog stream",
                                        connection_.where(), packet[0]));
  }
  return std::span<const uint8_t>(packet + 1, length - 1);
}

Status BinlogStream::streamError(unsigned int code, const std::string& text) {
  const Status error = Connection::errorStatus(
      code, fmt::format("MySQL server {}: binlog stream from {}:{} ended: error {}: {}",
                        connection_.where(), requested_.file, requested_.offset, code, text));
  if (code == kErrSlaveSameId ||
      (code == kErrMasterFatalReadingBinlog && error.message().find(kSameIdText) != std::string::npos)) {
    return Status::invalidArgument(fmt::format(
        "{}: another replica registered with server_id {} ([mysql] server_id) and the server dropped "
        "this connection for it; give every replica and monitor of the server its own server_id",
        error.message(), options_.server_id));
  }
  if (code == kErrConnectionKilled || code == kErrServerShutdown) {
    return Status::io(error.message());
  }
  if (code == kErrMasterFatalReadingBinlog && isLostPositionText(error.message())) {
    position_lost_ = true;
    return Status::protocol(fmt::format(
        "{}: the server does not have the requested position {}:{}; {}. Set [mysql] "
        "on_position_lost = current to resume at the server's current position after a gap "
        "message, or delete the state file to start from [mysql] start_position",
        error.message(), requested_.file, requested_.offset, describeOldestBinlog()));
  }
  return error;
}

std::string BinlogStream::describeOldestBinlog() {
  auto oldest = askServer("earliest");
  if (!oldest.isOk()) {
    return fmt::format("its oldest binlog is unknown ({})", oldest.status().message());
  }
  return fmt::format("its oldest binlog is {} (SHOW BINARY LOGS)", oldest->file);
}

void BinlogStream::interrupt() {
  interrupted_ = true;
  std::lock_guard lock(socket_mutex_);
  if (socket_ >= 0) {
    ::shutdown(socket_, SHUT_RDWR);
  }
}

Result<binlog::Position> resolveStartPosition(Connection& connection, const std::string& spec) {
  if (spec == "current") {
    auto rows = connection.query("SHOW MASTER STATUS");
    if (!rows.isOk()) {
      return rows.status();
    }
    if (rows->empty() || !(*rows)[0][0] || !(*rows)[0][1]) {
      return Status::invalidArgument(fmt::format(
          "MySQL server {}: SHOW MASTER STATUS is empty: binary logging (log_bin) is off",
          connection.where()));
    }
    return binlog::Position{*(*rows)[0][0], std::stoull(*(*rows)[0][1])};
  }
  if (spec == "earliest") {
    auto rows = connection.query("SHOW BINARY LOGS");
    if (!rows.isOk()) {
      return rows.status();
    }
    if (rows->empty() || !(*rows)[0][0]) {
      return Status::invalidArgument(
          fmt::format("MySQL server {}: SHOW BINARY LOGS lists no binlog", connection.where()));
    }
    return binlog::Position{*(*rows)[0][0], 4};
  }
  const auto colon = spec.rfind(':');
  uint64_t offset = 0;
  if (colon != std::string::npos && colon > 0) {
    auto r = std::from_chars(spec.data() + colon + 1, spec.data() + spec.size(), offset);
    if (r.ec == std::errc() && r.ptr == spec.data() + spec.size() && offset >= 4) {
      return binlog::Position{spec.substr(0, colon), offset};
    }
  }
  return Status::invalidArgument(fmt::format(
      "[mysql] start_position '{}' is not current, earliest or FILE:POS (POS >= 4)", spec));
}

}  // namespace mm::mysql
