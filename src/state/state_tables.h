// The state tables: where a MySQL/MariaDB server keeps the monitors' checkpoints, schema histories
// and leaders ([monitor] state_store = mysql, docs/high-availability.md). Pure: names and SQL text.
//
//   monitor_leader (name PK, epoch, holder, since)
//       one row per monitor name: the epoch of its newest leader and who that is;
//   monitor_state (name, document PK, epoch, revision, content, saved_at)
//       one row per monitor name and document ("position": checkpoint/state_text.h;
//       "schema_history": schema/schema_history.h). `epoch` is the leader allowed to write it: a
//       leader taking office raises it on every row of its name in the transaction that raises
//       monitor_leader's, and a write changes a row only where `epoch` is still the writer's
//       (fencing: a deposed leader's write changes nothing). `revision` counts the writes, so a
//       write always changes its row (MySQL counts only rows whose values changed as affected).
//
// The lock (GET_LOCK) that elects the leader is named after the database and the monitor name.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace mm::state {

inline constexpr std::string_view kPositionDocument = "position";
inline constexpr std::string_view kSchemaHistoryDocument = "schema_history";
// Every document a monitor writes: a leader taking office creates their rows.
inline constexpr std::array<std::string_view, 2> kDocuments = {kPositionDocument,
                                                               kSchemaHistoryDocument};

// "mysql-monitor:DB/NAME"; past 64 bytes (MySQL's limit on lock names) "mysql-monitor:" and a
// 64-bit FNV-1a hash of "DB/NAME" in hex.
std::string lockName(std::string_view database, std::string_view name);

// `database` quoted as an identifier (`...`, backquotes doubled).
std::string quoteIdentifier(std::string_view identifier);

// The CREATE TABLE IF NOT EXISTS statements, database first.
std::array<std::string, 3> createStatements(std::string_view database);

}  // namespace mm::state
