#include "pipeline/transaction_tracker.h"

#include "binlog/position.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "binlog/event_type.h"

namespace mm::pipeline {
namespace {

constexpr size_t kRowsItemOverhead = 256;

// MariaDB GTID_EVENT flags2 (docs/binlog-format.md §2.7).
constexpr uint8_t kFlPreparedXa = 0x40;
constexpr uint8_t kFlCompletedXa = 0x80;

std::string where(const std::string& file, uint64_t position) {
  return fmt::format("binlog event at {}:{}", file, position);
}

// What a walk returns when Output said stop.
Status stopped() { return Status::cancelled("stopped"); }

std::string xidText(const std::optional<sql::XaId>& xid) {
  return xid ? xid->text() : std::string("(xid not read)");
}

size_t rowsBytes(const binlog::RowsEvent& event) {
  return event.header.rows.size() + kRowsItemOverhead;
}
size_t rowsBytes(const RowsItem& item) { return rowsBytes(item.event); }

}  // namespace

Result<TransactionTracker> TransactionTracker::create(const checkpoint::Checkpoint& start,
                                                      TrackerOptions options) {
  binlog::GtidState gtids;
  if (options.track_gtid_set) {
    auto parsed = binlog::GtidState::parse(start.gtid_set);
    if (!parsed.isOk()) {
      return parsed.status().withContext("the start checkpoint's GTID set");
    }
    gtids = std::move(*parsed);
  }
  return TransactionTracker(start, std::move(gtids), options);
}

TransactionTracker::TransactionTracker(const checkpoint::Checkpoint& start, binlog::GtidState gtids,
                                       TrackerOptions options)
    : options_(options), resume_(start), file_(start.file), position_(start.offset),
      txn_start_(start.offset), gtids_(std::move(gtids)), last_end_file_(start.file),
      last_end_position_(start.offset) {}

void TransactionTracker::streamStarted() {
  in_transaction_ = false;
  rows_in_txn_handed_on_ = 0;
}

void TransactionTracker::streamLost() {
  // The transaction is read again from its start; what it held is read again too.
  skip_handed_on_ = in_transaction_ ? rows_in_txn_handed_on_ : 0;
  clearTransactionRows();
  in_xa_ = false;
  xa_.reset();
  if (in_transaction_) {
    position_ = txn_start_;
  }
}

void TransactionTracker::clearTransactionRows() {
  if (held_.empty() && savepoints_.empty()) {
    return;  // as nearly always: once per transaction
  }
  held_.clear();
  held_bytes_ = 0;
  savepoints_.clear();
}

void TransactionTracker::jumpTo(const checkpoint::Checkpoint& to) {
  const TrackerOptions options = options_;
  binlog::GtidState gtids;
  if (options.track_gtid_set) {
    auto parsed = binlog::GtidState::parse(to.gtid_set);
    if (parsed.isOk()) {
      gtids = std::move(*parsed);
    }
  }
  const checkpoint::Checkpoint resume = resume_;
  *this = TransactionTracker(to, std::move(gtids), options);
  resume_ = resume;
}

EventPlace TransactionTracker::place(const binlog::EventHeader& header) {
  uint64_t start = position_;
  const uint64_t end = binlog::nextEventOffset(start, header.event_size, header.log_pos);
  // Artificial events (fake ROTATE / GTID_LIST), heartbeats and a FORMAT_DESCRIPTION re-sent for
  // a mid-file start are not in the file at this position.
  const bool in_file = (header.flags & binlog::LOG_EVENT_ARTIFICIAL_F) == 0 &&
                       header.type != binlog::HEARTBEAT_LOG_EVENT &&
                       header.type != binlog::HEARTBEAT_LOG_EVENT_V2 &&
                       !(header.type == binlog::FORMAT_DESCRIPTION_EVENT && header.log_pos == 0);
  if (in_file) {
    // An event that states its end also tells where it starts: after a GTID connect, whose
    // first events the server skipped, that is the only way to know.
    if (header.log_pos != 0 && end >= header.event_size) {
      start = end - header.event_size;
    }
    position_ = end;
  }
  return EventPlace{header.timestamp, start, end, in_file};
}

void TransactionTracker::beginTransaction(uint64_t position, bool explicit_begin) {
  in_transaction_ = true;
  explicit_transaction_ = explicit_begin;
  standalone_group_ = false;
  txn_start_ = position;
  rows_in_txn_handed_on_ = 0;
  txn_gtid_ = std::monostate{};
  txn_gtid_text_.clear();
  txn_gtid_set_ = gtidsText();
  txn_checkpoint_stale_ = true;
  // The transaction the checkpoint stopped in: at the same place, or (by GTID, maybe on another
  // server) the one that follows the same GTID set.
  txn_resumed_ =
      (txn_start_ == resume_.offset && file_ == resume_.file) ||
      (options_.resume_by_gtid && !resume_.gtid_set.empty() && txn_gtid_set_ == resume_.gtid_set);
  in_xa_ = false;
  xa_.reset();
  clearTransactionRows();
}

const std::string& TransactionTracker::gtidsText() {
  if (gtids_text_stale_) {
    gtids_.writeText(gtids_text_);
    gtids_text_stale_ = false;
  }
  return gtids_text_;
}

const SharedCheckpoint& TransactionTracker::transactionCheckpoint() {
  // Asked per rows event: the strings are compared only when the place may have changed.
  if (txn_checkpoint_stale_) {
    txn_checkpoint_stale_ = false;
    const SharedCheckpoint& shared = txn_checkpoint_;
    if (shared == nullptr || shared->offset != txn_start_ || shared->file != file_ ||
        shared->gtid_set != txn_gtid_set_) {
      txn_checkpoint_ = std::make_shared<const checkpoint::Checkpoint>(
          checkpoint::Checkpoint{file_, txn_start_, 0, txn_gtid_set_});
    }
  }
  return txn_checkpoint_;
}

SharedCheckpoint TransactionTracker::heldMark() const {
  return prepared_.empty() ? nullptr : prepared_.front().start;
}

SharedCheckpoint TransactionTracker::resumedHere() {
  // An XA transaction's rows are not handed on as it ends (held until its outcome, or dropped).
  if (!txn_resumed_ || resume_.rows_done == 0 || in_xa_ || !options_.checkpoints) {
    return nullptr;
  }
  return std::make_shared<const checkpoint::Checkpoint>(
      withRowsDone(*transactionCheckpoint(), resume_.rows_done));
}

Status TransactionTracker::endTransaction(uint64_t next_position, Output& out,
                                          SharedCheckpoint resumed) {
  // What it held after savepoints stayed (an XA transaction's rows have moved on already).
  if (!in_xa_ && !releaseHeld(out)) {
    return stopped();
  }
  if (options_.track_gtid_set) {
    std::visit(
        [&](const auto& gtid) {
          if constexpr (!std::is_same_v<std::decay_t<decltype(gtid)>, std::monostate>) {
            gtids_.add(gtid);
          }
        },
        txn_gtid_);
    gtids_text_stale_ = true;
  }
  txn_gtid_ = std::monostate{};
  txn_gtid_text_.clear();
  in_transaction_ = false;
  explicit_transaction_ = false;
  standalone_group_ = false;
  rows_in_txn_handed_on_ = 0;
  skip_handed_on_ = 0;
  in_xa_ = false;
  xa_.reset();
  clearTransactionRows();
  txn_start_ = next_position;
  // The next transaction starts here, after this set: its rows share this checkpoint.
  txn_gtid_set_ = gtidsText();
  txn_checkpoint_stale_ = true;
  if (!options_.checkpoints) {
    return Status::ok();
  }
  SharedCheckpoint next = heldMark();
  if (next == nullptr) {
    next = transactionCheckpoint();
  }
  last_end_file_ = file_;
  last_end_position_ = next_position;
  const size_t size = sizeof(TransactionEnd) + next->file.size() + next->gtid_set.size();
  return out.item(TransactionEnd{std::move(next), std::move(resumed)}, size) ? Status::ok()
                                                                             : stopped();
}

Status TransactionTracker::passIdle(Output& out) {
  const binlog::Position here{file_, position_};
  if (!options_.checkpoints || in_transaction_ || !prepared_.empty() ||
      !binlog::comesBefore(binlog::Position{last_end_file_, last_end_position_}, here)) {
    return Status::ok();  // nothing moved past the last end (never a mark backwards)
  }
  // Only events outside any transaction lie between the last end and here (a rotation, a new
  // file's header events): the next transaction starts here.
  txn_start_ = position_;
  txn_checkpoint_stale_ = true;
  last_end_file_ = file_;
  last_end_position_ = position_;
  SharedCheckpoint next = transactionCheckpoint();
  const size_t size = sizeof(TransactionEnd) + next->file.size() + next->gtid_set.size();
  return out.item(TransactionEnd{std::move(next), nullptr}, size) ? Status::ok() : stopped();
}

const SharedCheckpoint TransactionTracker::kNoCheckpoint;

bool TransactionTracker::handOnRows(RowsItem& item, Output& out) {
  const RowsChange change{item.txn_start->file, item.event,     item.storage,
                          item.txn_start,       item.event_end, item.binlog_timestamp,
                          item.skip_rows,       item.gtid,      item.held_mark};
  return out.rows(change, rowsBytes(item));
}

bool TransactionTracker::releaseHeld(Output& out) {
  if (held_.empty() && savepoints_.empty()) {
    return true;
  }
  const SharedCheckpoint held = heldMark();
  for (RowsItem& item : held_) {
    ++rows_in_txn_handed_on_;
    if (skip_handed_on_ > 0) {
      --skip_handed_on_;
      continue;
    }
    item.held_mark = held;
    if (!handOnRows(item, out)) {
      return false;
    }
  }
  held_.clear();
  held_bytes_ = 0;
  for (Savepoint& savepoint : savepoints_) {
    savepoint.held_from = 0;
    savepoint.handed_on = true;
  }
  return true;
}

void TransactionTracker::rollbackToSavepoint(const std::string& name, const EventPlace& at,
                                             Output& out) {
  // The latest savepoint of that name (a SAVEPOINT of a used name moves it, as the server does).
  auto it = std::find_if(savepoints_.rbegin(), savepoints_.rend(),
                         [&](const Savepoint& s) { return s.name == name; });
  if (it == savepoints_.rend()) {
    // Its SAVEPOINT was before the start point, or in rows already handed on: the server undid
    // rows we may have published.
    out.notice(fmt::format("{}: ROLLBACK TO {} without its SAVEPOINT in this transaction: rows "
                           "logged after the savepoint may have been published although the "
                           "server rolled them back",
                           where(file_, at.start), name));
    return;
  }
  if (it->handed_on) {
    out.notice(fmt::format("{}: ROLLBACK TO {} after its rows were handed on (more than "
                           "max_savepoint_bytes held): rows the server rolled back were published",
                           where(file_, at.start), name));
  }
  // Rows of non-transactional tables stay: the server could not undo them.
  const auto from =
      held_.begin() + static_cast<std::ptrdiff_t>(std::min(held_.size(), it->held_from));
  const auto undone = std::stable_partition(from, held_.end(), [&](const RowsItem& item) {
    return options_.non_transactional && options_.non_transactional(*item.event.table);
  });
  for (auto row = undone; row != held_.end(); ++row) {
    held_bytes_ -= rowsBytes(*row);
  }
  held_.erase(undone, held_.end());
  savepoints_.erase(it.base(), savepoints_.end());  // the later ones; this one stays
}

Status TransactionTracker::onEvent(binlog::DecodedEvent& event, const EventPlace& at,
                                   std::shared_ptr<const uint8_t[]>&& storage, Output& out) {
  auto& body = event.body;
  if (auto* rows = std::get_if<binlog::RowsEvent>(&body)) {
    return onRows(*rows, at, std::move(storage), out);
  }
  // The other events of every statement: nothing to do (asked first, as the chain below is long).
  if (std::holds_alternative<binlog::TableMapEvent>(body) ||
      std::holds_alternative<binlog::RowsQueryEvent>(body)) {
    return Status::ok();
  }
  if (auto* query = std::get_if<binlog::QueryEvent>(&body)) {
    return onQuery(*query, at, out);
  }
  if (std::holds_alternative<uint64_t>(body)) {  // XID
    return endTransaction(at.end, out, resumedHere());
  }
  if (auto* rotate = std::get_if<binlog::RotateEvent>(&body)) {
    onRotate(*rotate);
  } else if (auto* previous = std::get_if<binlog::PreviousGtidsEvent>(&body)) {
    if (at.in_file && options_.track_gtid_set) {  // the GTIDs of all earlier files
      gtids_.learn(binlog::MysqlGtidSet::fromPrevious(*previous));
      gtids_text_stale_ = true;
    }
  } else if (auto* list = std::get_if<binlog::MariadbGtidListEvent>(&body)) {
    if (at.in_file && options_.track_gtid_set) {  // the last GTID of each domain in earlier files
      gtids_.learn(binlog::MariadbGtidPos::fromList(*list));
      gtids_text_stale_ = true;
    }
  } else if (auto* mysql_gtid = std::get_if<binlog::MysqlGtidEvent>(&body)) {
    // MySQL: BEGIN follows, or a standalone DDL.
    beginTransaction(at.start, /*explicit_begin=*/false);
    txn_gtid_text_ = mysql_gtid->text();
    txn_gtid_ = *mysql_gtid;
  } else if (auto* mariadb_gtid = std::get_if<binlog::MariadbGtidEvent>(&body)) {
    onMariadbGtid(*mariadb_gtid, at);
  } else if (auto* xa = std::get_if<binlog::XaPrepareEvent>(&body)) {
    if (xa->one_phase) {  // MySQL's XA COMMIT ... ONE PHASE: an ordinary commit
      return decideXa(std::nullopt, /*commit=*/true, at, out);
    }
    return prepareXa(sql::XaId{xa->format_id, std::string(xa->gtrid), std::string(xa->bqual)}, at,
                     out);
  } else if (auto* load = std::get_if<binlog::LoadDataEvent>(&body)) {
    if (load->executes) {
      out.statementWrite(sql::statementDmlTarget(load->query, load->database), "LOAD DATA", file_,
                         at.start);
    }
  } else if (auto* incident = std::get_if<binlog::IncidentEvent>(&body)) {
    return Status::protocol(fmt::format(
        "{}: INCIDENT_EVENT code {}: {}: the source lost changes; resynchronise before resuming",
        where(file_, at.start), incident->code, incident->message));
  }
  return Status::ok();
}

void TransactionTracker::onRotate(const binlog::RotateEvent& rotate) {
  file_ = rotate.next_file;
  position_ = rotate.position;
  txn_checkpoint_stale_ = true;
  if (!in_transaction_) {
    txn_start_ = position_;
  }
}

void TransactionTracker::onMariadbGtid(const binlog::MariadbGtidEvent& event,
                                       const EventPlace& at) {
  // MariaDB: the GTID replaces BEGIN; a standalone group is one statement with no COMMIT.
  beginTransaction(at.start, /*explicit_begin=*/!event.standalone());
  standalone_group_ = event.standalone();
  const binlog::MariadbGtid gtid{event.domain_id, event.server_id, event.sequence};
  gtid.appendText(txn_gtid_text_);  // emptied by beginTransaction
  txn_gtid_ = gtid;
  if ((event.flags2 & kFlPreparedXa) != 0 && (event.flags2 & kFlCompletedXa) == 0) {
    in_xa_ = true;
    xa_ = sql::XaId{event.xa_format_id, std::string(event.xa_gtrid), std::string(event.xa_bqual)};
  }
}

void TransactionTracker::openExplicitTransaction(uint64_t position) {
  if (!in_transaction_) {
    beginTransaction(position, /*explicit_begin=*/true);
  }
  explicit_transaction_ = true;
}

Status TransactionTracker::onQuery(const binlog::QueryEvent& query, const EventPlace& at,
                                   Output& out) {
  const sql::Statement statement = sql::classifyStatement(query.query, query.database);
  switch (statement.kind) {
    case sql::StatementKind::Begin: openExplicitTransaction(at.start); return Status::ok();
    case sql::StatementKind::Commit:
    case sql::StatementKind::Rollback:
      // A ROLLBACK in the binlog ends changes to non-transactional tables, which stay: the
      // server logs no transactional row that was rolled back.
      if (in_xa_) {
        // XA START ... ROLLBACK cannot be logged; hand on nothing of it rather than guess.
        out.notice(fmt::format("{}: {} ends XA transaction {} that was never prepared: its rows "
                               "are not published",
                               where(file_, at.start), query.query, xidText(xa_)));
      }
      return endTransaction(at.end, out, resumedHere());
    case sql::StatementKind::Savepoint:
    case sql::StatementKind::RollbackToSavepoint:
    case sql::StatementKind::ReleaseSavepoint: return onSavepointStatement(statement, at, out);
    case sql::StatementKind::XaStart:
    case sql::StatementKind::XaEnd:
    case sql::StatementKind::XaPrepare:
    case sql::StatementKind::XaCommit:
    case sql::StatementKind::XaCommitOnePhase:
    case sql::StatementKind::XaRollback:
    case sql::StatementKind::XaOther: return onXaStatement(statement, at, out);
    case sql::StatementKind::Dml:
      // Part of its transaction, which COMMIT/XID ends.
      out.statementWrite(statement.table, "statement", file_, at.start);
      return Status::ok();
    case sql::StatementKind::Other: break;
  }
  return onDdl(query, statement, at, out);
}

Status TransactionTracker::onSavepointStatement(const sql::Statement& statement,
                                                const EventPlace& at, Output& out) {
  if (statement.kind == sql::StatementKind::Savepoint) {
    if (in_transaction_) {
      std::erase_if(savepoints_, [&](const Savepoint& s) { return s.name == statement.savepoint; });
      savepoints_.push_back(Savepoint{statement.savepoint, held_.size(), false});
    }
    return Status::ok();
  }
  if (statement.kind == sql::StatementKind::RollbackToSavepoint) {
    rollbackToSavepoint(statement.savepoint, at, out);
    return Status::ok();
  }
  // RELEASE SAVEPOINT: not logged by the servers seen; read as the server means it: that
  // savepoint and the later ones end, their rows stay held for an outer one or the commit.
  auto it = std::find_if(savepoints_.begin(), savepoints_.end(),
                         [&](const Savepoint& s) { return s.name == statement.savepoint; });
  savepoints_.erase(it, savepoints_.end());
  if (savepoints_.empty() && !in_xa_ && !releaseHeld(out)) {  // nothing can undo them now
    return stopped();
  }
  return Status::ok();
}

Status TransactionTracker::onXaStatement(const sql::Statement& statement, const EventPlace& at,
                                         Output& out) {
  switch (statement.kind) {
    case sql::StatementKind::XaStart:
      openExplicitTransaction(at.start);
      in_xa_ = true;
      if (statement.xid) {
        xa_ = statement.xid;
      }
      return Status::ok();
    case sql::StatementKind::XaPrepare:
      return prepareXa(statement.xid ? statement.xid : xa_, at, out);
    case sql::StatementKind::XaCommitOnePhase:
      return decideXa(std::nullopt, /*commit=*/true, at, out);
    case sql::StatementKind::XaCommit: return decideXa(statement.xid, /*commit=*/true, at, out);
    case sql::StatementKind::XaRollback: return decideXa(statement.xid, /*commit=*/false, at, out);
    default:  // XA END, XA RECOVER, ...
      return Status::ok();
  }
}

Status TransactionTracker::onDdl(const binlog::QueryEvent& query, const sql::Statement& statement,
                                 const EventPlace& at, Output& out) {
  // DDL (or DCL): may change a table's shape.
  SchemaChange change{std::string(query.query), std::string(query.database), file_, at.start};
  const size_t size =
      sizeof(SchemaChange) + change.statement.size() + change.database.size() + file_.size();
  if (!out.item(std::move(change), size)) {
    return stopped();
  }
  if (in_transaction_ && explicit_transaction_ && !standalone_group_) {
    return Status::ok();  // logged with the rows it wrote (CREATE TABLE ... SELECT): COMMIT ends it
  }
  if (statement.opens_transaction) {  // MySQL's CREATE TABLE ... SELECT
    openExplicitTransaction(at.start);
    return Status::ok();
  }
  return endTransaction(at.end, out, resumedHere());
}

Status TransactionTracker::onRows(binlog::RowsEvent& rows, const EventPlace& at,
                                  std::shared_ptr<const uint8_t[]>&& storage, Output& out) {
  if (!in_transaction_) {
    // Rows outside BEGIN/GTID (e.g. a stream started mid-transaction by position).
    beginTransaction(at.start, /*explicit_begin=*/false);
  }
  const uint64_t skip_rows = txn_resumed_ ? resume_.rows_done : 0;
  if (in_xa_ || !savepoints_.empty() || !held_.empty()) {  // held rows keep their order
    const uint64_t bytes = rowsBytes(rows);
    if (in_xa_ && prepared_bytes_ + held_bytes_ + bytes > options_.max_prepared_xa_bytes) {
      return Status::internal(fmt::format(
          "{}: XA transaction {} (started at {}:{}) holds more than {} bytes "
          "of rows (with the {} prepared transactions waiting for their outcome): its rows are "
          "held "
          "until its XA COMMIT or ROLLBACK. Raise [monitor] max_held_mb; the checkpoint "
          "stays before it, so nothing is lost",
          where(file_, at.start), xidText(xa_), file_, txn_start_, options_.max_prepared_xa_bytes,
          prepared_.size()));
    }
    held_bytes_ += bytes;
    held_.push_back(RowsItem{std::move(storage),
                             std::move(rows),
                             transactionCheckpoint(),
                             at.end,
                             at.timestamp,
                             skip_rows,
                             txn_gtid_text_,
                             {}});
    if (!in_xa_ && held_bytes_ > options_.max_savepoint_bytes && !releaseHeld(out)) {
      return stopped();
    }
    return Status::ok();
  }
  ++rows_in_txn_handed_on_;
  if (skip_handed_on_ > 0) {  // handed on before the stream was lost
    --skip_handed_on_;
    return Status::ok();
  }
  const SharedCheckpoint held = heldMark();
  const RowsChange change{file_,     rows,
                          storage,   options_.checkpoints ? transactionCheckpoint() : kNoCheckpoint,
                          at.end,    at.timestamp,
                          skip_rows, txn_gtid_text_,
                          held};
  return out.rows(change, rowsBytes(rows)) ? Status::ok() : stopped();
}

Status TransactionTracker::prepareXa(const std::optional<sql::XaId>& xid, const EventPlace& at,
                                     Output& out) {
  if (!xid) {
    return Status::corruption(
        fmt::format("{}: an XA PREPARE whose xid could not be read", where(file_, at.start)));
  }
  if (!in_transaction_) {
    beginTransaction(at.start, /*explicit_begin=*/true);
  }
  // Its start is where checkpoints stay until its outcome; when it is the transaction a restart
  // resumed in, with the rows confirmed before.
  SharedCheckpoint start = transactionCheckpoint();
  if (resume_.rows_done > 0 && txn_resumed_) {
    start = std::make_shared<const checkpoint::Checkpoint>(withRowsDone(*start, resume_.rows_done));
  }
  PreparedXa prepared{*xid, std::move(start), std::move(held_), held_bytes_};
  clearTransactionRows();
  prepared_bytes_ += prepared.bytes;
  // A second PREPARE of the same xid cannot happen while the first waits; if a restart read one
  // again, the newer copy replaces it.
  auto same = std::find_if(prepared_.begin(), prepared_.end(),
                           [&](const PreparedXa& p) { return p.xid == *xid; });
  if (same != prepared_.end()) {
    prepared_bytes_ -= same->bytes;
    prepared_.erase(same);
  }
  prepared_.push_back(std::move(prepared));
  return endTransaction(at.end, out, nullptr);  // its rows wait for the outcome
}

Status TransactionTracker::decideXa(const std::optional<sql::XaId>& xid, bool commit,
                                    const EventPlace& at, Output& out) {
  if (!xid) {
    // ONE PHASE: the rows of this very transaction are committed now.
    in_xa_ = false;
    return endTransaction(at.end, out, resumedHere());
  }
  SharedCheckpoint resumed;
  auto it = std::find_if(prepared_.begin(), prepared_.end(),
                         [&](const PreparedXa& p) { return p.xid == *xid; });
  if (it == prepared_.end()) {
    out.notice(
        fmt::format("{}: XA {} of transaction {}, whose XA PREPARE was before the start point: {}",
                    where(file_, at.start), commit ? "COMMIT" : "ROLLBACK", xid->text(),
                    commit ? "its rows are not published" : "nothing to drop"));
  } else {
    PreparedXa decided = std::move(*it);
    const bool oldest = it == prepared_.begin();
    prepared_bytes_ -= decided.bytes;
    prepared_.erase(it);
    if (commit) {
      // The oldest one's rows carry their own (start, rows done): a restart skips what was
      // confirmed. Others keep the checkpoint at the oldest start still prepared.
      const SharedCheckpoint held = oldest ? nullptr : heldMark();
      for (RowsItem& item : decided.rows) {
        item.held_mark = held;
        if (!handOnRows(item, out)) {
          return stopped();
        }
      }
      // Its start carries rows_done when a restart resumed inside it (prepareXa).
      if (decided.start->rows_done > 0 && options_.checkpoints) {
        resumed = decided.start;
      }
    }
  }
  return endTransaction(at.end, out, std::move(resumed));
}

}  // namespace mm::pipeline
