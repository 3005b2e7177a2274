#include "mysql/connection.h"

#include <mysql.h>
#include <poll.h>

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "mysql/server_refusal.h"

namespace mm::mysql {

void mysqlLibraryInit() { mysql_library_init(0, nullptr, nullptr); }

Connection::~Connection() { close(); }

void Connection::close() {
  if (mysql_ != nullptr) {
    mysql_close(mysql_);
    mysql_ = nullptr;
  }
}

unsigned int Connection::lastErrno() const { return mysql_ ? mysql_errno(mysql_) : 0; }

std::string Connection::lastErrorText() const {
  return mysql_ ? mysql_error(mysql_) : "not connected";
}

Status Connection::errorStatus(unsigned int code, std::string message) {
  // Client-side errors (2000..2999) are about the link; server errors are the server saying no.
  if (code >= 2000 && code < 3000) {
    return Status::io(std::move(message));
  }
  // Credentials and grants: retrying cannot help; the fix travels with the message, so the daemon
  // and `check` print the same text.
  if (const std::string_view fix = refusalFix(code); !fix.empty()) {
    return Status::refused(fmt::format("{}; fix: {}", message, fix));
  }
  return Status::protocol(std::move(message));
}

Status Connection::lastError(std::string_view doing) const {
  const unsigned int code = lastErrno();
  return errorStatus(
      code, fmt::format("MySQL server {}: {}: error {}: {}", where_, doing, code, lastErrorText()));
}

namespace {

constexpr int kStopPollMs = 100;

// mysql_real_connect() through Connector/C's non-blocking interface, so that a stop request is
// seen while the library waits for the server: the library says what it waits for (socket
// readable or writable, or its own timeout, the connect timeout) and we poll for it in short
// slices. Returns false when `stop` ended the wait (the connection is then half open).
bool connectUnlessStopped(MYSQL* mysql, MYSQL*& result, const ConnectionOptions& options,
                          const std::atomic<bool>& stop) {
  int waiting = mysql_real_connect_start(&result, mysql, options.host.c_str(), options.user.c_str(),
                                         options.password.c_str(), nullptr,
                                         static_cast<unsigned int>(options.port), nullptr, 0);
  using Clock = std::chrono::steady_clock;
  while (waiting != 0) {
    const auto deadline =
        (waiting & MYSQL_WAIT_TIMEOUT) != 0
            ? Clock::now() + std::chrono::milliseconds(mysql_get_timeout_value_ms(mysql))
            : Clock::time_point::max();
    int ready = 0;
    while (ready == 0) {
      if (stop.load()) {
        return false;
      }
      pollfd socket{mysql_get_socket(mysql), 0, 0};
      socket.events = static_cast<short>(((waiting & MYSQL_WAIT_READ) != 0 ? POLLIN : 0) |
                                         ((waiting & MYSQL_WAIT_WRITE) != 0 ? POLLOUT : 0) |
                                         ((waiting & MYSQL_WAIT_EXCEPT) != 0 ? POLLPRI : 0));
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
      const int slice = static_cast<int>(std::clamp<int64_t>(left, 0, kStopPollMs));
      const int polled = ::poll(&socket, 1, slice);
      if (polled > 0) {
        ready = ((socket.revents & (POLLIN | POLLERR | POLLHUP)) != 0 ? MYSQL_WAIT_READ : 0) |
                ((socket.revents & (POLLOUT | POLLERR | POLLHUP)) != 0 ? MYSQL_WAIT_WRITE : 0) |
                ((socket.revents & POLLPRI) != 0 ? MYSQL_WAIT_EXCEPT : 0);
        ready &= waiting;
        ready = ready != 0 ? ready : (waiting & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE));
      } else if (polled == 0 && Clock::now() >= deadline) {
        ready = MYSQL_WAIT_TIMEOUT;
      }
    }
    waiting = mysql_real_connect_cont(&result, mysql, ready);
  }
  return true;
}

// Connector/C (3.3, Debian 12) has no ssl-mode option; the modes map onto its options: any TLS
// option turns TLS on, MYSQL_OPT_SSL_ENFORCE refuses a server without it, a CA makes OpenSSL check
// the chain, and MYSQL_OPT_SSL_VERIFY_SERVER_CERT adds the host name check. So Required passes no
// CA (an encrypted link to a server whose certificate is not checked), VerifyCa the CA alone.
void applyTls(MYSQL* mysql, const ConnectionOptions& options) {
  if (options.tls == TlsMode::Off) {
    return;
  }
  const my_bool enforce = 1;
  mysql_optionsv(mysql, MYSQL_OPT_SSL_ENFORCE, &enforce);
  if (options.tls != TlsMode::Required && !options.ssl_ca.empty()) {
    mysql_optionsv(mysql, MYSQL_OPT_SSL_CA, options.ssl_ca.c_str());
  }
  if (!options.ssl_cert.empty()) {
    mysql_optionsv(mysql, MYSQL_OPT_SSL_CERT, options.ssl_cert.c_str());
    mysql_optionsv(mysql, MYSQL_OPT_SSL_KEY, options.ssl_key.c_str());
  }
  const my_bool verify_host = options.tls == TlsMode::VerifyIdentity ? 1 : 0;
  mysql_optionsv(mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify_host);
}

// Server error numbers about TLS (include/mysqld_error.h) and Connector/C's TLS failure.
constexpr unsigned int ER_ACCESS_DENIED_ERROR = 1045;
constexpr unsigned int ER_SECURE_TRANSPORT_REQUIRED = 3159;  // MySQL 5.7+, require_secure_transport
constexpr unsigned int CR_SSL_CONNECTION_ERROR = 2026;

// A server that wants TLS answers a plain login with "access denied" (MariaDB, also for
// require_secure_transport) or 3159 (MySQL): name the setting, since the password may be right. A
// failed TLS handshake names the mode and the files it used. Both are refusals: retrying cannot
// fix them.
Status explainTlsFailure(Status status, unsigned int code, const ConnectionOptions& options) {
  if (options.tls == TlsMode::Off &&
      (code == ER_ACCESS_DENIED_ERROR || code == ER_SECURE_TRANSPORT_REQUIRED)) {
    return Status::refused(
        fmt::format("{}; if the server or the account requires TLS (require_secure_transport, "
                    "REQUIRE SSL), set [mysql] ssl = verify_identity with ssl_ca (or ssl = on)",
                    status.message()));
  }
  if (options.tls != TlsMode::Off && code == CR_SSL_CONNECTION_ERROR) {
    const char* mode = options.tls == TlsMode::Required   ? "on"
                       : options.tls == TlsMode::VerifyCa ? "verify_ca"
                                                          : "verify_identity";
    std::string fix =
        options.tls == TlsMode::Required
            ? "the server must have TLS enabled (ssl_cert/ssl_key in its configuration)"
            : fmt::format(
                  "[mysql] ssl_ca ({}) must be the CA that signed the server's certificate{}",
                  options.ssl_ca,
                  options.tls == TlsMode::VerifyIdentity
                      ? fmt::format(", and the certificate must name [mysql] host ({})",
                                    options.host)
                      : std::string());
    // Refused: a certificate that does not verify is not fixed by retrying (issue 16 item 5).
    return Status::refused(
        fmt::format("{} ([mysql] ssl = {}); fix: {}", status.message(), mode, fix));
  }
  return status;
}

}  // namespace

