#include "mysql/preflight.h"

#include <algorithm>
#include <cstdlib>
#include <set>

#include <fmt/format.h>

#include "common/strings.h"
#include "mysql/source_status.h"

namespace mm::mysql {
namespace {

constexpr double kSecondsPerDay = 86400;
// Retention shorter than this loses the position of a monitor stopped over a weekend night.
constexpr double kShortRetentionSeconds = kSecondsPerDay;

const std::string* variable(const ServerFacts& facts, const std::string& name) {
  auto it = facts.variables.find(name);
  return it == facts.variables.end() ? nullptr : &it->second;
}

CheckResult ok(std::string name, std::string detail) {
  return CheckResult{CheckLevel::Ok, std::move(name), std::move(detail), {}};
}
CheckResult warn(std::string name, std::string detail, std::string fix) {
  return CheckResult{CheckLevel::Warn, std::move(name), std::move(detail), std::move(fix)};
}
CheckResult fail(std::string name, std::string detail, std::string fix) {
  return CheckResult{CheckLevel::Fail, std::move(name), std::move(detail), std::move(fix)};
}

// Privileges granted on *.* and those granted on any narrower scope, from SHOW GRANTS lines such
// as "GRANT SELECT, REPLICATION SLAVE ON *.* TO `monitor`@`%` IDENTIFIED BY PASSWORD '...'".
struct Grants {
  std::set<std::string> global;
  std::set<std::string> narrower;
  bool hasGlobal(std::initializer_list<std::string_view> any_of) const {
    if (global.count("ALL PRIVILEGES") || global.count("ALL")) {
      return true;
    }
    return std::any_of(any_of.begin(), any_of.end(),
                       [&](std::string_view p) { return global.count(std::string(p)) > 0; });
  }
};

Grants parseGrants(const std::vector<std::string>& lines) {
  Grants grants;
  for (const std::string& line : lines) {
    const std::string text = asciiUpper(line);
    if (text.rfind("GRANT ", 0) != 0) {
      continue;
    }
    const auto on = text.find(" ON ");
    const auto to = text.find(" TO ", on == std::string::npos ? 0 : on);
    if (on == std::string::npos || to == std::string::npos) {
      continue;
    }
    const std::string_view scope = trim(std::string_view(text).substr(on + 4, to - on - 4));
    std::string_view privileges = std::string_view(text).substr(6, on - 6);
    auto& into = scope == "*.*" ? grants.global : grants.narrower;
    while (!privileges.empty()) {
      const auto comma = privileges.find(',');
      into.insert(std::string(trim(privileges.substr(0, comma))));
      privileges =
          comma == std::string_view::npos ? std::string_view{} : privileges.substr(comma + 1);
    }
  }
  return grants;
}

void checkLogBin(const ServerFacts& facts, std::vector<CheckResult>& out) {
  const std::string* log_bin = variable(facts, "log_bin");
  if (log_bin && (asciiUpper(*log_bin) == "ON" || *log_bin == "1")) {
    out.push_back(ok("log_bin", "ON"));
    return;
  }
  out.push_back(fail("log_bin", log_bin ? *log_bin : "absent",
                     "enable the binary log: log_bin = mysql-bin in the server's configuration, "
                     "then restart the server"));
}

void checkBinlogFormat(const ServerFacts& facts, std::vector<CheckResult>& out) {
  const std::string* format = variable(facts, "binlog_format");
  if (format && asciiUpper(*format) == "ROW") {
    out.push_back(ok("binlog_format", "ROW"));
    return;
  }
  out.push_back(fail("binlog_format", format ? *format : "absent",
                     "SET GLOBAL binlog_format = 'ROW' and binlog_format = ROW in the server's "
                     "configuration; open sessions keep the old format until they reconnect, and "
                     "their writes are not published"));
}

void checkRowImage(const ServerFacts& facts, std::vector<CheckResult>& out) {
  const std::string* image = variable(facts, "binlog_row_image");
  if (!image || asciiUpper(*image) == "FULL") {
    out.push_back(ok("binlog_row_image", image ? "FULL" : "absent (always FULL)"));
    return;
  }
  out.push_back(warn("binlog_row_image", *image,
                     "messages carry only the columns the server logs (the key and, for updates, "
                     "the changed columns); for whole rows SET GLOBAL binlog_row_image = 'FULL' "
                     "and set it in the server's configuration"));
}

// MySQL 8.0.3+ only; MariaDB has no partial JSON updates and no such variable. PARTIAL_UPDATE_ROWS
// carries JSON diffs that apply to the before document, which only a FULL before image holds
// (docs/binlog-format.md §3.4); the reader stops on such an event rather than publish a wrong
// value.
void checkRowValueOptions(const ServerFacts& facts, std::vector<CheckResult>& out) {
  const std::string* options = variable(facts, "binlog_row_value_options");
  if (!options) {
    return;
  }
  if (asciiUpper(*options).find("PARTIAL_JSON") == std::string::npos) {
    out.push_back(ok("binlog_row_value_options",
                     options->empty() ? "'' (updates log whole JSON documents)" : *options));
    return;
  }
  const std::string* image = variable(facts, "binlog_row_image");
  const std::string image_value = image ? asciiUpper(*image) : "FULL";
  if (image_value == "FULL") {
    out.push_back(ok("binlog_row_value_options",
                     fmt::format("{} with binlog_row_image = FULL: JSON diffs are applied to the "
                                 "document in the before image",
                                 *options)));
    return;
  }
  out.push_back(fail("binlog_row_value_options",
                     fmt::format("{} with binlog_row_image = {}: updates of JSON columns log diffs "
                                 "without the document to apply them to, and the monitor stops at "
                                 "the first one",
                                 *options, *image),
                     "SET PERSIST binlog_row_value_options = '' (or binlog_row_image = FULL); open "
                     "sessions keep their values until they reconnect"));
}

void checkRowMetadata(const ServerFacts& facts, std::vector<CheckResult>& out) {
  const std::string* metadata = variable(facts, "binlog_row_metadata");
  if (metadata && asciiUpper(*metadata) == "FULL") {
    out.push_back(ok("binlog_row_metadata", "FULL"));
    return;
  }
  if (!metadata) {
    out.push_back(warn("binlog_row_metadata", "not supported by this server version",
                       "column names come from information_schema, which describes the table as "
                       "it is now; use MySQL 8.0.1+ or MariaDB 10.5+ with binlog_row_metadata = "
                       "FULL for names as they were when each row was written"));
    return;
  }
  out.push_back(warn("binlog_row_metadata", *metadata,
                     "column names come from information_schema, which describes the table as it "
                     "is now; SET GLOBAL binlog_row_metadata = 'FULL' and set it in the server's "
                     "configuration"));
}

void checkServerId(const ServerFacts& facts, uint32_t our_server_id,
                   std::vector<CheckResult>& out) {
  const std::string* server_id = variable(facts, "server_id");
  const unsigned long id = server_id ? std::strtoul(server_id->c_str(), nullptr, 10) : 0;
  if (id == 0) {
    out.push_back(fail("server_id", server_id ? *server_id : "absent",
                       "set a non-zero server_id in the server's configuration and restart it; "
                       "a server with server_id 0 refuses replicas"));
  } else if (id == our_server_id) {
    out.push_back(
        fail("server_id", fmt::format("{}, the same as the monitor's", id),
             "set [mysql] server_id to a value no server or replica of this source uses"));
  } else {
    out.push_back(
        ok("server_id", fmt::format("{} (the monitor registers as {})", id, our_server_id)));
  }
}

void checkGrants(const ServerFacts& facts, std::vector<CheckResult>& out) {
  const Grants grants = parseGrants(facts.grants);
  std::vector<std::string> missing;
  if (!grants.hasGlobal({"REPLICATION SLAVE", "REPLICATION REPLICA"})) {
    missing.push_back("REPLICATION SLAVE");
  }
  if (!grants.hasGlobal({"REPLICATION CLIENT", "BINLOG MONITOR"})) {
    missing.push_back(facts.is_mariadb ? "BINLOG MONITOR" : "REPLICATION CLIENT");
  }
  const bool select_everywhere = grants.hasGlobal({"SELECT"});
  if (!select_everywhere && grants.narrower.count("SELECT") == 0) {
    missing.push_back("SELECT");
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& p : missing) {
      list.append(list.empty() ? "" : ", ").append(p);
    }
    out.push_back(fail("grants", "missing " + list,
                       fmt::format("GRANT {} ON *.* TO the monitor's account", list)));
  } else if (!select_everywhere) {
    out.push_back(warn("grants", "SELECT only on some schemas",
                       "information_schema answers only for tables the account can read: grant "
                       "SELECT on every schema the monitor publishes"));
  } else {
    out.push_back(ok("grants", "replication, binlog monitoring and SELECT"));
  }
}

void checkRetention(const ServerFacts& facts, std::vector<CheckResult>& out) {
  const double seconds = static_cast<double>(binlogExpirySeconds(facts.variables));
  if (seconds <= 0) {
    out.push_back(ok("binlog retention", "binlogs are kept until purged by hand"));
  } else if (seconds < kShortRetentionSeconds) {
    out.push_back(warn("binlog retention", fmt::format("{:.0f} s", seconds),
                       "a monitor stopped longer than this loses its position; keep binlogs for "
                       "days: binlog_expire_logs_seconds (or expire_logs_days) in the server's "
                       "configuration"));
  } else {
    out.push_back(ok("binlog retention", fmt::format("{:.1f} days", seconds / kSecondsPerDay)));
  }
}

void checkGtids(const ServerFacts& facts, bool resume_by_gtid, std::vector<CheckResult>& out) {
  if (facts.is_mariadb) {
    const std::string* strict = variable(facts, "gtid_strict_mode");
    out.push_back(
        ok("GTIDs", fmt::format("MariaDB logs one for every transaction (gtid_strict_mode = {})",
                                strict ? *strict : "absent")));
    return;
  }
  const std::string* mode = variable(facts, "gtid_mode");
  if (mode && asciiUpper(*mode) == "ON") {
    out.push_back(ok("GTIDs", "gtid_mode = ON"));
    return;
  }
  const std::string found =
      fmt::format("gtid_mode = {}", mode ? *mode : "absent (before MySQL 5.6)");
  const std::string fix =
      "SET GLOBAL enforce_gtid_consistency = ON, then gtid_mode = OFF_PERMISSIVE, ON_PERMISSIVE, "
      "ON (one step at a time), and set both in the server's configuration";
  if (resume_by_gtid) {
    out.push_back(fail("GTIDs", found, "[mysql] resume_by = gtid needs GTIDs: " + fix));
  } else {
    out.push_back(
        warn("GTIDs", found,
             "the monitor resumes by position only and cannot follow a failover; " + fix));
  }
}

}  // namespace

