// TransactionTracker: decoded binlog events in, transactions out. The one event walk behind the
// live reader (pipeline/reader_stage.h) and `mysql-monitor decode`: pure (no I/O, no threads, no
// clock), so each transaction shape is unit-tested from recorded bytes.
//
// It follows where the stream is (file, position, the server's GTID set) and hands on, in binlog
// order: a RowsItem per rows event with its transaction's coordinates and GTID, a TransactionEnd
// where a checkpoint may land, and a SchemaChange per DDL. Transactions are grouped as the server
// commits them (docs/binlog-format.md §2.1, §2.8; recorded shapes in tests/fixtures/binlog/
// mariadb-transactions/README.md; what consumers see: README "Delivery guarantees"):
//
// - A transaction ends at XID, QUERY COMMIT or ROLLBACK, a standalone statement (DDL), the
//   XA_PREPARE of an XA transaction, or an XA COMMIT / ROLLBACK. Its rows are handed on as they
//   come: the server writes a transaction to the binlog only once it commits (what a ROLLBACK
//   ends are changes to non-transactional tables, which happened).
// - SAVEPOINT, ROLLBACK TO [SAVEPOINT], RELEASE SAVEPOINT, XA START / END and statement-format
//   writes stay inside their transaction. A server usually logs only the rows that survived a
//   rollback to a savepoint, and no ROLLBACK TO; but once the transaction changed a
//   non-transactional table, MariaDB keeps the rows after the SAVEPOINT and logs "ROLLBACK TO"
//   after them (binlog_savepoint_rollback; fixture rollback_to_savepoint_variants). So rows after
//   a SAVEPOINT are held until the transaction ends, and a logged ROLLBACK TO drops those after
//   its savepoint, except rows of non-transactional tables (TrackerOptions::non_transactional),
//   which happened. Past max_savepoint_bytes they are handed on; a ROLLBACK TO over rows already
//   handed on is then reported (Output::notice), as they cannot be taken back.
// - DDL commits implicitly, except a DDL that the server logs inside a transaction with its rows
//   (CREATE TABLE ... SELECT: MariaDB's non-standalone GTID group, MySQL's "... START
//   TRANSACTION"), which stays in it.
// - XA: the rows of a prepared transaction are held until its outcome is read: handed on at
//   XA COMMIT (with the coordinates and GTID of their PREPARE, so message ids are stable), dropped
//   at XA ROLLBACK. While any XA transaction is prepared and undecided, every checkpoint handed on
//   stays at the start of the oldest one: a restart reads it again and holds it again. XA COMMIT
//   ... ONE PHASE is an ordinary transaction.
// - Statement-format writes (a QUERY INSERT/UPDATE/..., LOAD DATA's EXECUTE_LOAD_QUERY) cannot be
//   published: they go to Output::statementWrite.
//
// Checkpoints never fall inside a transaction except as (its start, rows done): a transaction's
// GTID joins the GTID set handed on only at its end. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "binlog/event_decoder.h"
#include "binlog/gtid_set.h"
#include "checkpoint/checkpoint.h"
#include "common/status.h"
#include "pipeline/items.h"
#include "sql/statement_kind.h"

namespace mm::pipeline {

struct TrackerOptions {
  // Whether a GTID resume is in use: then a transaction found by its GTID set is the checkpoint's
  // own (its rows done are skipped), wherever it sits on this server.
  bool resume_by_gtid = false;
  // Whether to keep the server's GTID set (the daemon's checkpoints carry it; `decode` needs only
  // each transaction's GTID).
  bool track_gtid_set = true;
  // Whether to make checkpoints: TransactionEnd items, and each rows event's txn_start. `decode`
  // needs neither (a shared checkpoint per transaction was 9% of its instructions with one-row
  // transactions); without them RowsChange::txn_start may be null, RowsChange::file is not.
  bool checkpoints = true;
  // The most bytes of rows events that prepared, undecided XA transactions may hold. Past it the
  // tracker stops with an error naming the transaction (nothing is lost: the checkpoint is behind
  // it).
  uint64_t max_prepared_xa_bytes = 256ull << 20;
  // The most bytes of rows a transaction holds after a SAVEPOINT; past it they are handed on.
  uint64_t max_savepoint_bytes = 64ull << 20;
  // Whether a table's engine is non-transactional (MyISAM, Aria, MEMORY): its rows after a
  // savepoint survive a logged ROLLBACK TO. Asked only when one undoes rows; unset: every table
  // is transactional.
  std::function<bool(const binlog::TableMap& table)> non_transactional = {};
};

// A rows event as the tracker hands it on: a RowsItem's parts, lent for the call. The output may
// move `event` and `storage` out; toItem() makes the RowsItem (the reader queues it), while
// `decode` formats the rows in place and builds no item (it measured 4% of decode's instructions).
struct RowsChange {
  const std::string& file;  // the binlog file the event is in
  binlog::RowsEvent& event;
  std::shared_ptr<const uint8_t[]>& storage;
  const SharedCheckpoint& txn_start;
  uint64_t event_end;
  uint32_t binlog_timestamp;
  uint64_t skip_rows;
  const std::string& gtid;
  const SharedCheckpoint& held_mark;

