#include "mysql/connection.h"

#include <mysql.h>

#include <fmt/format.h>

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
  return Status::protocol(std::move(message));
}

Status Connection::lastError(std::string_view doing) const {
  const unsigned int code = lastErrno();
  return errorStatus(code, fmt::format("MySQL server {}: {}: error {}: {}", where_, doing, code,
                                       lastErrorText()));
}

Status Connection::connect(const ConnectionOptions& options) {
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
  if (mysql_real_connect(mysql_, options.host.c_str(), options.user.c_str(), options.password.c_str(),
                         nullptr, static_cast<unsigned int>(options.port), nullptr, 0) == nullptr) {
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
