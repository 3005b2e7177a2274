#include "mysql/binlog_stream.h"

#include "mysql/binary_logs.h"

#include <mysql.h>
// After mysql.h, which it needs: the read-ahead cache of a connection (inputReady()).
#include <ma_pvio.h>
#include <poll.h>
#include <sys/socket.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "binlog/gtid_set.h"
#include "common/byte_reader.h"
#include "common/decimal.h"

namespace mm::mysql {
namespace {

// Connector/C's enum stops short of the replica commands' wire values.
constexpr auto kComRegisterSlave = static_cast<enum_server_command>(0x15);
constexpr auto kComBinlogDump = static_cast<enum_server_command>(0x12);
constexpr auto kComBinlogDumpGtid = static_cast<enum_server_command>(0x1E);
// COM_BINLOG_DUMP_GTID flag: the data carries the GTID set (the server reads it regardless).
constexpr uint16_t kBinlogThroughGtid = 0x04;
// MariaDB: send ANNOTATE_ROWS events instead of dummies, so every event of a transaction arrives
// and positions can be computed where MariaDB 11.4+ logs log_pos 0 (docs/binlog-format.md §1.8).
constexpr uint16_t kBinlogSendAnnotateRowsEvent = 0x02;
constexpr unsigned int kErrMasterFatalReadingBinlog = 1236;
// Server errors that mean "this connection ends", not "your request is wrong": a KILL, or the
// server shutting down for a restart. Retried like a lost link.
constexpr unsigned int kErrServerShutdown = 1053;
constexpr unsigned int kErrConnectionKilled = 1927;  // MariaDB
// MariaDB tells the replica it dropped for a newer one with the same server_id by this code;
// MySQL by 1236 and the same text (docs/binlog-format.md §5.6).
constexpr unsigned int kErrSlaveSameId = 4052;
constexpr std::string_view kSameIdText = "same server_uuid/server_id";

// 1236 texts that mean the requested file or offset is not on the server (docs/binlog-format.md
// §5.6); the other 1236 texts are read errors on the server's side.
bool isLostPositionText(std::string_view text) {
  for (std::string_view lost :
       {"Could not find first log file name", "impossible position", "position > file size",
        "position < 4", "purged binary logs", "Could not find GTID state requested"}) {
    if (text.find(lost) != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

// MariaDB's 1236 texts for a GTID the server's binlog never had (not purged: a lost or diverged
// transaction), with or without gtid_strict_mode (docs/binlog-format.md §5.6).
bool isDivergedGtidText(std::string_view text) {
  return text.find("which is not in the master's binlog") != std::string_view::npos ||
         text.find("is missing the GTID") != std::string_view::npos;
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
  if (row[1]) {
    const auto server_id = parseDecimal<uint32_t>(*row[1]);
    if (!server_id) {
      return Status::protocol(
          fmt::format("MySQL server {}: @@global.server_id '{}' is not a server id",
                      connection.where(), *row[1]));
    }
    identity.server_id = *server_id;
  }
  if (!identity.is_mariadb) {
    auto uuid = connection.query("SELECT @@global.server_uuid");
    if (!uuid.isOk()) {
      return uuid.status();
    }
    identity.server_uuid = uuid->at(0)[0].value_or("");
  }
  return identity;
}

std::string describe(const StreamStart& start) {
  if (start.byGtid()) {
    return fmt::format("GTID set {}", start.gtid_set);
  }
  return fmt::format("{}:{}", start.position.file, start.position.offset);
}

std::string describeIdentity(const ServerIdentity& identity) {
  if (!identity.server_uuid.empty()) {
    return fmt::format("server_uuid {}", identity.server_uuid);
  }
  return fmt::format("server_id {}", identity.server_id);
}

Status BinlogStream::open(const StreamStart& start) {
  {
    // The old socket number may be reused once the connection closes: forget it first.
    std::lock_guard lock(socket_mutex_);
    socket_ = -1;
  }
  packets_.reset();
  if (interrupted_) {
    return Status::cancelled("binlog stream interrupted");
  }
  position_lost_ = false;
  requested_ = start;
  ConnectionOptions connection = options_.connection;
  connection.read_timeout_seconds = 2 * options_.heartbeat_period_seconds + 1;
  MM_RETURN_IF_ERROR(connection_.connect(connection, &interrupted_));
  MM_RETURN_IF_ERROR(checkIdentity(start.byGtid()));
  auto checksum = connection_.query("SELECT @@global.binlog_checksum");
  if (!checksum.isOk()) {
    return checksum.status();
  }
  const Row& row = checksum->at(0);
  checksum_declared_ = row[0] && *row[0] == "CRC32";
  // Declare the server's own checksum setting under both names (MySQL reads source_, MariaDB
  // master_), so the first fake ROTATE and the rest agree (docs/binlog-format.md §1.4).
  MM_RETURN_IF_ERROR(connection_.execute("SET @master_binlog_checksum = @@global.binlog_checksum, "
                                         "@source_binlog_checksum = @@global.binlog_checksum"));
  const uint64_t period_ns =
      static_cast<uint64_t>(options_.heartbeat_period_seconds) * 1000000000ULL;
  MM_RETURN_IF_ERROR(connection_.execute(fmt::format(
      "SET @master_heartbeat_period = {0}, @source_heartbeat_period = {0}", period_ns)));
  if (identity_->is_mariadb) {
    MM_RETURN_IF_ERROR(prepareMariadbDump(start));
  }
  MM_RETURN_IF_ERROR(registerReplica());
  MM_RETURN_IF_ERROR(sendDump(start));
  readPacketsFromSocket(std::chrono::seconds(connection.read_timeout_seconds));
  return Status::ok();
}

Status BinlogStream::prepareMariadbDump(const StreamStart& start) {
  // GTID-aware capability: GTID events arrive as themselves, not as dummy events.
  MM_RETURN_IF_ERROR(connection_.execute("SET @mariadb_slave_capability = 4"));
  if (!start.byGtid()) {
    return Status::ok();
  }
  // Start after these GTIDs (docs/binlog-format.md §5.5); strict: a GTID the server's binlog lacks
  // is an error, never a silent jump.
  auto pos = binlog::MariadbGtidPos::parse(start.gtid_set);
  if (!pos.isOk()) {
    return pos.status().withContext(
        fmt::format("MariaDB server {} needs a MariaDB GTID position (domain-server-seq)",
                    connection_.where()));
  }
  return connection_.execute(
      fmt::format("SET @slave_connect_state = '{}', @slave_gtid_strict_mode = 1, "
                  "@slave_gtid_ignore_duplicates = 0",
                  pos->text()));
}

void BinlogStream::readPacketsFromSocket(std::chrono::seconds read_timeout) {
  std::lock_guard lock(socket_mutex_);
  MYSQL* mysql = connection_.handle();
  socket_ = static_cast<int>(mysql_get_socket(mysql));
  MARIADB_PVIO* pvio = mysql->net.pvio;
  if (pvio != nullptr && pvio->ctls == nullptr && !mysql->net.compress) {
    // From here on the packets come from the socket as they are; whatever Connector/C read ahead
    // of them comes first.
    std::span<const uint8_t> read_ahead;
    if (pvio->cache != nullptr && pvio->cache_pos < pvio->cache + pvio->cache_size) {
      read_ahead = std::span<const uint8_t>(pvio->cache_pos, pvio->cache + pvio->cache_size);
      pvio->cache_pos = pvio->cache + pvio->cache_size;
    }
    packets_.emplace(socket_, read_ahead, read_timeout);
  }
}

Status BinlogStream::checkIdentity(bool other_server_allowed) {
  auto identity = readServerIdentity(connection_);
  if (!identity.isOk()) {
    return identity.status();
  }
  if (identity_ && !(*identity_ == *identity)) {
    if (!other_server_allowed) {
      return Status::invalidArgument(fmt::format(
          "MySQL server {} is now {} but the stream began on {}: binlog positions of one server "
          "mean nothing on another, so the monitor stops rather than skip or repeat changes",
          connection_.where(), describeIdentity(*identity), describeIdentity(*identity_)));
    }
    spdlog::warn("MySQL server {} is now {} (was {}): continuing by GTID on the new server",
                 connection_.where(), describeIdentity(*identity), describeIdentity(*identity_));
  }
  identity_ = std::move(*identity);
  return Status::ok();
}

Result<StreamStart> BinlogStream::currentPosition() {
  return askServer(binlog::StartPosition::current());
}

Result<StreamStart> BinlogStream::askServer(const binlog::StartPosition& start) {
  // On a fresh connection: Connector/C closes the stream's own once the dump ends in an error.
  Connection connection;
  MM_RETURN_IF_ERROR(connection.connect(options_.connection, &interrupted_));
  return resolveStartPosition(connection, start);
}

Status BinlogStream::registerReplica() {
  const std::string payload = registerReplicaPayload(options_.server_id);
  MYSQL* mysql = connection_.handle();
  if (mysql->methods->db_command(mysql, kComRegisterSlave, payload.data(), payload.size(), 0,
                                 nullptr) != 0) {
    return connection_.lastError(
        fmt::format("cannot register as replica with server_id {}", options_.server_id));
  }
  return Status::ok();
}

std::string registerReplicaPayload(uint32_t server_id) {
  // COM_REGISTER_SLAVE (docs/binlog-format.md §5.2): server_id, hostname, user, password, port,
  // rank, master_id. Empty host/user/password as most replicas send.
  std::string payload;
  putLe(payload, server_id, 4);
  payload.push_back(0);  // hostname
  payload.push_back(0);  // user
  payload.push_back(0);  // password
  putLe(payload, 0, 2);  // port
  putLe(payload, 0, 4);  // replication rank
  putLe(payload, 0, 4);  // master id
  return payload;
}

std::string binlogDumpPayload(const binlog::Position& position, uint16_t flags,
                              uint32_t server_id) {
  // COM_BINLOG_DUMP (docs/binlog-format.md §5.3): position (4), flags (2), server_id (4), file
  // name.
  std::string payload;
  putLe(payload, position.offset, 4);
  putLe(payload, flags, 2);
  putLe(payload, server_id, 4);
  payload.append(position.file);
  return payload;
}

Status BinlogStream::sendDump(const StreamStart& start) {
  MYSQL* mysql = connection_.handle();
  if (start.byGtid() && !identity_->is_mariadb) {
    auto set = binlog::MysqlGtidSet::parse(start.gtid_set);
    if (!set.isOk()) {
      return set.status().withContext(
          fmt::format("MySQL server {} needs a MySQL GTID set (uuid:1-100)", connection_.where()));
    }
    auto encoded = set->dumpEncoding();
    if (!encoded.isOk()) {
      return encoded.status();
    }
    const std::string payload = gtidDumpPayload(options_.server_id, *encoded);
    if (mysql->methods->db_command(mysql, kComBinlogDumpGtid, payload.data(), payload.size(), 1,
                                   nullptr) != 0) {
      return connection_.lastError(
          fmt::format("cannot start the binlog dump after {}", describe(start)));
    }
    return Status::ok();
  }
  // By position, or MariaDB by GTID (@slave_connect_state decides; name and position are ignored).
  const binlog::Position at = start.byGtid() ? binlog::Position{"", 4} : start.position;
  if (at.offset > 0xFFFFFFFFULL) {
    return Status::unsupported(fmt::format("start position {}:{} is beyond 4 GiB, which "
                                           "COM_BINLOG_DUMP cannot address; resume by GTID "
                                           "([mysql] resume_by = gtid)",
                                           at.file, at.offset));
  }
  const std::string payload = binlogDumpPayload(
      at, identity_->is_mariadb ? kBinlogSendAnnotateRowsEvent : 0, options_.server_id);
  if (mysql->methods->db_command(mysql, kComBinlogDump, payload.data(), payload.size(), 1,
                                 nullptr) != 0) {
    return connection_.lastError(
        fmt::format("cannot start the binlog dump at {}", describe(start)));
  }
  return Status::ok();
}

std::string gtidDumpPayload(uint32_t server_id, const std::string& encoded_gtid_set) {
  std::string payload;
  putLe(payload, kBinlogThroughGtid, 2);
  putLe(payload, server_id, 4);
  putLe(payload, 0, 4);  // file name length: none, the server finds the file
  putLe(payload, 4, 8);  // position
  putLe(payload, encoded_gtid_set.size(), 4);
  payload += encoded_gtid_set;
  return payload;
}

Result<std::span<const uint8_t>> BinlogStream::next() {
  MYSQL* mysql = connection_.handle();
  if (mysql == nullptr) {
    return Status::internal("BinlogStream::next() before open()");
  }
  const uint8_t* packet = nullptr;
  size_t length = 0;
  if (packets_) {
    auto read = packets_->next();
    if (interrupted_) {
      return Status::cancelled("binlog stream interrupted");
    }
    if (!read.isOk()) {
      return Status::io(fmt::format("MySQL server {}: binlog stream from {}: {}",
                                    connection_.where(), describe(requested_),
                                    read.status().message()));
    }
    packet = read->data();
    length = read->size();
    if (length > 0 && packet[0] == 0xFF) {
      return streamError(*read);
    }
  } else {
    const unsigned long read = mysql_net_read_packet(mysql);
    if (interrupted_) {
      return Status::cancelled("binlog stream interrupted");
    }
    // Connector/C's packet_error is a 32-bit -1 even where unsigned long is 64 bits. On it (an ERR
    // packet or a lost link) the library has parsed the error and may have freed its buffer.
    if (read == packet_error || read == 0) {
      return streamError(connection_.lastErrno(), connection_.lastErrorText());
    }
    packet = mysql->net.read_pos;
    length = read;
  }
  if (length == 0) {
    return Status::protocol(
        fmt::format("MySQL server {}: empty packet in the binlog stream", connection_.where()));
  }
  if (packet[0] == 0xFE && length < 9) {
    return Status::io(
        fmt::format("MySQL server {}: the server ended the binlog stream", connection_.where()));
  }
  if (packet[0] != 0x00) {
    return Status::protocol(
        fmt::format("MySQL server {}: unexpected packet marker 0x{:02X} in the binlog stream",
                    connection_.where(), packet[0]));
  }
  return std::span<const uint8_t>(packet + 1, length - 1);
}

Status BinlogStream::streamError(std::span<const uint8_t> error_packet) {
  // ERR packet: 0xFF, the error code (2 bytes), '#' and a 5-byte SQL state, the message.
  ByteReader reader(error_packet);
  reader.skip(1);
  const uint16_t code = reader.u16le();
  if (!reader.ok()) {
    return Status::protocol(fmt::format(
        "MySQL server {}: truncated error packet in the binlog stream", connection_.where()));
  }
  std::span<const uint8_t> message = reader.rest();
  if (!message.empty() && message[0] == '#' && message.size() >= 6) {
    message = message.subspan(6);
  }
  return streamError(code, std::string(message.begin(), message.end()));
}

Status BinlogStream::streamError(unsigned int code, const std::string& text) {
  const Status error = Connection::errorStatus(
      code, fmt::format("MySQL server {}: binlog stream from {} ended: error {}: {}",
                        connection_.where(), describe(requested_), code, text));
  if (code == kErrSlaveSameId || (code == kErrMasterFatalReadingBinlog &&
                                  error.message().find(kSameIdText) != std::string::npos)) {
    return Status::invalidArgument(fmt::format(
        "{}: another replica registered with server_id {} ([mysql] server_id) and the server "
        "dropped "
        "this connection for it; give every replica and monitor of the server its own server_id",
        error.message(), options_.server_id));
  }
  if (code == kErrConnectionKilled || code == kErrServerShutdown) {
    return Status::io(error.message());
  }
  if (code == kErrMasterFatalReadingBinlog && isDivergedGtidText(error.message())) {
    // Asynchronous replication's loss after a failover: the monitor published a transaction the
    // promoted server never got. Going on (or skipping to its current position) would present
    // the new server's history as a continuation of the published one (README "A replicated
    // source"); tests/integration/source_failover_test.cpp makes the case.
    return Status::refused(fmt::format(
        "{}: this server's binlog lacks a transaction the monitor already published (requested "
        "{}): it was promoted without it, and consumers hold a change this server never had. "
        "Stopped rather than publish a diverged history: reconcile the consumers with this "
        "server, then delete the monitor's state and start from [mysql] start_position",
        error.message(), describe(requested_)));
  }
  if (code == kErrMasterFatalReadingBinlog && isLostPositionText(error.message())) {
    position_lost_ = true;
    return Status::protocol(fmt::format(
        "{}: the server does not have the requested position {}; {}. Set [mysql] "
        "on_position_lost = current to resume at the server's current position after a gap "
        "message, or delete the state file to start from [mysql] start_position",
        error.message(), describe(requested_), describeOldestBinlog()));
  }
  return error;
}

std::string BinlogStream::describeOldestBinlog() {
  auto oldest = askServer(binlog::StartPosition::earliest());
  if (!oldest.isOk()) {
    return fmt::format("its oldest binlog is unknown ({})", oldest.status().message());
  }
  return fmt::format("its oldest binlog is {} (SHOW BINARY LOGS)", oldest->position.file);
}

bool BinlogStream::inputReady() {
  if (packets_ && packets_->buffered()) {
    return true;
  }
  // Connector/C reads ahead into its connection's cache (ma_pvio.h): bytes there are the next
  // event's, and looking costs no system call (one per transaction was 5% of the reader's CPU).
  if (MYSQL* mysql = connection_.handle(); mysql != nullptr && mysql->net.pvio != nullptr) {
    const MARIADB_PVIO* pvio = mysql->net.pvio;
    if (pvio->cache != nullptr && pvio->cache_pos < pvio->cache + pvio->cache_size) {
      return true;
    }
  }
  // No lock: socket_ is written only by open() and next(), on this thread (the lock orders those
  // writes with interrupt(), which reads it from another).
  if (socket_ < 0) {
    return false;
  }
  pollfd readable{socket_, POLLIN, 0};
  return ::poll(&readable, 1, 0) > 0 && (readable.revents & POLLIN) != 0;
}

void BinlogStream::interrupt() {
  interrupted_ = true;
  std::lock_guard lock(socket_mutex_);
  if (socket_ >= 0) {
    ::shutdown(socket_, SHUT_RDWR);
  }
}

namespace {

// The text of a one-value query's answer; "" for no row or NULL.
Result<std::string> queryText(Connection& connection, const std::string& sql) {
  auto rows = connection.query(sql);
  if (!rows.isOk()) {
    return rows.status();
  }
  return rows->empty() || rows->front().empty() || !rows->front()[0] ? std::string()
                                                                     : *rows->front()[0];
}

// MariaDB: the GTID position at a binlog position; "" when the server has none there.
Result<std::string> mariadbGtidPosAt(Connection& connection, const binlog::Position& position) {
  return queryText(connection,
                   fmt::format("SELECT BINLOG_GTID_POS({}, {})",
                               quoteLiteral(connection, position.file), position.offset));
}

// SHOW MASTER STATUS: the server's current end of binlog, with (MySQL) its executed GTID set as of
// that same position.
Result<StreamStart> currentEnd(Connection& connection, const ServerIdentity& identity) {
  auto rows = binlogStatus(connection);
  if (!rows.isOk()) {
    return rows.status();
  }
  if (rows->empty() || !(*rows)[0][0] || !(*rows)[0][1]) {
    return Status::invalidArgument(
        fmt::format("MySQL server {}: SHOW MASTER STATUS is empty: binary logging (log_bin) is off",
                    connection.where()));
  }
  const Row& row = (*rows)[0];
  const auto offset = parseDecimal<uint64_t>(*row[1]);
  if (!offset) {
    return Status::protocol(fmt::format("MySQL server {}: SHOW MASTER STATUS gives Position '{}', "
                                        "not a number",
                                        connection.where(), *row[1]));
  }
  StreamStart start{binlog::Position{*row[0], *offset}};
  if (!identity.is_mariadb && row.size() > 4 && row[4]) {
    start.gtid_set = *row[4];  // Executed_Gtid_Set
  }
  return start;
}

// The first binlog still on the server, from its start.
Result<StreamStart> earliestBinlog(Connection& connection) {
  auto rows = connection.query("SHOW BINARY LOGS");
  if (!rows.isOk()) {
    return rows.status();
  }
  if (rows->empty() || !(*rows)[0][0]) {
    return Status::invalidArgument(
        fmt::format("MySQL server {}: SHOW BINARY LOGS lists no binlog", connection.where()));
  }
  return StreamStart{binlog::Position{*(*rows)[0][0], 4}};
}

// After the configured GTIDs, which must be in the server's dialect.
Result<StreamStart> afterGtids(Connection& connection, const ServerIdentity& identity,
                               const binlog::StartPosition& start) {
  if ((start.gtids.dialect() == binlog::GtidDialect::Mariadb) != identity.is_mariadb) {
    return Status::invalidArgument(
        fmt::format("[mysql] start_position '{}' is a {} GTID set but the server at {} is {}",
                    start.text, identity.is_mariadb ? "MySQL" : "MariaDB", connection.where(),
                    identity.is_mariadb ? "MariaDB" : "MySQL"));
  }
  return StreamStart{binlog::Position{}, start.gtids.text()};
}

}  // namespace

Result<StreamStart> resolveStartPosition(Connection& connection,
                                         const binlog::StartPosition& start) {
  auto identity = readServerIdentity(connection);
  if (!identity.isOk()) {
    return identity.status();
  }
  using Kind = binlog::StartPosition::Kind;
  if (start.kind == Kind::Gtid) {
    return afterGtids(connection, *identity, start);
  }
  Result<StreamStart> resolved = StreamStart{start.at};
  if (start.kind == Kind::Current) {
    resolved = currentEnd(connection, *identity);
  } else if (start.kind == Kind::Earliest) {
    resolved = earliestBinlog(connection);
  }
  if (resolved.isOk() && identity->is_mariadb) {
    auto pos = mariadbGtidPosAt(connection, resolved->position);
    if (pos.isOk() && pos->empty() && start.kind == Kind::Current) {
      pos = mariadbGtidPosAtEnd(connection, resolved->position);
      if (pos.isOk() && !pos->empty()) {
        spdlog::info("MySQL server {}: BINLOG_GTID_POS() gave no GTID set at its end {}:{}; "
                     "@@gtid_binlog_pos there is {}",
                     connection.where(), resolved->position.file, resolved->position.offset, *pos);
      }
    }
    if (!pos.isOk()) {
      return pos.status();
    }
    resolved->gtid_set = *pos;
  }
  return resolved;
}

// The set, then the end, then the set again: a commit in between moves both. The fallback exists
// because BINLOG_GTID_POS() once answered nothing at the end in CI (cause not found), and without
// a set the monitor cannot follow a source failover (README "A replicated source").
Result<std::string> mariadbGtidPosAtEnd(Connection& connection, const binlog::Position& end) {
  ServerIdentity mariadb;
  mariadb.is_mariadb = true;  // currentEnd() then reads no MySQL GTID set
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto before = queryText(connection, "SELECT @@gtid_binlog_pos");
    auto now = currentEnd(connection, mariadb);
    auto after = queryText(connection, "SELECT @@gtid_binlog_pos");
    for (const Status* failed : {&before.status(), &now.status(), &after.status()}) {
      if (!failed->isOk()) {
        return *failed;
      }
    }
    if (!(now->position == end)) {
      return std::string();  // the server moved on from `end`: its set there is not this one
    }
    if (*before == *after) {
      return *after;
    }
  }
  return std::string();
}

}  // namespace mm::mysql
