// Statement-format writes: binlog_format can be changed per session, and such a session's
// INSERT/UPDATE/DELETE/REPLACE reaches the binlog as the SQL text in a QUERY event, which no
// row-based reader can publish. statementDmlTarget() recognises those statements and names the
// table they write, so the reader can warn instead of losing the change silently.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mm::pipeline {

struct StatementTable {
  std::string database;  // the statement's qualifier, else the session's default schema
  std::string table;
  bool operator==(const StatementTable&) const = default;
};

// The first table an INSERT, REPLACE, UPDATE or DELETE statement writes (for a multi-table
// UPDATE/DELETE, the first one named), or nullopt for any other statement. Leading comments and
// MySQL's modifiers (LOW_PRIORITY, IGNORE, ...) are skipped; `name`, `db`.`name` and db.name are
// understood. `default_database` is the QUERY event's schema.
std::optional<StatementTable> statementDmlTarget(std::string_view query, std::string_view default_database);

}  // namespace mm::pipeline
