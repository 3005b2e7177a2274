// Test-side access to the servers started by scripts/services.sh: addresses from the environment
// (MM_MYSQL_*, MM_AMQP_*, written by `scripts/services.sh env`), and an admin SQL connection for
// creating schemas and making changes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "mysql/connection.h"

namespace mm::test {

struct ServerEnvironment {
  std::string mysql_host;
  int mysql_port = 0;
  std::string mysql_user;  // the monitor's replication user
  std::string mysql_password;
  std::string admin_user;  // for test changes
  std::string admin_password;
  std::string amqp_host;
  int amqp_port = 0;
  std::string amqp_user;
  std::string amqp_password;
};

// nullopt when MM_MYSQL_PORT / MM_AMQP_PORT are not set (integration tests then skip).
std::optional<ServerEnvironment> serverEnvironment();

// A connection as the admin user; aborts the test via ADD_FAILURE on error.
Status connectAdmin(const ServerEnvironment& env, mysql::Connection& connection);

// A name unique to this process and call, for schemas, exchanges and state dirs.
std::string uniqueName(const std::string& prefix);

// Environment variable `name` (MM_AMQP_TLS_CA, ...), or `fallback` when it is not set.
std::string envOr(const char* name, const char* fallback = "");

// The number in environment variable `name` (a test's size: MM_FAULT_CHANGES, MM_TXN_KILLS, ...),
// or `fallback` when it is not set.
size_t envSize(const char* name, size_t fallback);

}  // namespace mm::test

#define MM_REQUIRE_SERVERS(env)                                                                \
  auto env##_opt = ::mm::test::serverEnvironment();                                            \
  if (!env##_opt) {                                                                            \
    GTEST_SKIP() << "integration servers not configured: run `scripts/services.sh start` and " \
                    "source the file `scripts/services.sh env` prints";                        \
  }                                                                                            \
  const ::mm::test::ServerEnvironment& env = *env##_opt
