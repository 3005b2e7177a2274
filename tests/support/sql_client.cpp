#include "support/sql_client.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>

#include <fmt/format.h>

namespace mm::test {
std::string envOr(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : fallback;
}

std::optional<ServerEnvironment> serverEnvironment() {
  if (std::getenv("MM_MYSQL_PORT") == nullptr || std::getenv("MM_AMQP_PORT") == nullptr) {
    return std::nullopt;
  }
  ServerEnvironment env;
  env.mysql_host = envOr("MM_MYSQL_HOST", "127.0.0.1");
  env.mysql_port = std::atoi(envOr("MM_MYSQL_PORT", "0").c_str());
  env.mysql_user = envOr("MM_MYSQL_USER", "monitor");
  env.mysql_password = envOr("MM_MYSQL_PASSWORD", "monitor-pass");
  env.admin_user = envOr("MM_MYSQL_ADMIN_USER", "mm_admin");
  env.admin_password = envOr("MM_MYSQL_ADMIN_PASSWORD", "mm-admin-pass");
  env.amqp_host = envOr("MM_AMQP_HOST", "127.0.0.1");
  env.amqp_port = std::atoi(envOr("MM_AMQP_PORT", "0").c_str());
  env.amqp_user = envOr("MM_AMQP_USER", "guest");
  env.amqp_password = envOr("MM_AMQP_PASSWORD", "guest");
  return env;
}

Status connectAdmin(const ServerEnvironment& env, mysql::Connection& connection) {
  mysql::ConnectionOptions options;
  options.host = env.mysql_host;
  options.port = env.mysql_port;
  options.user = env.admin_user;
  options.password = env.admin_password;
  return connection.connect(options);
}

size_t envSize(const char* name, size_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? static_cast<size_t>(std::strtoull(value, nullptr, 10)) : fallback;
}

std::string uniqueName(const std::string& prefix) {
  static std::atomic<int> counter{0};
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return fmt::format("{}_{}_{}_{}", prefix, getpid(),
                     std::chrono::duration_cast<std::chrono::milliseconds>(now).count() % 100000000,
                     counter++);
}

}  // namespace mm::test
