#include "config/config.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <iterator>
#include <optional>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "common/check.h"
#include "common/regular_file.h"
#include "common/strings.h"
#include "config/ini_file.h"
#include "config/origin_config.h"

extern char** environ;

namespace mm::config {
namespace {

// Bounds on what is read: a configuration is a few KiB, a password a few dozen bytes. Larger is a
// mistake (a wrong path, /dev/zero, a log file), not worth reading whole.
constexpr size_t kMaxConfigFileBytes = 1 << 20;
constexpr size_t kMaxPasswordFileBytes = 4096;

// Keys holding a secret: never shown in errors, never accepted from --set. By name, so a secret
// key added later is covered: "password", "..._password", "...secret", "...token".
bool isSecretKey(std::string_view key) {
  return key.ends_with("password") || key.ends_with("secret") || key.ends_with("token");
}

// A setter returns an empty string on success, else what is wrong with the value (never the value
// of a secret: it would end up in a terminal or a log).
using Setter = std::function<std::string(Config&, std::string_view)>;
// Renders the setting's current value as the INI file spells it.
using Shower = std::function<std::string(const Config&)>;

struct Setting {
  std::string_view section;
  std::string_view key;
  Setter set;
  Shower show;
};

// A field of one section of Config, e.g. {&Config::mysql, &MysqlConfig::port}.
template <typename Section, typename T>
struct Field {
  Section Config::*section;
  T Section::*member;
  T& of(Config& c) const { return c.*section.*member; }
  const T& of(const Config& c) const { return c.*section.*member; }
};

// A decimal integer, '-' allowed; OutOfRange past int64_t (the value is then no use either way).
enum class Parsed { Ok, NotANumber, OutOfRange };
Parsed parseInt64(std::string_view text, int64_t& out) {
  const auto result = std::from_chars(text.data(), text.data() + text.size(), out);
  if (text.empty() || result.ptr != text.data() + text.size()) {
    return Parsed::NotANumber;
  }
  if (result.ec == std::errc::result_out_of_range) {
    return Parsed::OutOfRange;
  }
  return result.ec == std::errc() ? Parsed::Ok : Parsed::NotANumber;
}

std::string setInt(int& target, std::string_view value, int min, int max) {
  int64_t parsed = 0;
  const Parsed outcome = parseInt64(value, parsed);
  if (outcome == Parsed::NotANumber) {
    return fmt::format("'{}' is not an integer (allowed: {}..{})", shownText(value), min, max);
  }
  if (outcome == Parsed::OutOfRange || parsed < min || parsed > max) {
    return fmt::format("{} is outside {}..{}", shownText(value), min, max);
  }
  target = static_cast<int>(parsed);
  return {};
}

std::string setBool(bool& target, std::string_view value) {
  const std::string lower = asciiLower(value);
  if (lower == "true" || lower == "yes" || lower == "on" || lower == "1") {
    target = true;
  } else if (lower == "false" || lower == "no" || lower == "off" || lower == "0") {
    target = false;
  } else {
    return fmt::format("'{}' is not a boolean (allowed: true, false, yes, no, on, off, 1, 0)",
                       shownText(value));
  }
  return {};
}

template <typename S>
Setting intSetting(std::string_view section, std::string_view key, Field<S, int> field, int min,
                   int max) {
  return {section, key,
          [=](Config& c, std::string_view v) { return setInt(field.of(c), v, min, max); },
          [=](const Config& c) { return std::to_string(field.of(c)); }};
}

template <typename S>
Setting durationSetting(std::string_view section, std::string_view key, Field<S, int> field,
                        int min, int max) {
  return {
      section, key,
      [=](Config& c, std::string_view v) { return parseDurationSeconds(v, min, max, field.of(c)); },
      [=](const Config& c) { return std::to_string(field.of(c)); }};
}

template <typename S>
Setting boolSetting(std::string_view section, std::string_view key, Field<S, bool> field) {
  return {section, key, [=](Config& c, std::string_view v) { return setBool(field.of(c), v); },
          [=](const Config& c) -> std::string { return field.of(c) ? "true" : "false"; }};
}

enum class Presence { Optional, Required };

template <typename S>
Setting stringSetting(std::string_view section, std::string_view key, Field<S, std::string> field,
                      Presence presence = Presence::Optional) {
  return {section, key,
          [=](Config& c, std::string_view v) -> std::string {
            if (presence == Presence::Required && v.empty()) {
              return "is required and must not be empty";
            }
            field.of(c) = std::string(v);
            return {};
          },
          [=](const Config& c) { return field.of(c); }};
}

// One of a fixed set of names (case-insensitive). Names later in `choices` with a value already
// named are aliases: accepted, not listed.
template <typename S, typename T>
Setting choiceSetting(std::string_view section, std::string_view key, Field<S, T> field,
                      std::vector<std::pair<std::string_view, T>> choices) {
  std::string allowed;
  std::vector<T> listed;
  for (const auto& [name, value] : choices) {
    if (std::find(listed.begin(), listed.end(), value) == listed.end()) {
      listed.push_back(value);
      allowed.append(allowed.empty() ? "" : ", ").append(name);
    }
  }
  return {section, key,
          [=](Config& c, std::string_view v) -> std::string {
            const std::string lower = asciiLower(v);
            for (const auto& [name, value] : choices) {
              if (lower == name) {
                field.of(c) = value;
                return {};
              }
            }
            return fmt::format("'{}' is not one of {}", shownText(v), allowed);
          },
          [=](const Config& c) -> std::string {
            for (const auto& [name, value] : choices) {
              if (field.of(c) == value) {
                return std::string(name);
              }
            }
            return {};
          }};
}

// A list as the INI file spells it: "a,b".
std::string commaList(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    out.append(out.empty() ? "" : ",").append(item);
  }
  return out;
}

// A comma list of "db.table" patterns ('*' wildcards).
Setting tablePatternsSetting(std::string_view key, std::vector<std::string> MysqlConfig::*member) {
  return {"mysql", key,
          [=](Config& c, std::string_view v) -> std::string {
            std::vector<std::string> patterns = splitList(v);
            for (const std::string& pattern : patterns) {
              const auto dot = pattern.find('.');
              if (dot == std::string::npos || dot == 0 || dot + 1 == pattern.size() ||
                  pattern.find('.', dot + 1) != std::string::npos) {
                return fmt::format(
                    "'{}' is not a db.table pattern (use * as a wildcard: shop.*, *.audit)",
                    shownText(pattern));
              }
            }
            c.mysql.*member = std::move(patterns);
            return {};
          },
          [=](const Config& c) { return commaList(c.mysql.*member); }};
}

Result<HostPort> parseHostPort(std::string_view entry, int default_port, std::string_view key);
Result<std::vector<HostPort>> brokerAddresses(const AmqpConfig& amqp);

// One broker or a comma list, checked here so a malformed entry is reported with its file:line.
Setting brokerHostsSetting() {
  return {"amqp", "host",
          [](Config& c, std::string_view v) -> std::string {
            AmqpConfig candidate;
            candidate.host = std::string(v);
            auto brokers = brokerAddresses(candidate);
            if (!brokers.isOk()) {
              // "[amqp] host: 'x' names no broker" -> "'x' names no broker"
              const std::string& message = brokers.status().message();
              const std::string_view prefix = "[amqp] host: ";
              return message.rfind(prefix, 0) == 0 ? message.substr(prefix.size()) : message;
            }
            c.amqp.host = std::move(candidate.host);
            return {};
          },
          [](const Config& c) { return c.amqp.host; }};
}

Setting serverIdSetting() {
  return {
      "mysql", "server_id",
      [](Config& c, std::string_view v) -> std::string {
        uint64_t id = 0;
        auto r = std::from_chars(v.data(), v.data() + v.size(), id);
        if (r.ec != std::errc() || r.ptr != v.data() + v.size() || id == 0 || id > 0xFFFFFFFFu) {
          return fmt::format("'{}' is not a server id (allowed: 1..4294967295)", shownText(v));
        }
        c.mysql.server_id = static_cast<uint32_t>(id);
        return {};
      },
      [](const Config& c) { return std::to_string(c.mysql.server_id); }};
}

// The forms are listed here, where the setting is named; binlog/start_position.h parses them.
Setting startPositionSetting() {
  return {"mysql", "start_position",
          [](Config& c, std::string_view v) -> std::string {
            if (v.empty()) {
              return "is required and must not be empty";
            }
            auto start = binlog::parseStartPosition(v);
            if (!start) {
              return fmt::format(
                  "'{}' is not one of current, earliest, FILE:POS (POS >= 4, e.g. "
                  "mysql-bin.000042:4) or a GTID set (MySQL uuid:1-100, MariaDB 0-1-100)",
                  shownText(v));
            }
            c.mysql.start_position = std::move(*start);
            return {};
          },
          [](const Config& c) { return c.mysql.start_position.text; }};
}

// The template is parsed here, so a bad placeholder is reported with its file:line.
Setting routingKeySetting() {
  return {"amqp", "routing_key",
          [](Config& c, std::string_view v) -> std::string {
            auto routing = message::RoutingKeyTemplate::parse(v);
            if (!routing.isOk()) {
              return routing.status().message();
            }
            c.amqp.routing_key = std::string(v);
            c.amqp.routing = std::move(*routing);
            return {};
          },
          [](const Config& c) { return c.amqp.routing_key; }};
}

// Schema names, one or a comma list.
Setting databasesSetting() {
  return {"mysql", "database",
          [](Config& c, std::string_view v) -> std::string {
            c.mysql.databases = splitList(v);
            return {};
          },
          [](const Config& c) { return commaList(c.mysql.databases); }};
}

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
    return fmt::format("'{}' names no port (HOST:PORT, e.g. 127.0.0.1:9650, or off)",
                       shownText(value));
  }
  c.metrics = MetricsConfig{true, address->host, address->port, c.metrics.stall_seconds};
  return {};
}

