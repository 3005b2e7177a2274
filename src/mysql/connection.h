// Connection: one MariaDB Connector/C session (TCP or socket, TLS and every auth plugin the library
// knows, caching_sha2_password included), for plain queries. The replica stream builds on it.
//
// Not thread-safe: one Connection per thread. Call mysqlLibraryInit() once before threads start.
// Errors name the server (host:port) and the server's own error number and text.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

struct st_mysql;

namespace mm::mysql {

// How the connection uses TLS ([mysql] ssl), as MySQL's --ssl-mode: Off = plain; Required =
// encrypted, the server's certificate not checked; VerifyCa = also signed by `ssl_ca`;
// VerifyIdentity = also issued to `host`. Every mode but Off refuses a server without TLS.
enum class TlsMode { Off, Required, VerifyCa, VerifyIdentity };

struct ServerAddress {
  std::string host;
  int port = 3306;
};

struct ConnectionOptions {
  std::string host = "localhost";
  int port = 3306;
  // [mysql] host listing several servers (one GTID topology): connect() tries them in turn,
  // starting with the one that last answered (`preferred`, shared by the copies of these options:
  // after a failover the monitor stays on the new server even if the old one comes back). Empty:
  // host and port.
  std::vector<ServerAddress> servers = {};
  std::shared_ptr<std::atomic<size_t>> preferred = {};
  std::string user;
  std::string password;
  TlsMode tls = TlsMode::Off;
  std::string ssl_ca;    // PEM CA file; used by VerifyCa and VerifyIdentity
  std::string ssl_cert;  // client certificate and key (PEM), for servers that ask for one
  std::string ssl_key;
  int connect_timeout_seconds = 10;
  int read_timeout_seconds = 0;  // 0 = library default
};

using Row = std::vector<std::optional<std::string>>;

void mysqlLibraryInit();

class Connection {
 public:
  Connection() = default;
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects and logs in. With `stop`, the attempt ends as soon as *stop becomes true (checked
  // every 100 ms, from any thread) with Cancelled: a stop must not wait for a server that accepts
  // the TCP connection and never answers the handshake, nor for the connect timeout (issue 16).
  Status connect(const ConnectionOptions& options, const std::atomic<bool>* stop = nullptr);
  bool connected() const { return mysql_ != nullptr; }
  void close();

  Status execute(const std::string& sql);
  Result<std::vector<Row>> query(const std::string& sql);
  // A statement that changes rows: how many it changed. Errors name `doing`, not the statement
  // (which may hold a large value).
  Result<uint64_t> update(const std::string& sql, std::string_view doing);

  // "host:port" for messages.
  const std::string& where() const { return where_; }
  // The connected session's TLS: e.g. "TLSv1.3, TLS_AES_256_GCM_SHA384", or empty when plain.
  std::string tlsDescription() const;
  st_mysql* handle() { return mysql_; }
  // The server's last error as a Status of `code`, naming the server and what we were doing.
  Status lastError(std::string_view doing) const;
  unsigned int lastErrno() const;
  std::string lastErrorText() const;
  // `message` as a Status whose code fits the MySQL error number: Io for client-side (link)
  // errors 2000..2999, Refused (the fix appended) for credentials and grants
  // (mysql/server_refusal.h), Protocol for the server's other errors.
  static Status errorStatus(unsigned int code, std::string message);

 private:
  Status connectTo(const ConnectionOptions& options, const std::atomic<bool>* stop);

  st_mysql* mysql_ = nullptr;
  std::string where_;
};

// SQL string literal with the connection's escaping rules, quotes included.
std::string quoteLiteral(Connection& connection, std::string_view value);

}  // namespace mm::mysql