  RowsItem toItem() const {
    return RowsItem{std::move(storage), std::move(event), txn_start, event_end,
                    binlog_timestamp,   skip_rows,        gtid,      held_mark};
  }
};

// Where an event sits: inner events of a TRANSACTION_PAYLOAD share the payload's.
struct EventPlace {
  uint32_t timestamp = 0;
  uint64_t start = 0;
  uint64_t end = 0;
  bool in_file = false;  // not artificial, not a heartbeat
};

class TransactionTracker {
 public:
  // What the tracker hands on.
  class Output {
   public:
    virtual ~Output() = default;
    // A rows event, in binlog order with the other items, of about `bytes` bytes. False stops
    // the walk (onEvent returns Cancelled).
    virtual bool rows(const RowsChange& rows, size_t bytes) = 0;
    // Any other item (TransactionEnd, SchemaChange), as rows().
    virtual bool item(SourceItem&& item, size_t bytes) = 0;
    // A write the binlog holds as SQL text (statement format), which cannot be published:
    // `table` when the statement names it, `what` describes it ("LOAD DATA", "statement").
    virtual void statementWrite(const std::optional<sql::StatementTable>& table,
                                std::string_view what, const std::string& file,
                                uint64_t position) = 0;
    // Something a user should know that stops nothing (an XA outcome whose PREPARE was not read).
    virtual void notice(const std::string& text) = 0;
  };

  // Starts at `start` (its GTID set must parse: InvalidArgument otherwise).
  static Result<TransactionTracker> create(const checkpoint::Checkpoint& start,
                                           TrackerOptions options = {});

  const std::string& file() const { return file_; }
  uint64_t position() const { return position_; }  // where the next event starts
  const binlog::GtidState& gtids() const { return gtids_; }
  bool inTransaction() const { return in_transaction_; }
  size_t preparedXaCount() const { return prepared_.size(); }
  uint64_t preparedXaBytes() const { return prepared_bytes_; }

  // A new stream begins at file() / position(). Call before its first event.
  void streamStarted();
  // The stream broke: the next one starts at the transaction in progress, whose rows events
  // already handed on are skipped when read again (and an XA transaction's held rows re-read).
  void streamLost();
  // The stream jumps to `to` (the server no longer had the position): XA transactions prepared
  // before are forgotten, as their outcome is in what was jumped over.
  void jumpTo(const checkpoint::Checkpoint& to);

  // The reader is about to wait for the server: when it is between transactions and events
  // outside any (a rotation, a file's header) moved the position since the last TransactionEnd,
  // hands on a TransactionEnd there, so the stages after it know how far the stream is (the
  // snapshot publishes a chunk once the stream passed its high watermark, docs/design.md §13).
  // Nothing while an XA transaction is prepared and undecided. Cancelled when the output says stop.
  Status passIdle(Output& out);

  // The event's place from its header; moves position() past an event that is in the file.
  EventPlace place(const binlog::EventHeader& header);

  // One decoded event (for inner events of a TRANSACTION_PAYLOAD, the payload's place).
  // `storage` keeps a rows event's bytes while it is held or travels (null: the caller keeps them
  // alive for as long as the items it is handed live). Corruption for an INCIDENT and for a
  // transaction that breaks the grammar; ResourceExhausted-like Internal past
  // max_prepared_xa_bytes; Cancelled when Output::item says stop.
  Status onEvent(binlog::DecodedEvent& event, const EventPlace& at,
                 std::shared_ptr<const uint8_t[]>&& storage, Output& out);

 private:
  struct PreparedXa {
    sql::XaId xid;
    SharedCheckpoint start;  // the PREPARE transaction's start
    std::vector<RowsItem> rows;
    uint64_t bytes = 0;
  };

  TransactionTracker(const checkpoint::Checkpoint& start, binlog::GtidState gtids,
                     TrackerOptions options);