// Our four levels, and what Python's logging accepts (the origin's log_level): its other names
// and numbers (CRITICAL 50, ERROR 40, WARNING 30, INFO 20, DEBUG 10), each as the nearest level
// at or below it.
Setting logLevelSetting() {
  static const std::vector<std::pair<std::string_view, LogLevel>> kNames = {
      {"debug", LogLevel::Debug}, {"info", LogLevel::Info},    {"warning", LogLevel::Warning},
      {"error", LogLevel::Error}, {"warn", LogLevel::Warning}, {"critical", LogLevel::Error},
      {"fatal", LogLevel::Error}, {"notset", LogLevel::Debug}};
  return {"monitor", "log_level",
          [](Config& c, std::string_view v) -> std::string {
            const std::string lower = asciiLower(v);
            for (const auto& [name, level] : kNames) {
              if (lower == name) {
                c.monitor.log_level = level;
                return {};
              }
            }
            int64_t number = 0;
            if (parseInt64(v, number) == Parsed::Ok && number >= 0) {
              c.monitor.log_level = number >= 40   ? LogLevel::Error
                                    : number >= 30 ? LogLevel::Warning
                                    : number >= 20 ? LogLevel::Info
                                                   : LogLevel::Debug;
              return {};
            }
            return fmt::format("'{}' is not one of debug, info, warning, error (or Python's "
                               "critical, fatal, notset, or a level number such as 20)",
                               shownText(v));
          },
          [](const Config& c) { return std::string(logLevelName(c.monitor.log_level)); }};
}

