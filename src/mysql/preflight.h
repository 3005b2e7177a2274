// Preflight: does a source server suit a row-based replica reader? The checks behind
// `mysql-monitor check` (docs/binlog-format.md §5.1 step 2, §5.7).
//
// Split in two so the judgement is testable without a server: fetchServerFacts() reads the
// variables and grants once; evaluateServer() is a pure function of those facts that returns one
// CheckResult per check, each fail or warn with the fix to apply; a check of a variable only
// some servers have (binlog_row_value_options, MySQL 8.0.3+) is left out where it is absent.
// binlog_format, binlog_row_image and binlog_row_value_options are session-settable on the
// source, so their global values are what new sessions get, not a guarantee (the reader also
// detects statement-format writes and undecodable partial JSON updates as they come).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "mysql/connection.h"

namespace mm::mysql {

enum class CheckLevel { Ok, Warn, Fail };

struct CheckResult {
  CheckLevel level = CheckLevel::Ok;
  std::string name;    // what was checked, e.g. "binlog_format"
  std::string detail;  // what was found
  std::string fix;     // what to do; empty when ok
};

struct ServerFacts {
  bool is_mariadb = false;
  std::string version;
  // Global variables by lower-case name; a name absent here does not exist on this server.
  std::map<std::string, std::string> variables;
  std::vector<std::string> grants;  // SHOW GRANTS lines for the monitor's own account
};

// Reads the facts over `connection` (the monitor's own account). Errors name the server.
Result<ServerFacts> fetchServerFacts(Connection& connection);

// Judges the facts; `our_server_id` is the monitor's [mysql] server_id, `resume_by_gtid` its
// [mysql] resume_by = gtid (then a server without GTIDs fails the check).
std::vector<CheckResult> evaluateServer(const ServerFacts& facts, uint32_t our_server_id,
                                        bool resume_by_gtid = false);

// One line: "ok    name: detail" or "fail  name: detail; fix: ...".
std::string formatCheck(const CheckResult& check);

}  // namespace mm::mysql
