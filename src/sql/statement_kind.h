// classifyStatement(): what a QUERY event's text means to a reader of row events, from the shared
// lexer (sql/sql_lexer.h). One classification for the live reader and `mysql-monitor decode`
// (through pipeline/transaction_tracker.h).
//
// Inside a transaction the server logs, besides its row events, the statements that shape it:
// BEGIN, SAVEPOINT, ROLLBACK TO, RELEASE SAVEPOINT, the XA verbs, and COMMIT or ROLLBACK at the end
// (docs/binlog-format.md §2.1, §2.8). Anything else is either a write in statement format (INSERT,
// UPDATE, DELETE, REPLACE, LOAD DATA: binlog_format was not ROW for that session) or a statement
// that commits implicitly and may change a table's shape (DDL, DCL). Comments, any case,
// backquoted and unicode names and executable comments (/*!...*/) are understood as the server
// understands them. Pure; never fails: text it cannot read is Other.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mm::sql {

enum class StatementKind {
  Begin,      // BEGIN [WORK], START TRANSACTION [READ ONLY | READ WRITE | WITH CONSISTENT SNAPSHOT]
  Commit,     // COMMIT [WORK] [AND [NO] CHAIN] [[NO] RELEASE]
  Rollback,   // ROLLBACK [WORK] [AND [NO] CHAIN] [[NO] RELEASE]: the whole transaction
  Savepoint,  // SAVEPOINT name
  RollbackToSavepoint,  // ROLLBACK [WORK] TO [SAVEPOINT] name
  ReleaseSavepoint,     // RELEASE SAVEPOINT name
  XaStart,              // XA START | BEGIN xid [JOIN | RESUME]
  XaEnd,                // XA END xid [SUSPEND [FOR MIGRATE]]
  XaPrepare,            // XA PREPARE xid
  XaCommit,             // XA COMMIT xid (the second phase of a prepared transaction)
  XaCommitOnePhase,     // XA COMMIT xid ONE PHASE: an ordinary commit
  XaRollback,           // XA ROLLBACK xid
  XaOther,              // XA RECOVER and anything else after XA
  Dml,                  // INSERT, UPDATE, DELETE, REPLACE, LOAD DATA: a statement-format write
  Other,                // DDL, DCL and the rest: commits implicitly
};

// An XA transaction's identifier as the server keys it: gtrid, bqual (raw bytes) and formatID.
// The binlog writes it as X'hex',X'hex',n in QUERY texts and as raw bytes in XA_PREPARE_LOG_EVENT
// and MariaDB's GTID event; both give equal XaIds.
struct XaId {
  int64_t format_id = 1;
  std::string gtrid;
  std::string bqual;
  bool operator==(const XaId&) const = default;
  // X'6731',X'',1 as the server writes it.
  std::string text() const;
};

struct StatementTable {
  std::string database;  // the statement's qualifier, else the session's default schema
  std::string table;
  bool operator==(const StatementTable&) const = default;
};

struct Statement {
  StatementKind kind = StatementKind::Other;
  std::optional<XaId> xid;              // the Xa* kinds, when the xid could be read
  std::string savepoint;                // the savepoint kinds: the name, unquoted
  std::optional<StatementTable> table;  // Dml: the first table written, when it could be read
  // Other: the statement ends in START TRANSACTION, as MySQL 8.0.21+ logs CREATE TABLE ... SELECT
  // (WL#13355): its rows and an XID follow, so it opens a transaction instead of ending one.
  bool opens_transaction = false;
};

// `default_database` qualifies an unqualified table name (the QUERY event's schema).
Statement classifyStatement(std::string_view query, std::string_view default_database = {});

// The first table an INSERT, REPLACE, UPDATE, DELETE or LOAD DATA statement writes (for a
// multi-table UPDATE/DELETE the first one named), or nullopt for any other statement. MySQL's
// modifiers (LOW_PRIORITY, IGNORE, ...) are skipped; `name`, `db`.`name` and db.name understood.
std::optional<StatementTable> statementDmlTarget(std::string_view query,
                                                 std::string_view default_database);

}  // namespace mm::sql