// The settings of each section, in the order `knownSettings` lists them.
std::vector<Setting> monitorSettings() {
  using M = MonitorConfig;
  constexpr auto kMonitor = &Config::monitor;
  constexpr int kDay = 86400;
  return {
      logLevelSetting(),
      choiceSetting<M, LogFormat>("monitor", "log_format", {kMonitor, &M::log_format},
                                  {{"text", LogFormat::Text}, {"json", LogFormat::Json}}),
      durationSetting<M>("monitor", "delay", {kMonitor, &M::delay_seconds}, 0, kDay),
      durationSetting<M>("monitor", "delay_start", {kMonitor, &M::delay_start_seconds}, 0, 3600),
      durationSetting<M>("monitor", "stop_timeout", {kMonitor, &M::stop_timeout_seconds}, 1, 3600),
      stringSetting<M>("monitor", "state_path", {kMonitor, &M::state_path}, Presence::Required),
      durationSetting<M>("monitor", "heartbeat_interval",
                         {kMonitor, &M::heartbeat_interval_seconds}, 0, kDay),
      intSetting<M>("monitor", "max_held_mb", {kMonitor, &M::max_held_mb}, 1, 1 << 20),
      intSetting<M>("monitor", "checkpoint_interval_ms", {kMonitor, &M::checkpoint_interval_ms}, 10,
                    60000),
      choiceSetting<M, StateStoreKind>(
          "monitor", "state_store", {kMonitor, &M::state_store},
          {{"file", StateStoreKind::File}, {"mysql", StateStoreKind::Mysql}}),
      stringSetting<M>("monitor", "name", {kMonitor, &M::name}, Presence::Required),
  };
}

std::vector<Setting> mysqlSettings() {
  using S = MysqlConfig;
  constexpr auto kMysql = &Config::mysql;
  return {
      stringSetting<S>("mysql", "host", {kMysql, &S::host}, Presence::Required),
      intSetting<S>("mysql", "port", {kMysql, &S::port}, 1, 65535),
      stringSetting<S>("mysql", "user", {kMysql, &S::user}, Presence::Required),
      stringSetting<S>("mysql", "password", {kMysql, &S::password}),
      stringSetting<S>("mysql", "password_file", {kMysql, &S::password_file}),
      databasesSetting(),
      tablePatternsSetting("tables", &S::tables),
      tablePatternsSetting("exclude_tables", &S::exclude_tables),
      serverIdSetting(),
      startPositionSetting(),
      durationSetting<S>("mysql", "heartbeat_period", {kMysql, &S::heartbeat_period_seconds}, 1,
                         3600),
      choiceSetting<S, OnPositionLost>(
          "mysql", "on_position_lost", {kMysql, &S::on_position_lost},
          {{"fail", OnPositionLost::Fail}, {"current", OnPositionLost::Current}}),
      choiceSetting<S, bool>("mysql", "resume_by", {kMysql, &S::resume_by_gtid},
                             {{"position", false}, {"gtid", true}}),
      choiceSetting<S, MysqlSsl>("mysql", "ssl", {kMysql, &S::ssl},
                                 {{"off", MysqlSsl::Off},
                                  {"on", MysqlSsl::On},
                                  {"verify_ca", MysqlSsl::VerifyCa},
                                  {"verify_identity", MysqlSsl::VerifyIdentity}}),
      stringSetting<S>("mysql", "ssl_ca", {kMysql, &S::ssl_ca}),
      stringSetting<S>("mysql", "ssl_cert", {kMysql, &S::ssl_cert}),
      stringSetting<S>("mysql", "ssl_key", {kMysql, &S::ssl_key}),
  };
}

std::vector<Setting> amqpSettings() {
  using A = AmqpConfig;
  constexpr auto kAmqp = &Config::amqp;
  return {
      brokerHostsSetting(),
      intSetting<A>("amqp", "port", {kAmqp, &A::port}, 1, 65535),
      stringSetting<A>("amqp", "user", {kAmqp, &A::user}, Presence::Required),
      stringSetting<A>("amqp", "password", {kAmqp, &A::password}),
      stringSetting<A>("amqp", "password_file", {kAmqp, &A::password_file}),
      stringSetting<A>("amqp", "vhost", {kAmqp, &A::vhost}, Presence::Required),
      boolSetting<A>("amqp", "ssl", {kAmqp, &A::ssl}),
      stringSetting<A>("amqp", "ssl_ca", {kAmqp, &A::ssl_ca}),
      boolSetting<A>("amqp", "ssl_verify", {kAmqp, &A::ssl_verify}),
      stringSetting<A>("amqp", "ssl_cert", {kAmqp, &A::ssl_cert}),
      stringSetting<A>("amqp", "ssl_key", {kAmqp, &A::ssl_key}),
      stringSetting<A>("amqp", "exchange", {kAmqp, &A::exchange}, Presence::Required),
      choiceSetting<A, std::string>("amqp", "exchange_type", {kAmqp, &A::exchange_type},
                                    {{"fanout", "fanout"},
                                     {"direct", "direct"},
                                     {"topic", "topic"},
                                     {"headers", "headers"},
                                     {"x-consistent-hash", "x-consistent-hash"}}),
      routingKeySetting(),
      boolSetting<A>("amqp", "mandatory", {kAmqp, &A::mandatory}),
      choiceSetting<A, AmqpHeaders>("amqp", "headers", {kAmqp, &A::headers},
                                    {{"auto", AmqpHeaders::Auto},
                                     {"on", AmqpHeaders::On},
                                     {"off", AmqpHeaders::Off},
                                     {"true", AmqpHeaders::On},
                                     {"false", AmqpHeaders::Off}}),
      durationSetting<A>("amqp", "heartbeat", {kAmqp, &A::heartbeat_seconds}, 0, 3600),
      intSetting<A>("amqp", "confirm_window", {kAmqp, &A::confirm_window}, 1, 1000000),
      choiceSetting<A, OnOversize>("amqp", "on_oversize", {kAmqp, &A::on_oversize},
                                   {{"fail", OnOversize::Fail}, {"stub", OnOversize::Stub}}),
      intSetting<A>("amqp", "max_message_size", {kAmqp, &A::max_message_size}, 0, 536870912),
  };
}

