#include "config/config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "config/ini_file.h"

extern char** environ;

namespace mm::config {
namespace {

// A setter returns an empty string on success, else what is wrong with the value.
using Setter = std::function<std::string(Config&, std::string_view)>;

struct Setting {
  std::string_view section;
  std::string_view key;
  Setter set;
};

std::string setInt(int& target, std::string_view value, int min, int max) {
  int parsed = 0;
  auto result = std::from_chars(value.data(), value.data() + value.size(), parsed);
  if (result.ec != std::errc() || result.ptr != value.data() + value.size()) {
    return fmt::format("'{}' is not an integer", value);
  }
  if (parsed < min || parsed > max) {
    return fmt::format("{} is outside {}..{}", parsed, min, max);
  }
  target = parsed;
  return {};
}

std::string setBool(bool& target, std::string_view value) {
  std::string lower(value);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "true" || lower == "yes" || lower == "on" || lower == "1") {
    target = true;
  } else if (lower == "false" || lower == "no" || lower == "off" || lower == "0") {
    target = false;
  } else {
    return fmt::format("'{}' is not a boolean (true/false)", value);
  }
  return {};
}

template <typename Section>
Setter intOf(Section Config::*section, int Section::*field, int min, int max) {
  return [=](Config& c, std::string_view v) { return setInt(c.*section.*field, v, min, max); };
}
template <typename Section>
Setter stringOf(Section Config::*section, std::string Section::*field, bool allow_empty = true) {
  return [=](Config& c, std::string_view v) -> std::string {
    if (!allow_empty && v.empty()) {
      return "must not be empty";
    }
    c.*section.*field = std::string(v);
    return {};
  };
}

// A comma list of "db.table" patterns ('*' wildcards).
Setter tablePatternsOf(std::vector<std::string> MysqlConfig::*field) {
  return [=](Config& c, std::string_view v) -> std::string {
    std::vector<std::string> patterns = splitList(v);
    for (const std::string& pattern : patterns) {
      const auto dot = pattern.find('.');
      if (dot == std::string::npos || dot == 0 || dot + 1 == pattern.size() ||
          pattern.find('.', dot + 1) != std::string::npos) {
        return fmt::format("'{}' is not a db.table pattern (use * as a wildcard: shop.*, *.audit)",
                           pattern);
      }
    }
    c.mysql.*field = std::move(patterns);
    return {};
  };
}

Result<HostPort> parseHostPort(std::string_view entry, int default_port, std::string_view key);

// "off", or HOST:PORT with an explicit port.
std::string setMetricsListen(Config& c, std::string_view value) {
  if (value == "off") {
    c.metrics.enabled = false;
    return {};
  }
  auto address = parseHostPort(value, 0, "");
  if (!address.isOk()) {
    return address.status().message();
  }
  if (address->port == 0) {
    return fmt::format("'{}' names no port (HOST:PORT, e.g. 127.0.0.1:9650, or off)", value);
  }
  c.metrics = MetricsConfig{true, address->host, address->port, c.metrics.stall_seconds};
  return {};
}

const std::vector<Setting>& settings() {
  static const std::vector<Setting> kSettings = {
      {"monitor", "log_level",
       [](Config& c, std::string_view v) -> std::string {
         std::string lower(v);
         std::transform(lower.begin(), lower.end(), lower.begin(),
                        [](unsigned char ch) { return std::tolower(ch); });
         if (lower == "debug") c.monitor.log_level = LogLevel::Debug;
         else if (lower == "info") c.monitor.log_level = LogLevel::Info;
         else if (lower == "warning" || lower == "warn") c.monitor.log_level = LogLevel::Warning;
         else if (lower == "error") c.monitor.log_level = LogLevel::Error;
         else return fmt::format("'{}' is not one of debug, info, warning, error", v);
         return {};
       }},
      {"monitor", "delay", intOf(&Config::monitor, &MonitorConfig::delay_seconds, 0, 86400)},
      {"monitor", "delay_start", intOf(&Config::monitor, &MonitorConfig::delay_start_seconds, 0, 3600)},
      {"monitor", "state_path", stringOf(&Config::monitor, &MonitorConfig::state_path, false)},
      {"monitor", "heartbeat_interval",
       intOf(&Config::monitor, &MonitorConfig::heartbeat_interval_seconds, 0, 86400)},
      {"mysql", "host", stringOf(&Config::mysql, &MysqlConfig::host, false)},
      {"mysql", "port", intOf(&Config::mysql, &MysqlConfig::port, 1, 65535)},
      {"mysql", "user", stringOf(&Config::mysql, &MysqlConfig::user, false)},
      {"mysql", "password", stringOf(&Config::mysql, &MysqlConfig::password)},
      {"mysql", "database", stringOf(&Config::mysql, &MysqlConfig::database)},
      {"mysql", "server_id",
       [](Config& c, std::string_view v) -> std::string {
         uint64_t id = 0;
         auto r = std::from_chars(v.data(), v.data() + v.size(), id);
         if (r.ec != std::errc() || r.ptr != v.data() + v.size() || id == 0 || id > 0xFFFFFFFFu) {
           return fmt::format("'{}' is not a server id in 1..4294967295", v);
         }
         c.mysql.server_id = static_cast<uint32_t>(id);
         return {};
       }},
      {"mysql", "start_position", stringOf(&Config::mysql, &MysqlConfig::start_position, false)},
      {"mysql", "heartbeat_period", intOf(&Config::mysql, &MysqlConfig::heartbeat_period_seconds, 1, 3600)},
      {"mysql", "tables", tablePatternsOf(&MysqlConfig::tables)},
      {"mysql", "exclude_tables", tablePatternsOf(&MysqlConfig::exclude_tables)},
      {"mysql", "on_position_lost",
       [](Config& c, std::string_view v) -> std::string {
         if (v == "fail") {
           c.mysql.on_position_lost = OnPositionLost::Fail;
         } else if (v == "current") {
           c.mysql.on_position_lost = OnPositionLost::Current;
         } else {
           return fmt::format("'{}' is not fail or current", v);
         }
         return {};
       }},
      {"mysql", "resume_by",
       [](Config& c, std::string_view v) -> std::string {
         if (v != "position" && v != "gtid") {
           return fmt::format("'{}' is not position or gtid", v);
         }
         c.mysql.resume_by_gtid = v == "gtid";
         return {};
       }},
      {"amqp", "host", stringOf(&Config::amqp, &AmqpConfig::host, false)},
      {"amqp", "port", intOf(&Config::amqp, &AmqpConfig::port, 1, 65535)},
      {"amqp", "user", stringOf(&Config::amqp, &AmqpConfig::user, false)},
      {"amqp", "password", stringOf(&Config::amqp, &AmqpConfig::password)},
      {"amqp", "vhost", stringOf(&Config::amqp, &AmqpConfig::vhost, false)},
      {"amqp", "ssl", [](Config& c, std::string_view v) { return setBool(c.amqp.ssl, v); }},
      {"amqp", "ssl_ca", stringOf(&Config::amqp, &AmqpConfig::ssl_ca)},
      {"amqp", "ssl_verify", [](Config& c, std::string_view v) { return setBool(c.amqp.ssl_verify, v); }},
      {"amqp", "ssl_cert", stringOf(&Config::amqp, &AmqpConfig::ssl_cert)},
      {"amqp", "ssl_key", stringOf(&Config::amqp, &AmqpConfig::ssl_key)},
      {"amqp", "mandatory", [](Config& c, std::string_view v) { return setBool(c.amqp.mandatory, v); }},
      {"amqp", "heartbeat", intOf(&Config::amqp, &AmqpConfig::heartbeat_seconds, 0, 3600)},
      {"amqp", "exchange", stringOf(&Config::amqp, &AmqpConfig::exchange, false)},
      {"amqp", "exchange_type",
       [](Config& c, std::string_view v) -> std::string {
         static const char* kTypes[] = {"fanout", "direct", "topic", "headers", "x-consistent-hash"};
         for (const char* t : kTypes) {
           if (v == t) {
             c.amqp.exchange_type = std::string(v);
             return {};
           }
         }
         return fmt::format("'{}' is not one of fanout, direct, topic, headers, x-consistent-hash", v);
       }},
      {"amqp", "routing_key", stringOf(&Config::amqp, &AmqpConfig::routing_key)},
      {"amqp", "confirm_window", intOf(&Config::amqp, &AmqpConfig::confirm_window, 1, 1000000)},
      {"metrics", "listen", setMetricsListen},
      {"metrics", "stall_seconds", intOf(&Config::metrics, &MetricsConfig::stall_seconds, 2, 86400)},
  };
  return kSettings;
}

const Setting* findSetting(std::string_view section, std::string_view key) {
  for (const auto& s : settings()) {
    if (s.section == section && s.key == key) {
      return &s;
    }
  }
  return nullptr;
}

std::string knownKeys(std::string_view section) {
  std::string out;
  for (const auto& s : settings()) {
    if (s.section == section) {
      out.append(out.empty() ? "" : ", ").append(s.key);
    }
  }
  return out;
}

Status validate(const Config& c) {
  auto brokers = brokerAddresses(c.amqp);
  if (!brokers.isOk()) {
    return brokers.status();
  }
  if (c.amqp.ssl && c.amqp.ssl_verify && c.amqp.ssl_ca.empty()) {
    return Status::invalidArgument(
        "[amqp] ssl = true with ssl_verify = true needs ssl_ca (the CA file that signs the broker's certificate)");
  }
  if (c.amqp.ssl_cert.empty() != c.amqp.ssl_key.empty()) {
    return Status::invalidArgument("[amqp] ssl_cert and ssl_key go together: set both or neither");
  }
  return Status::ok();
}

Result<HostPort> parseHostPort(std::string_view entry, int default_port, std::string_view key) {
  const auto bad = [&](std::string_view why) {
    // Without a key the caller names the setting itself.
    return Status::invalidArgument(key.empty() ? fmt::format("'{}' {}", entry, why)
                                               : fmt::format("{}: '{}' {}", key, entry, why));
  };
  std::string_view host = entry;
  std::optional<std::string_view> port;
  if (!entry.empty() && entry.front() == '[') {
    const size_t close = entry.find(']');
    if (close == std::string_view::npos) {
      return bad("has no closing ']'");
    }
    host = entry.substr(1, close - 1);
    const std::string_view rest = entry.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return bad("has text after ']' that is not :PORT");
      }
      port = rest.substr(1);
    }
  } else if (const size_t colon = entry.rfind(':'); colon != std::string_view::npos) {
    if (entry.find(':') != colon) {
      return bad("looks like an IPv6 address: write it as [ADDRESS]:PORT");
    }
    host = entry.substr(0, colon);
    port = entry.substr(colon + 1);
  }
  if (host.empty()) {
    return bad("names no host");
  }
  HostPort out{std::string(host), default_port};
  if (port) {
    const std::string error = setInt(out.port, *port, 1, 65535);
    if (!error.empty()) {
      return bad(fmt::format("has a bad port: {}", error));
    }
  }
  return out;
}

}  // namespace

