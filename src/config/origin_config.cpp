#include "config/origin_config.h"

#include <array>
#include <filesystem>

#include <fmt/format.h>

#include "common/regular_file.h"
#include "config/config.h"

namespace mm::config {
namespace {

namespace fs = std::filesystem;

struct OriginKey {
  std::string_view section;
  std::string_view key;
};

// The keys of the origin's config-example.cfg and core.load_config() (our names).
constexpr std::array<OriginKey, 21> kOriginKeys = {{
    {"monitor", "log_level"},  {"monitor", "delay"},    {"monitor", "delay_start"},
    {"monitor", "state_path"}, {"mysql", "database"},   {"mysql", "user"},
    {"mysql", "password"},     {"mysql", "host"},       {"mysql", "port"},
    {"mysql", "server_id"},    {"amqp", "user"},        {"amqp", "password"},
    {"amqp", "host"},          {"amqp", "port"},        {"amqp", "ssl"},
    {"amqp", "ssl_ca"},        {"amqp", "vhost"},       {"amqp", "exchange"},
    {"amqp", "exchange_type"}, {"amqp", "routing_key"}, {"message", "format"},
}};

// The origin's built-in default of a key whose default differs from ours, and what it means.
struct OriginDefault {
  std::string_view section;
  std::string_view key;
  std::string_view origin_value;
  std::string_view why;
};

constexpr std::array<OriginDefault, 8> kOriginDefaults = {{
    {"monitor", "delay", "30", "here it is 0 (no delay); set delay = 30 to keep the origin's"},
    {"monitor", "state_path", "data/state.json beside mysql_monitor.py",
     "here it is data, relative to the working directory"},
    {"mysql", "host", "127.0.0.1",
     "here it is localhost, which MariaDB's client reaches by its "
     "Unix socket"},
    {"mysql", "user", "admin", "here it is root"},
    {"mysql", "password", "admin", "here it is empty"},
    {"amqp", "host", "127.0.0.1", "here it is localhost"},
    {"amqp", "user", "admin", "here it is guest"},
    {"amqp", "password", "admin", "here it is guest"},
}};

}  // namespace

std::string_view canonicalKey(std::string_view section, std::string_view key) {
  return section == "amqp" && key == "ca_certs" ? "ssl_ca" : key;
}

bool isOriginKey(std::string_view section, std::string_view key) {
  const std::string_view canonical = canonicalKey(section, key);
  for (const OriginKey& k : kOriginKeys) {
    if (k.section == section && k.key == canonical) {
      return true;
    }
  }
  return false;
}

void resolveOriginPaths(Config& config) {
  std::error_code error;
  const fs::path path(config.monitor.state_path);
  const bool names_file = fs::is_regular_file(path, error) ||
                          (path.extension() == ".json" && !fs::is_directory(path, error));
  if (names_file) {
    config.monitor.origin_state_file = path.string();
    config.monitor.state_path = path.has_parent_path() ? path.parent_path().string() : ".";
  } else {
    config.monitor.origin_state_file = (path / "state.json").string();
  }
  if (config.amqp.ssl && config.amqp.ssl_verify && config.amqp.ssl_ca.empty()) {
    const std::string ca = (fs::path(config.monitor.state_path) / "cacert.pem").string();
    if (checkRegularFileReadable(ca).isOk()) {
      config.amqp.ssl_ca = ca;
    }
  }
}

std::vector<std::string> originDifferences(
    const Config& config, const std::set<std::pair<std::string, std::string>>& set_in_file) {
  std::vector<std::string> out;
  if (config.message.format != message::MessageFormat::Origin) {
    out.push_back(
        "[message] format = native: the Python monitor's consumers expect format = origin");
  }
  for (const OriginDefault& d : kOriginDefaults) {
    if (set_in_file.count({std::string(d.section), std::string(d.key)}) == 0) {
      out.push_back(fmt::format("[{}] {} is not set: the Python monitor's default was {}; {}",
                                d.section, d.key, d.origin_value, d.why));
    }
  }
  if (config.amqp.ssl && config.amqp.ssl_verify) {
    out.push_back("[amqp] ssl = true: the broker's host name is checked too, which the Python "
                  "monitor did not (it checked the certificate's signature only)");
  }
  if (config.monitor.delay_seconds > 0) {
    out.push_back("[monitor] delay: repeated changes of a row fold into their net change; the "
                  "Python monitor dropped a change equal to one still held, losing updates");
  }
  return out;
}

}  // namespace mm::config
