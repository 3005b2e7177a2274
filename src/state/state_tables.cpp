#include "state/state_tables.h"

#include <fmt/format.h>

namespace mm::state {
namespace {

constexpr size_t kMaxLockName = 64;
constexpr std::string_view kLockPrefix = "mysql-monitor:";

uint64_t fnv1a(std::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

}  // namespace

std::string lockName(std::string_view database, std::string_view name) {
  const std::string key = fmt::format("{}/{}", database, name);
  if (kLockPrefix.size() + key.size() <= kMaxLockName) {
    return fmt::format("{}{}", kLockPrefix, key);
  }
  return fmt::format("{}{:016x}", kLockPrefix, fnv1a(key));
}

std::string quoteIdentifier(std::string_view identifier) {
  std::string out = "`";
  for (char c : identifier) {
    out += c;
    if (c == '`') {
      out += '`';
    }
  }
  return out + "`";
}

std::array<std::string, 3> createStatements(std::string_view database) {
  const std::string db = quoteIdentifier(database);
  return {
      fmt::format("CREATE DATABASE IF NOT EXISTS {}", db),
      fmt::format("CREATE TABLE IF NOT EXISTS {}.monitor_leader ("
                  "name VARCHAR(64) NOT NULL PRIMARY KEY, "
                  "epoch BIGINT UNSIGNED NOT NULL, "
                  "holder VARCHAR(255) NOT NULL, "
                  "since TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)) ENGINE=InnoDB",
                  db),
      fmt::format("CREATE TABLE IF NOT EXISTS {}.monitor_state ("
                  "name VARCHAR(64) NOT NULL, "
                  "document VARCHAR(64) NOT NULL, "
                  "epoch BIGINT UNSIGNED NOT NULL, "
                  "revision BIGINT UNSIGNED NOT NULL DEFAULT 0, "
                  "content LONGBLOB NULL, "
                  "saved_at TIMESTAMP(6) NULL DEFAULT NULL, "
                  "PRIMARY KEY (name, document)) ENGINE=InnoDB",
                  db),
  };
}

}  // namespace mm::state