std::vector<Setting> metricsSettings() {
  return {
      {"metrics", "listen", setMetricsListen,
       [](const Config& c) -> std::string {
         if (!c.metrics.enabled) {
           return "off";
         }
         const bool ipv6 = c.metrics.host.find(':') != std::string::npos;
         return fmt::format("{}{}{}:{}", ipv6 ? "[" : "", c.metrics.host, ipv6 ? "]" : "",
                            c.metrics.port);
       }},
      intSetting<MetricsConfig>("metrics", "stall_seconds",
                                {&Config::metrics, &MetricsConfig::stall_seconds}, 2, 86400),
  };
}

std::vector<Setting> snapshotSettings() {
  using S = SnapshotConfig;
  constexpr auto kSnapshot = &Config::snapshot;
  return {
      choiceSetting<S, SnapshotMode>(
          "snapshot", "mode", {kSnapshot, &S::mode},
          {{"never", SnapshotMode::Never}, {"initial", SnapshotMode::Initial}}),
      intSetting<S>("snapshot", "chunk_rows", {kSnapshot, &S::chunk_rows}, 1, 1000000),
      intSetting<S>("snapshot", "max_rows_per_second", {kSnapshot, &S::max_rows_per_second}, 0,
                    1000000000),
      intSetting<S>("snapshot", "keyless_max_rows", {kSnapshot, &S::keyless_max_rows}, 1,
                    100000000),
  };
}

std::vector<Setting> stateSettings() {
  using S = StateConfig;
  constexpr auto kState = &Config::state;
  return {
      stringSetting<S>("state", "database", {kState, &S::database}, Presence::Required),
      stringSetting<S>("state", "host", {kState, &S::host}),
      intSetting<S>("state", "port", {kState, &S::port}, 1, 65535),
      stringSetting<S>("state", "user", {kState, &S::user}),
      stringSetting<S>("state", "password", {kState, &S::password}),
      stringSetting<S>("state", "password_file", {kState, &S::password_file}),
      durationSetting<S>("state", "lock_timeout", {kState, &S::lock_timeout_seconds}, 2, 3600),
  };
}

std::vector<Setting> messageSettings() {
  return {choiceSetting<MessageConfig, message::MessageFormat>(
      "message", "format", {&Config::message, &MessageConfig::format},
      {{"native", message::MessageFormat::Native}, {"origin", message::MessageFormat::Origin}})};
}