  void beginTransaction(uint64_t position, bool explicit_begin);
  const std::string& gtidsText();
  const SharedCheckpoint& transactionCheckpoint();
  // Where checkpoints stay while XA transactions are prepared: the oldest one's start; else null.
  SharedCheckpoint heldMark() const;
  // Cancelled when the output says stop. `resumed`: TransactionEnd::resumed (null for most).
  Status endTransaction(uint64_t next_position, Output& out, SharedCheckpoint resumed);
  // TransactionEnd::resumed for the current transaction when its rows are handed on as it ends.
  SharedCheckpoint resumedHere();
  void onRotate(const binlog::RotateEvent& rotate);
  void onMariadbGtid(const binlog::MariadbGtidEvent& event, const EventPlace& at);
  // BEGIN, XA START, or a DDL that opens a transaction (MySQL's CREATE TABLE ... SELECT).
  void openExplicitTransaction(uint64_t position);
  Status onQuery(const binlog::QueryEvent& query, const EventPlace& at, Output& out);
  // SAVEPOINT, ROLLBACK TO, RELEASE SAVEPOINT.
  Status onSavepointStatement(const sql::Statement& statement, const EventPlace& at, Output& out);
  Status onXaStatement(const sql::Statement& statement, const EventPlace& at, Output& out);
  // A statement that is neither transaction control nor a write: DDL or DCL.
  Status onDdl(const binlog::QueryEvent& query, const sql::Statement& statement,
               const EventPlace& at, Output& out);
  Status onRows(binlog::RowsEvent& rows, const EventPlace& at,
                std::shared_ptr<const uint8_t[]>&& storage, Output& out);
  // The current transaction becomes a prepared XA transaction.
  Status prepareXa(const std::optional<sql::XaId>& xid, const EventPlace& at, Output& out);
  // XA COMMIT (rows handed on) or XA ROLLBACK (dropped) of a prepared transaction.
  Status decideXa(const std::optional<sql::XaId>& xid, bool commit, const EventPlace& at,
                  Output& out);
  bool handOnRows(RowsItem& item, Output& out);
  static const SharedCheckpoint kNoCheckpoint;
  // Hands on the rows the current transaction holds after its savepoints.
  bool releaseHeld(Output& out);
  void rollbackToSavepoint(const std::string& name, const EventPlace& at, Output& out);
  void clearTransactionRows();

  TrackerOptions options_;
  checkpoint::Checkpoint resume_;  // the start: its transaction's rows done are skipped
  std::string file_;
  uint64_t position_ = 0;
  bool in_transaction_ = false;
  bool explicit_transaction_ = false;  // opened by BEGIN or a GTID that a COMMIT/XID must end
  bool standalone_group_ = false;      // MariaDB GTID flagged STANDALONE: one statement, no COMMIT
  uint64_t txn_start_ = 0;
  uint64_t rows_in_txn_handed_on_ = 0;  // rows events of the current transaction handed on
  // After a lost stream: rows events of the transaction read again that were handed on before
  // (the walk over the same events makes the same choices, so they are its first ones).
  uint64_t skip_handed_on_ = 0;
  binlog::GtidState gtids_;  // executed before the current transaction (when known)
  std::variant<std::monostate, binlog::MysqlGtidEvent, binlog::MariadbGtid> txn_gtid_;
  std::string txn_gtid_text_;        // the current transaction's GTID, "" if none
  std::string txn_gtid_set_;         // gtids_ as text when the current (or next) transaction began
  SharedCheckpoint txn_checkpoint_;  // the current transaction's start as its items share it
  bool txn_checkpoint_stale_ =
      true;                   // file_, txn_start_ or txn_gtid_set_ changed since it was made
  bool txn_resumed_ = false;  // the current transaction is the start checkpoint's own
  std::string gtids_text_;    // gtids_ as text, kept while gtids_ does not change
  bool gtids_text_stale_ = true;
  // The current transaction is XA (XA START, or MariaDB's GTID of a prepared XA): its rows wait.
  std::optional<sql::XaId> xa_;
  bool in_xa_ = false;
  // Rows of the current transaction not handed on yet: an XA transaction's, and those after a
  // SAVEPOINT.
  std::vector<RowsItem> held_;
  uint64_t held_bytes_ = 0;
  struct Savepoint {
    std::string name;
    size_t held_from;  // held_ index of its first row
    bool handed_on;    // rows after it were handed on past max_savepoint_bytes
  };
  std::vector<Savepoint> savepoints_;
  std::vector<PreparedXa> prepared_;  // oldest first
  uint64_t prepared_bytes_ = 0;
  // Where the last TransactionEnd handed on put the next transaction (passIdle).
  std::string last_end_file_;
  uint64_t last_end_position_ = 0;
};

}  // namespace mm::pipeline