Result<ServerFacts> fetchServerFacts(Connection& connection) {
  ServerFacts facts;
  auto version = connection.query("SELECT VERSION()");
  if (!version.isOk()) {
    return version.status();
  }
  facts.version = version->at(0)[0].value_or("");
  facts.is_mariadb = facts.version.find("MariaDB") != std::string::npos;
  auto variables = connection.query(
      "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin', 'binlog_format', "
      "'binlog_row_image', 'binlog_row_value_options', 'binlog_row_metadata', 'server_id', "
      "'expire_logs_days', 'binlog_expire_logs_seconds', 'binlog_expire_logs_auto_purge', "
      "'gtid_mode', 'gtid_strict_mode')");
  if (!variables.isOk()) {
    return variables.status();
  }
  for (const Row& row : *variables) {
    facts.variables[asciiLower(row[0].value_or(""))] = row[1].value_or("");
  }
  auto grants = connection.query("SHOW GRANTS");
  if (!grants.isOk()) {
    return grants.status();
  }
  for (const Row& row : *grants) {
    facts.grants.push_back(row[0].value_or(""));
  }
  return facts;
}

std::vector<CheckResult> evaluateServer(const ServerFacts& facts, uint32_t our_server_id,
                                        bool resume_by_gtid) {
  std::vector<CheckResult> out;
  checkLogBin(facts, out);
  checkBinlogFormat(facts, out);
  checkRowImage(facts, out);
  checkRowValueOptions(facts, out);
  checkRowMetadata(facts, out);
  checkServerId(facts, our_server_id, out);
  checkGrants(facts, out);
  checkGtids(facts, resume_by_gtid, out);
  checkRetention(facts, out);
  return out;
}

std::string formatCheck(const CheckResult& check) {
  static constexpr std::string_view kLevels[] = {"ok", "warn", "fail"};
  std::string line =
      fmt::format("{:<5} {}: {}", kLevels[static_cast<int>(check.level)], check.name, check.detail);
  if (!check.fix.empty()) {
    line += "; fix: " + check.fix;
  }
  return line;
}

}  // namespace mm::mysql