Result<Config> parseConfig(std::string_view text, std::string_view origin) {
  auto entries = parseIni(text, origin);
  if (!entries.isOk()) {
    return entries.status();
  }
  Config config;
  for (const IniEntry& e : *entries) {
    const Setting* setting = findSetting(e.section, e.key);
    if (setting == nullptr) {
      const std::string known = knownKeys(e.section);
      if (known.empty()) {
        return Status::invalidArgument(fmt::format(
            "{}:{}: unknown section [{}] (known: monitor, mysql, amqp, metrics)", origin, e.line, e.section));
      }
      return Status::invalidArgument(fmt::format("{}:{}: unknown key '{}' in [{}] (known: {})", origin,
                                                 e.line, e.key, e.section, known));
    }
    const std::string error = setting->set(config, e.value);
    if (!error.empty()) {
      return Status::invalidArgument(
          fmt::format("{}:{}: [{}] {}: {}", origin, e.line, e.section, e.key, error));
    }
  }
  MM_RETURN_IF_ERROR(validate(config));
  return config;
}

Result<Config> loadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return Status::invalidArgument(fmt::format("cannot read config file {}", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  return parseConfig(text.str(), path);
}

Status applyEnvironment(Config& config, const std::map<std::string, std::string>& environment) {
  for (const auto& [name, value] : environment) {
    if (name.rfind("MYSQL_MONITOR_", 0) != 0) {
      continue;
    }
    for (const auto& s : settings()) {
      std::string expected = fmt::format("MYSQL_MONITOR_{}_{}", s.section, s.key);
      std::transform(expected.begin(), expected.end(), expected.begin(),
                     [](unsigned char ch) { return std::toupper(ch); });
      if (expected == name) {
        const std::string error = s.set(config, value);
        if (!error.empty()) {
          return Status::invalidArgument(fmt::format("environment {}: {}", name, error));
        }
      }
    }
  }
  return validate(config);
}

std::map<std::string, std::string> processEnvironment() {
  std::map<std::string, std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string_view::npos && entry.rfind("MYSQL_MONITOR_", 0) == 0) {
      out.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
    }
  }
  return out;
}

Result<std::vector<HostPort>> brokerAddresses(const AmqpConfig& amqp) {
  std::vector<HostPort> brokers;
  for (const std::string& entry : splitList(amqp.host)) {
    auto broker = parseHostPort(entry, amqp.port, "[amqp] host");
    if (!broker.isOk()) {
      return broker.status();
    }
    brokers.push_back(std::move(*broker));
  }
  if (brokers.empty()) {
    return Status::invalidArgument(fmt::format("[amqp] host: '{}' names no broker", amqp.host));
  }
  return brokers;
}

std::vector<std::string> splitList(std::string_view text) {
  std::vector<std::string> items;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) {
      item.remove_prefix(1);
    }
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) {
      item.remove_suffix(1);
    }
    if (!item.empty()) {
      items.emplace_back(item);
    }
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  return items;
}

std::string_view logLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warning: return "warning";
    case LogLevel::Error: return "error";
  }
  return "info";
}

}  // namespace mm::config
