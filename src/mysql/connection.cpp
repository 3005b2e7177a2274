#include "mysql/connection.h"

#include <mysql.h>
#include <poll.h>

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

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

std::string Connection::lastErrorText() const { return mysql_ ? mysql_error(mysql_) : "not connected"; }

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
  return errorStatus(code, fmt::format("MySQL server {}: {}: error {}: {}", where_, doing, code,
                                       lastErrorText()));
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
    const auto deadline = (waiting & MYSQL_WAIT_TIMEOUT) != 0
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
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
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

}  // namespace

Status Connection::connect(const ConnectionOptions& options, const std::atomic<bool>* stop) {
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
  MYSQL* connected = nullptr;
  if (stop == nullptr) {
    connected = mysql_real_connect(mysql_, options.host.c_str(), options.user.c_str(), options.password.c_str(),
                                   nullptr, static_cast<unsigned int>(options.port), nullptr, 0);
  } else {
    mysql_optionsv(mysql_, MYSQL_OPT_NONBLOCK, 0);
    if (!connectUnlessStopped(mysql_, connected, options, *stop)) {
      close();
      return Status::cancelled(fmt::format("MySQL server {}: connecting stopped by a stop request", where_));
    }
  }
  if (connected == nullptr) {
    Status status = lastError(fmt::format("cannot connect as '{}'", options.user));
    close();
    return status;
  }
  return Status::ok();
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