Status Connection::connect(const ConnectionOptions& options, const std::atomic<bool>* stop) {
  const size_t count = options.servers.size();
  if (count <= 1) {
    if (count == 0) {
      return connectTo(options, stop);
    }
    ConnectionOptions one = options;
    one.host = options.servers[0].host;
    one.port = options.servers[0].port;
    return connectTo(one, stop);
  }
  const size_t first = options.preferred != nullptr ? options.preferred->load() % count : 0;
  Status failed;
  for (size_t i = 0; i < count; ++i) {
    const size_t index = (first + i) % count;
    ConnectionOptions one = options;
    one.host = options.servers[index].host;
    one.port = options.servers[index].port;
    Status connected = connectTo(one, stop);
    if (connected.isOk()) {
      if (options.preferred != nullptr && options.preferred->exchange(index) != index) {
        spdlog::warn("MySQL server {} answers ({} of [mysql] host): using it from now on", where_,
                     index + 1);
      }
      return connected;
    }
    if (connected.code() == StatusCode::Cancelled) {
      return connected;
    }
    // The first failure names the usual server; the others follow it.
    failed = failed.isOk()
                 ? std::move(connected)
                 : Status::io(fmt::format("{}; {}", failed.message(), connected.message()));
  }
  return failed;
}

Status Connection::connectTo(const ConnectionOptions& options, const std::atomic<bool>* stop) {
  close();
  where_ = fmt::format("{}:{}", options.host, options.port);
  mysql_ = mysql_init(nullptr);
  if (mysql_ == nullptr) {
    return Status::internal("mysql_init failed: out of memory");
  }
  const unsigned int connect_timeout = static_cast<unsigned int>(options.connect_timeout_seconds);
  mysql_optionsv(mysql_, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  if (options.read_timeout_seconds > 0) {
    const unsigned int read_timeout = static_cast<unsigned int>(options.read_timeout_seconds);
    mysql_optionsv(mysql_, MYSQL_OPT_READ_TIMEOUT, &read_timeout);
  }
  // Events can be up to 1 GiB (max_allowed_packet on the source).
  const unsigned long max_packet = 1UL << 30;
  mysql_optionsv(mysql_, MYSQL_OPT_MAX_ALLOWED_PACKET, &max_packet);
  mysql_optionsv(mysql_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  applyTls(mysql_, options);
  MYSQL* connected = nullptr;
  if (stop == nullptr) {
    connected = mysql_real_connect(mysql_, options.host.c_str(), options.user.c_str(),
                                   options.password.c_str(), nullptr,
                                   static_cast<unsigned int>(options.port), nullptr, 0);
  } else {
    mysql_optionsv(mysql_, MYSQL_OPT_NONBLOCK, 0);
    if (!connectUnlessStopped(mysql_, connected, options, *stop)) {
      close();
      return Status::cancelled(
          fmt::format("MySQL server {}: connecting stopped by a stop request", where_));
    }
  }
  if (connected == nullptr) {
    Status status = lastError(fmt::format("cannot connect as '{}'", options.user));
    const unsigned int code = lastErrno();
    close();
    return explainTlsFailure(std::move(status), code, options);
  }
  // Connector/C 3.3 logs in over a plain link when the server offers no TLS unless the host name
  // is verified (seen by the tls helper against a fake server, issue 16): refuse such a session
  // before any query. Only verify_identity refuses before the login itself.
  if (options.tls != TlsMode::Off && mysql_get_ssl_cipher(mysql_) == nullptr) {
    close();
    return Status::refused(
        fmt::format("MySQL server {}: the connection is not encrypted although [mysql] ssl asks "
                    "for TLS: the server "
                    "offers none (or something between strips it); fix: enable TLS on the server "
                    "(ssl_cert, ssl_key), "
                    "and use ssl = verify_identity, which refuses before sending the login",
                    where_));
  }
  return Status::ok();
}

std::string Connection::tlsDescription() const {
  if (mysql_ == nullptr) {
    return {};
  }
  const char* cipher = mysql_get_ssl_cipher(mysql_);
  if (cipher == nullptr) {
    return {};
  }
  const char* version = nullptr;
  if (mariadb_get_infov(mysql_, MARIADB_CONNECTION_TLS_VERSION, &version) != 0 ||
      version == nullptr) {
    return cipher;
  }
  return fmt::format("{}, {}", version, cipher);
}

Status Connection::execute(const std::string& sql) {
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
    return lastError(fmt::format("query failed: {}", sql));
  }
  MYSQL_RES* result = mysql_store_result(mysql_);
  if (result != nullptr) {
    mysql_free_result(result);
  }
  return Status::ok();
}

Result<uint64_t> Connection::update(const std::string& sql, std::string_view doing) {
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
    return lastError(doing);
  }
  return static_cast<uint64_t>(mysql_affected_rows(mysql_));
}

Result<std::vector<Row>> Connection::query(const std::string& sql) {
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
    return lastError(fmt::format("query failed: {}", sql));
  }
  MYSQL_RES* result = mysql_store_result(mysql_);
  if (result == nullptr) {
    if (mysql_field_count(mysql_) == 0) {
      return std::vector<Row>{};
    }
    return lastError(fmt::format("cannot read the result of: {}", sql));
  }
  std::vector<Row> rows;
  const unsigned int fields = mysql_num_fields(result);
  while (MYSQL_ROW row = mysql_fetch_row(result)) {
    const unsigned long* lengths = mysql_fetch_lengths(result);
    Row out(fields);
    for (unsigned int i = 0; i < fields; ++i) {
      if (row[i] != nullptr) {
        out[i] = std::string(row[i], lengths[i]);
      }
    }
    rows.push_back(std::move(out));
  }
  mysql_free_result(result);
  return rows;
}

std::string quoteLiteral(Connection& connection, std::string_view value) {
  std::string escaped(value.size() * 2 + 1, '\0');
  const unsigned long n =
      mysql_real_escape_string(connection.handle(), escaped.data(), value.data(), value.size());
  escaped.resize(n);
  return "'" + escaped + "'";
}

}  // namespace mm::mysql