const std::vector<Setting>& settings() {
  static const std::vector<Setting> kSettings = [] {
    std::vector<Setting> all;
    for (auto section : {monitorSettings, mysqlSettings, amqpSettings, metricsSettings,
                         snapshotSettings, messageSettings, stateSettings}) {
      std::vector<Setting> settings = section();
      std::move(settings.begin(), settings.end(), std::back_inserter(all));
    }
    return all;
  }();
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

std::vector<std::string_view> sectionNames() {
  std::vector<std::string_view> out;
  for (const auto& s : settings()) {
    if (std::find(out.begin(), out.end(), s.section) == out.end()) {
      out.push_back(s.section);
    }
  }
  return out;
}

std::string joined(const std::vector<std::string_view>& items) {
  std::string out;
  for (std::string_view item : items) {
    out.append(out.empty() ? "" : ", ").append(item);
  }
  return out;
}

std::vector<std::string_view> keysOf(std::string_view section) {
  std::vector<std::string_view> out;
  for (const auto& s : settings()) {
    if (s.section == section) {
      out.push_back(s.key);
    }
  }
  return out;
}

// Edit distance counting a swap of neighbours as one edit (optimal string alignment): typos are
// mostly one wrong, missing, extra or swapped letter.
size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) {
    d[i][0] = i;
  }
  for (size_t j = 0; j <= b.size(); ++j) {
    d[0][j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// The candidate closest to `word`, if close enough to be a typo of it.
std::optional<std::string_view> closest(std::string_view word,
                                        const std::vector<std::string_view>& candidates) {
  const size_t allowed = word.size() <= 4 ? 1 : word.size() <= 8 ? 2 : 3;
  std::optional<std::string_view> best;
  size_t best_distance = allowed + 1;
  for (std::string_view candidate : candidates) {
    // The distance is at least the difference in length: a 10 MB key is compared with nothing
    // (editDistance costs the product of the lengths).
    const size_t longer = std::max(word.size(), candidate.size());
    if (longer - std::min(word.size(), candidate.size()) > allowed) {
      continue;
    }
    const size_t distance = editDistance(word, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

// "unknown key 'prot' in [mysql]; did you mean 'port'?" and its variants.
std::string describeUnknown(std::string_view section, std::string_view key) {
  const std::string shown_section = shownText(section);
  const std::string shown_key = shownText(key);
  const std::vector<std::string_view> sections = sectionNames();
  if (std::find(sections.begin(), sections.end(), section) == sections.end()) {
    if (auto near = closest(section, sections)) {
      return fmt::format("unknown section [{}]; did you mean [{}]?", shown_section, *near);
    }
    return fmt::format("unknown section [{}] (known: {})", shown_section, joined(sections));
  }
  if (auto near = closest(key, keysOf(section))) {
    return fmt::format("unknown key '{}' in [{}]; did you mean '{}'?", shown_key, section, *near);
  }
  for (std::string_view other : sections) {
    if (findSetting(other, key) != nullptr) {
      return fmt::format("unknown key '{}' in [{}]; it belongs in [{}]", shown_key, section, other);
    }
  }
  return fmt::format("unknown key '{}' in [{}] (known: {})", shown_key, section,
                     joined(keysOf(section)));
}

std::string environmentName(std::string_view section, std::string_view key) {
  return asciiUpper(fmt::format("MYSQL_MONITOR_{}_{}", section, key));
}

// [state] database is an identifier we create tables in; [monitor] name is a key of its rows.
Status validateState(const Config& c) {
  const std::string& db = c.state.database;
  const bool plain = std::all_of(db.begin(), db.end(), [](unsigned char ch) {
    return std::isalnum(ch) != 0 || ch == '_' || ch == '$';
  });
  if (db.empty() || db.size() > 64 || !plain) {
    return Status::invalidArgument(fmt::format(
        "[state] database '{}' is not a plain database name (1 to 64 of A-Z a-z 0-9 _ $)",
        shownText(db)));
  }
  if (c.monitor.name.size() > 64) {
    return Status::invalidArgument(
        fmt::format("[monitor] name is {} bytes long; at most 64", c.monitor.name.size()));
  }
  if (c.state.host.empty() && (!c.state.user.empty() || !c.state.password.empty())) {
    return Status::invalidArgument(
        "[state] user/password are set but [state] host is not: without a host the state lives "
        "on the [mysql] source with its credentials. Set [state] host, or remove them");
  }
  return Status::ok();
}

Status validate(const Config& c) {
  if (c.amqp.ssl && c.amqp.ssl_verify && c.amqp.ssl_ca.empty()) {
    return Status::invalidArgument(
        fmt::format("missing required key [amqp] ssl_ca: ssl = true with ssl_verify = true needs "
                    "the CA file (PEM) that signs the broker's certificate (the Python monitor's "
                    "ca_certs; its default, {}/cacert.pem, is not there)",
                    c.monitor.state_path));
  }
  if (c.amqp.ssl_cert.empty() != c.amqp.ssl_key.empty()) {
    return Status::invalidArgument("[amqp] ssl_cert and ssl_key go together: set both or neither");
  }
  const bool mysql_verifies =
      c.mysql.ssl == MysqlSsl::VerifyCa || c.mysql.ssl == MysqlSsl::VerifyIdentity;
  if (mysql_verifies && c.mysql.ssl_ca.empty()) {
    return Status::invalidArgument(
        "missing required key [mysql] ssl_ca: ssl = verify_ca or verify_identity needs the CA file "
        "(PEM) that signs the server's certificate");
  }
  if (c.mysql.ssl_cert.empty() != c.mysql.ssl_key.empty()) {
    return Status::invalidArgument("[mysql] ssl_cert and ssl_key go together: set both or neither");
  }
  if (c.mysql.ssl == MysqlSsl::Off && (!c.mysql.ssl_ca.empty() || !c.mysql.ssl_cert.empty())) {
    return Status::invalidArgument("[mysql] ssl_ca/ssl_cert are set but ssl = off, so the "
                                   "connection would be plain: set [mysql] "
                                   "ssl = verify_identity (or verify_ca, on), or remove them");
  }
  MM_RETURN_IF_ERROR(validateState(c));
  if (c.mysql.servers.size() > 1 && !c.mysql.resume_by_gtid) {
    return Status::invalidArgument(
        "[mysql] host lists several servers but [mysql] resume_by = position: a binlog position "
        "means nothing on another server. Set [mysql] resume_by = gtid (the servers must be one "
        "GTID replication topology), or name one server");
  }
  if (c.mysql.ssl == MysqlSsl::On && !c.mysql.ssl_ca.empty()) {
    return Status::invalidArgument(
        "[mysql] ssl_ca is set but ssl = on, which does not check the server's certificate: set "
        "[mysql] ssl = verify_identity (or verify_ca) to use it, or remove ssl_ca");
  }
  return Status::ok();
}

Result<HostPort> parseHostPort(std::string_view entry, int default_port, std::string_view key) {
  const auto bad = [&](std::string_view why) {
    // Without a key the caller names the setting itself.
    return Status::invalidArgument(key.empty()
                                       ? fmt::format("'{}' {}", shownText(entry), why)
                                       : fmt::format("{}: '{}' {}", key, shownText(entry), why));
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

// The entries of a `host` list ("a,b:5673,[::1]:5674"), `port` where an entry names none.
// InvalidArgument naming `key` and the entry when one is malformed; `what` names an entry
// ("broker").
Result<std::vector<HostPort>> hostAddresses(const std::string& host, int port, std::string_view key,
                                            std::string_view what) {
  std::vector<HostPort> addresses;
  for (const std::string& entry : splitList(host)) {
    auto address = parseHostPort(entry, port, key);
    if (!address.isOk()) {
      return address.status();
    }
    addresses.push_back(std::move(*address));
  }
  if (addresses.empty()) {
    return Status::invalidArgument(fmt::format("{}: '{}' names no {}", key, shownText(host), what));
  }
  return addresses;
}

// The brokers of `[amqp] host`, `[amqp] port` where an entry names none.
Result<std::vector<HostPort>> brokerAddresses(const AmqpConfig& amqp) {
  return hostAddresses(amqp.host, amqp.port, "[amqp] host", "broker");
}

constexpr std::string_view kEnvironmentPrefix = "MYSQL_MONITOR_";

// Applies the layers in order, remembering where each key was last set for later messages.
class ConfigBuilder {
 public:
  // The defaults' typed values: the routing key template parsed from its default text.
  ConfigBuilder() {
    const std::string error = routingKeySetting().set(config_, config_.amqp.routing_key);
    MM_CHECK(error.empty(), "the default routing key parses");
  }

  // The keys of [DEFAULT] go to every section that has them and does not set them itself, as
  // Python's ConfigParser reads them (config/origin_config.h).
  Status applyFile(std::string_view text, std::string_view origin) {
    auto entries = parseIni(text, origin);
    if (!entries.isOk()) {
      return entries.status();
    }
    MM_RETURN_IF_ERROR(noteKeysInFile(*entries, origin));
    for (const IniEntry& e : *entries) {
      if (e.section == kDefaultSection) {
        MM_RETURN_IF_ERROR(applyDefault(e, origin));
      }
    }
    for (const IniEntry& e : *entries) {
      if (e.section == kDefaultSection) {
        continue;
      }
      const std::string where = fmt::format("{}:{}", origin, e.line);
      const Setting* setting = findSetting(e.section, canonicalKey(e.section, e.key));
      if (setting == nullptr) {
        return Status::invalidArgument(
            fmt::format("{}: {}", where, describeUnknown(e.section, e.key)));
      }
      MM_RETURN_IF_ERROR(apply(*setting, e.value, where, Layer::File));
    }
    return Status::ok();
  }

  Status applyEnvironment(const std::map<std::string, std::string>& environment) {
    for (const auto& [name, value] : environment) {
      if (name.rfind(kEnvironmentPrefix, 0) != 0) {
        continue;
      }
      const std::string where = fmt::format("environment {}", shownText(name));
      const Setting* setting = nullptr;
      for (const auto& s : settings()) {
        if (environmentName(s.section, s.key) == name) {
          setting = &s;
        }
      }
      if (setting == nullptr) {
        return Status::invalidArgument(fmt::format("{}: {}", where, describeUnknownVariable(name)));
      }
      MM_RETURN_IF_ERROR(apply(*setting, value, where, Layer::Environment));
    }
    return Status::ok();
  }

  // `text` is "section.key=value"; the value may hold '=' and may be empty.
  Status applyOverride(std::string_view text) {
    const size_t equals = text.find('=');
    const std::string_view name = text.substr(0, equals);
    // Never repeat the value: it may be a password.
    const std::string where = fmt::format("--set {}", shownText(name));
    const size_t dot = name.find('.');
    if (equals == std::string_view::npos || dot == std::string_view::npos || dot == 0 ||
        dot + 1 == name.size()) {
      // Without '=' the text is shown only when it names a setting: else it may be a value
      // (`--set hunter2`).
      const bool names_setting = dot != std::string_view::npos &&
                                 findSetting(name.substr(0, dot), name.substr(dot + 1)) != nullptr;
      if (equals == std::string_view::npos && !names_setting) {
        return Status::invalidArgument(
            "--set: expected section.key=value (e.g. --set mysql.port=3307); the argument is not "
            "repeated, as it may be a secret");
      }
      return Status::invalidArgument(fmt::format(
          "--set '{}': expected section.key=value (e.g. --set mysql.port=3307)", shownText(name)));
    }
    const std::string section(name.substr(0, dot));
    const std::string key(name.substr(dot + 1));
    const Setting* setting = findSetting(section, key);
    if (setting == nullptr) {
      return Status::invalidArgument(fmt::format("{}: {}", where, describeUnknown(section, key)));
    }
    if (isSecretKey(key)) {
      // Refused rather than scrubbed from argv: any local user reads the command line (ps,
      // /proc/PID/cmdline) from the exec on, before the process could overwrite it, and shells
      // keep it in their history.
      return Status::invalidArgument(fmt::format(
          "{}: a secret is not accepted on the command line, where every local user can read it "
          "(ps); set the environment variable {} or [{}] {}_file instead",
          where, environmentName(section, key), section, key));
    }
    return apply(*setting, text.substr(equals + 1), where, Layer::Override);
  }

  // Reads the password files, checks that the files named can be read, and the settings that go
  // together.
  Result<Config> finish() {
    resolveOriginPaths(config_);
    if (written_for_origin_) {
      config_.origin_differences = originDifferences(config_, set_in_file_);
    }
    MM_RETURN_IF_ERROR(
        readPasswordFile("mysql", config_.mysql.password, config_.mysql.password_file));
    MM_RETURN_IF_ERROR(readPasswordFile("amqp", config_.amqp.password, config_.amqp.password_file));
    MM_RETURN_IF_ERROR(
        readPasswordFile("state", config_.state.password, config_.state.password_file));
    MM_RETURN_IF_ERROR(checkNamedFiles());
    // Host and port may come from different sources: the list is made once both are final.
    auto brokers = brokerAddresses(config_.amqp);
    if (!brokers.isOk()) {
      return brokers.status();
    }
    config_.amqp.brokers = std::move(*brokers);
    auto servers = hostAddresses(config_.mysql.host, config_.mysql.port, "[mysql] host", "server");
    if (!servers.isOk()) {
      return servers.status();
    }
    config_.mysql.servers = std::move(*servers);
    MM_RETURN_IF_ERROR(validate(config_));
    return std::move(config_);
  }

 private:
  enum class Layer { File, Environment, Override };  // in increasing precedence
  struct Origin {
    std::string where;  // "file:line", "environment NAME" or "--set section.key"
    Layer layer;
  };

  Status apply(const Setting& setting, std::string_view value, const std::string& where,
               Layer layer) {
    const std::string error = setting.set(config_, value);
    if (!error.empty()) {
      // A setter's message may quote the value: never for a secret.
      return Status::invalidArgument(
          fmt::format("{}: [{}] {}: {}", where, setting.section, setting.key,
                      isSecretKey(setting.key) ? "invalid value (not shown)" : error));
    }
    origins_[fmt::format("{}.{}", setting.section, setting.key)] = Origin{where, layer};
    return Status::ok();
  }

  // Remembers which keys the file sets (their sections' own or through [DEFAULT]) and whether
  // every one is a key the origin knew. InvalidArgument when [amqp] sets both ca_certs (the
  // origin's name) and ssl_ca.
  Status noteKeysInFile(const std::vector<IniEntry>& entries, std::string_view origin) {
    std::map<std::pair<std::string, std::string>, int> lines;
    written_for_origin_ = !entries.empty();
    for (const IniEntry& e : entries) {
      const std::string key(canonicalKey(e.section, e.key));
      const auto [first, inserted] = lines.emplace(std::pair{e.section, key}, e.line);
      if (!inserted) {
        return Status::invalidArgument(
            fmt::format("{}:{}: [{}] {} is set again as {} (first at {}:{}): keep one", origin,
                        e.line, e.section, key, shownText(e.key), origin, first->second));
      }
      if (e.section == kDefaultSection) {
        for (std::string_view section : sectionNames()) {
          set_in_file_.emplace(std::string(section), std::string(canonicalKey(section, e.key)));
        }
      } else {
        set_in_file_.emplace(e.section, key);
        own_keys_.emplace(e.section, key);
        written_for_origin_ = written_for_origin_ && isOriginKey(e.section, e.key);
      }
    }
    return Status::ok();
  }

  // A [DEFAULT] key, set in every section that has it and does not set it itself. A key no
  // section has is ignored with a warning (Python ignores it silently).
  Status applyDefault(const IniEntry& e, std::string_view origin) {
    const std::string where = fmt::format("{}:{}", origin, e.line);
    bool used = false;
    for (std::string_view section : sectionNames()) {
      const Setting* setting = findSetting(section, canonicalKey(section, e.key));
      if (setting == nullptr ||
          own_keys_.count({std::string(section), std::string(setting->key)})) {
        continue;
      }
      used = true;
      MM_RETURN_IF_ERROR(apply(*setting, e.value, where, Layer::File));
    }
    if (!used) {
      config_.warnings.push_back(fmt::format("{}: [DEFAULT] {} is a key no section has: ignored",
                                             where, shownText(e.key)));
    }
    return Status::ok();
  }

  std::string describeUnknownVariable(std::string_view name) const {
    const std::string rest = asciiLower(name.substr(kEnvironmentPrefix.size()));
    for (std::string_view section : sectionNames()) {
      if (rest.size() > section.size() + 1 && rest.rfind(section, 0) == 0 &&
          rest[section.size()] == '_') {
        const std::string key = rest.substr(section.size() + 1);
        if (auto near = closest(key, keysOf(section))) {
          return fmt::format("unknown key '{}' in [{}]; did you mean {}?", shownText(key), section,
                             environmentName(section, *near));
        }
        for (std::string_view other : sectionNames()) {
          if (findSetting(other, key) != nullptr) {
            return fmt::format("unknown key '{}' in [{}]; it belongs in [{}]: {}", shownText(key),
                               section, other, environmentName(other, key));
          }
        }
        return fmt::format("unknown key '{}' in [{}] (known: {})", shownText(key), section,
                           joined(keysOf(section)));
      }
    }
    std::vector<std::string> names;
    for (const auto& s : settings()) {
      names.push_back(environmentName(s.section, s.key));
    }
    const std::vector<std::string_view> candidates(names.begin(), names.end());
    if (auto near = closest(name, candidates)) {
      return fmt::format("names no setting; did you mean {}?", *near);
    }
    return fmt::format(
        "names no setting: expected MYSQL_MONITOR_<SECTION>_<KEY> with a section of {}",
        joined(sectionNames()));
  }

  // A password and a password file set in the same layer contradict each other; across layers the
  // later one wins like any other setting (a file's `password = guest` does not block
  // MYSQL_MONITOR_AMQP_PASSWORD_FILE).
  Status readPasswordFile(std::string_view section, std::string& password, std::string& path) {
    if (path.empty()) {
      return Status::ok();
    }
    const Origin file_origin = origins_.at(fmt::format("{}.password_file", section));
    const auto password_origin = origins_.find(fmt::format("{}.password", section));
    if (password_origin != origins_.end() && !password.empty()) {
      if (password_origin->second.layer == file_origin.layer) {
        return Status::invalidArgument(
            fmt::format("[{}] password ({}) and password_file ({}) are both set: keep one", section,
                        password_origin->second.where, file_origin.where));
      }
      if (password_origin->second.layer > file_origin.layer) {
        path.clear();
        return Status::ok();
      }
    }
    auto file = readRegularFile(path, kMaxPasswordFileBytes);
    if (!file.isOk()) {
      return Status::invalidArgument(fmt::format("{}: [{}] password_file: cannot read {}",
                                                 file_origin.where, section,
                                                 file.status().message()));
    }
    if ((file->mode & (S_IRGRP | S_IROTH)) != 0) {
      config_.warnings.push_back(fmt::format("{}: [{}] password_file {} is readable by its group "
                                             "or by others (mode {:04o}): chmod 600 "
                                             "it (or 400; Kubernetes: defaultMode 0400)",
                                             file_origin.where, section, path, file->mode & 07777));
    }
    password = std::move(file->content);
    // One trailing newline is the file's, not the password's (echo secret > file).
    if (!password.empty() && password.back() == '\n') {
      password.pop_back();
      if (!password.empty() && password.back() == '\r') {
        password.pop_back();
      }
    }
    return Status::ok();
  }

  // Every file a setting names (ssl_ca, ssl_cert, ssl_key and any *_file key; password files are
  // read above) must be a regular file we can read: found now, the error names the setting and
  // the reason, instead of a library's "cannot load" once connecting.
  Status checkNamedFiles() {
    for (const Setting& s : settings()) {
      const bool names_file = s.key == "ssl_ca" || s.key == "ssl_cert" || s.key == "ssl_key" ||
                              (s.key.ends_with("_file") && s.key != "password_file");
      if (!names_file) {
        continue;
      }
      const std::string path = s.show(config_);
      const auto origin = origins_.find(fmt::format("{}.{}", s.section, s.key));
      if (path.empty() || origin == origins_.end()) {
        continue;
      }
      if (Status readable = checkRegularFileReadable(path); !readable.isOk()) {
        return Status::invalidArgument(fmt::format("{}: [{}] {}: cannot read {}",
                                                   origin->second.where, s.section, s.key,
                                                   readable.message()));
      }
    }
    return Status::ok();
  }

  Config config_;
  std::map<std::string, Origin> origins_;  // "section.key" -> where it was last set
  // (section, key) the file sets: through [DEFAULT] too (set_in_file_), or in the section itself.
  std::set<std::pair<std::string, std::string>> set_in_file_;
  std::set<std::pair<std::string, std::string>> own_keys_;
  bool written_for_origin_ = false;  // the file has keys, each one the origin knew
};

}  // namespace

Result<Config> buildConfig(std::string_view file_text, std::string_view file_origin,
                           const std::map<std::string, std::string>& environment,
                           const std::vector<std::string>& overrides) {
  ConfigBuilder builder;
  MM_RETURN_IF_ERROR(builder.applyFile(file_text, file_origin));
  MM_RETURN_IF_ERROR(builder.applyEnvironment(environment));
  for (const std::string& override_text : overrides) {
    MM_RETURN_IF_ERROR(builder.applyOverride(override_text));
  }
  return builder.finish();
}

Result<Config> parseConfig(std::string_view text, std::string_view origin) {
  return buildConfig(text, origin, {}, {});
}

Result<Config> loadConfig(const ConfigSources& sources) {
  std::string text;
  if (!sources.file_path.empty()) {
    auto file = readRegularFile(sources.file_path, kMaxConfigFileBytes);
    if (!file.isOk()) {
      return Status::invalidArgument(
          fmt::format("cannot read config file {}", file.status().message()));
    }
    text = std::move(file->content);
  }
  return buildConfig(text, sources.file_path, sources.environment, sources.overrides);
}

std::vector<KnownSetting> knownSettings() {
  const Config defaults;
  std::vector<KnownSetting> out;
  for (const auto& s : settings()) {
    out.push_back(KnownSetting{std::string(s.section), std::string(s.key), s.show(defaults)});
  }
  return out;
}

std::string parseDurationSeconds(std::string_view text, int min, int max, int& seconds) {
  const auto bad = [&] {
    return fmt::format("'{}' is not a duration (allowed: {}..{} seconds, as 30, 30s, 5m or 1h)",
                       shownText(text), min, max);
  };
  int multiplier = 1;
  std::string_view number = text;
  if (!number.empty() && std::isalpha(static_cast<unsigned char>(number.back()))) {
    switch (number.back()) {
      case 's': multiplier = 1; break;
      case 'm': multiplier = 60; break;
      case 'h': multiplier = 3600; break;
      default: return bad();
    }
    number.remove_suffix(1);
  }
  int64_t value = 0;
  const Parsed outcome = parseInt64(number, value);
  if (outcome == Parsed::NotANumber) {
    return bad();
  }
  // Checked before multiplying: 1152921504606846977h is 3600 s in 64-bit arithmetic.
  if (outcome == Parsed::OutOfRange || value < min / multiplier || value > max / multiplier ||
      value * multiplier < min || value * multiplier > max) {
    return fmt::format("{} is outside {}..{} seconds", shownText(text), min, max);
  }
  value *= multiplier;
  seconds = static_cast<int>(value);
  return {};
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

std::string_view logFormatName(LogFormat format) {
  return format == LogFormat::Json ? "json" : "text";
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
