#include "pipeline/reader_stage.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <thread>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "binlog/event_type.h"
#include "pipeline/reconnect_backoff.h"
#include "pipeline/statement_dml.h"

namespace mm::pipeline {
namespace {

constexpr size_t kRowsItemOverhead = 256;
// Rows events are copied into blocks of this size (a larger event gets a block of its own).
constexpr size_t kStorageBlockBytes = 64 * 1024;
// Items handed over at once (at the latest: flushHandOff() runs before every wait for the server).
constexpr size_t kHandOffItems = 64;
constexpr size_t kHandOffBytes = 1u << 20;

bool isRowsEventType(uint8_t type) {
  binlog::RowsKind kind{};
  return binlog::rowsEventKind(type, kind);
}

std::string where(const std::string& file, uint64_t position) {
  return fmt::format("binlog event at {}:{}", file, position);
}

}  // namespace

Status ReaderStage::run(const checkpoint::Checkpoint& start, std::stop_token stop) {
  std::stop_callback interrupt_on_stop(stop, [this] { source_.interrupt(); });
  Cursor cursor{start.file, start.position, false, start.position, 0};
  auto gtids = binlog::GtidState::parse(start.gtid_set);
  if (!gtids.isOk()) {
    out_.close();
    return gtids.status().withContext("the start checkpoint's GTID set");
  }
  cursor.gtids = std::move(*gtids);
  uint64_t skip_rows_events = 0;
  ReconnectBackoff backoff(options_.min_reconnect_backoff, options_.max_reconnect_backoff);
  Status result;
  while (!stop.stop_requested()) {
    bool received_event = false;
    Status status = stream(cursor, skip_rows_events, start, received_event, stop);
    // What was decoded before the stream ended goes on (the cursor counts it as handed on).
    if (!flushHandOff(stop)) {
      break;
    }
    metrics::set(metrics_.source_connected, false);
    metrics::set(metrics_.source_caught_up, false);
    if (stop.stop_requested() || status.code() == StatusCode::Cancelled) {
      break;
    }
    if (status.code() == StatusCode::Protocol && source_.positionLost() &&
        options_.on_position_lost == PositionLostPolicy::ResumeAtCurrent) {
      result = resumeAtCurrentPosition(cursor, status, stop);
      if (!result.isOk()) {
        break;
      }
      skip_rows_events = 0;
      continue;
    }
    if (status.code() != StatusCode::Io) {
      result = status;
      break;
    }
    if (received_event) {
      backoff.reset();
    }
    // A lost link: resume at the transaction in progress and drop what was already handed on.
    skip_rows_events = cursor.in_transaction ? cursor.rows_events_in_txn : 0;
    if (cursor.in_transaction) {
      cursor.position = cursor.txn_start;
    }
    const std::chrono::milliseconds delay = backoff.next();
    ++stats_.reconnects;
    metrics::add(metrics_.source_reconnects);
    spdlog::warn("{}; reconnecting in {} ms from {}:{}", status.toString(), delay.count(), cursor.file,
                 cursor.position);
    sleepUnlessStopped(delay, stop);
  }
  spdlog::info("reader stopped: {} reconnects, {} rows events of filtered tables skipped, {} "
               "statement-format writes not published, {} position gaps",
               stats_.reconnects, stats_.filtered_rows_events, stats_.statement_dml_events,
               stats_.position_gaps);
  out_.close();
  return result;
}

Status ReaderStage::resumeAtCurrentPosition(Cursor& cursor, const Status& why, std::stop_token stop) {
  auto current = source_.currentPosition();
  if (!current.isOk()) {
    return current.status().withContext(
        fmt::format("{}; and the current position could not be read", why.toString()));
  }
  const checkpoint::Checkpoint from{cursor.file, cursor.position, 0, cursor.gtids.text()};
  const checkpoint::Checkpoint to{current->position.file, current->position.offset, 0, current->gtid_set};
  spdlog::error("{}; [mysql] on_position_lost = current: publishing a gap message and resuming at "
                "{}: the changes in between are lost to consumers",
                why.toString(), checkpoint::toString(to));
  if (!handOn(PositionGap{from, to}, sizeof(PositionGap) + from.file.size() + to.file.size(), stop)) {
    return Status::cancelled("stopped");
  }
  ++stats_.position_gaps;
  metrics::add(metrics_.position_gaps);
  auto gtids = binlog::GtidState::parse(to.gtid_set);
  cursor = Cursor{to.file, to.position, false, to.position, 0};
  if (gtids.isOk()) {
    cursor.gtids = std::move(*gtids);
  }
  return Status::ok();
}

bool ReaderStage::noteStatementDml(std::string_view query, std::string_view default_database) {
  auto target = statementDmlTarget(query, default_database);
  if (!target) {
    return false;
  }
  if (!filter_.passes(target->database, target->table)) {
    return true;
  }
  ++stats_.statement_dml_events;
  metrics::add(metrics_.statement_dml);
  const std::string table = fmt::format("{}.{}", target->database, target->table);
  if (statement_dml_warned_.insert(table).second) {
    spdlog::warn("table {}: a session wrote it in statement format (binlog_format != ROW for that "
                 "session); such writes reach the binlog as SQL text and are NOT published. Set "
                 "binlog_format = ROW globally and have the sessions reconnect (warned once per table)",
                 table);
  }
  return true;
}

void ReaderStage::beginTransaction(Cursor& cursor, uint64_t position) {
  cursor.in_transaction = true;
  cursor.txn_start = position;
  cursor.rows_events_in_txn = 0;
  cursor.txn_gtid = std::monostate{};
  cursor.txn_gtid_text.clear();
  cursor.txn_gtid_set = gtidsText(cursor);
}

const std::string& ReaderStage::gtidsText(Cursor& cursor) {
  if (cursor.gtids_text_stale) {
    cursor.gtids.writeText(cursor.gtids_text);
    cursor.gtids_text_stale = false;
  }
  return cursor.gtids_text;
}

const SharedCheckpoint& ReaderStage::transactionCheckpoint(Cursor& cursor) {
  const SharedCheckpoint& shared = cursor.txn_checkpoint;
  if (shared == nullptr || shared->position != cursor.txn_start || shared->file != cursor.file ||
      shared->gtid_set != cursor.txn_gtid_set) {
    cursor.txn_checkpoint = std::make_shared<const checkpoint::Checkpoint>(
        checkpoint::Checkpoint{cursor.file, cursor.txn_start, 0, cursor.txn_gtid_set});
  }
  return cursor.txn_checkpoint;
}

bool ReaderStage::endTransaction(Cursor& cursor, uint64_t next_position, std::stop_token stop) {
  std::visit([&](const auto& gtid) {
    if constexpr (!std::is_same_v<std::decay_t<decltype(gtid)>, std::monostate>) {
      cursor.gtids.add(gtid);
    }
  }, cursor.txn_gtid);
  cursor.txn_gtid = std::monostate{};
  cursor.txn_gtid_text.clear();
  cursor.in_transaction = false;
  cursor.rows_events_in_txn = 0;
  cursor.txn_start = next_position;
  cursor.gtids_text_stale = true;
  // The next transaction starts here, after this set: its rows share this checkpoint.
  cursor.txn_gtid_set = gtidsText(cursor);
  const size_t size = sizeof(TransactionEnd) + cursor.file.size() + cursor.txn_gtid_set.size();
  return handOn(TransactionEnd{transactionCheckpoint(cursor)}, size, stop);
}

bool ReaderStage::tablePasses(const std::shared_ptr<const binlog::TableMap>& table) {
  if (table != filtered_table_) {
    filtered_table_ = table;
    filtered_table_passes_ = filter_.passes(table->database, table->table);
  }
  return filtered_table_passes_;
}

bool ReaderStage::handOn(SourceItem&& item, size_t bytes, std::stop_token stop) {
  hand_off_.push_back(std::move(item));
  hand_off_bytes_ += bytes;
  return (hand_off_.size() < kHandOffItems && hand_off_bytes_ < kHandOffBytes) || flushHandOff(stop);
}

bool ReaderStage::flushHandOff(std::stop_token stop) {
  if (hand_off_.empty()) {
    return true;
  }
  const size_t bytes = std::exchange(hand_off_bytes_, 0);
  const bool pushed = out_.push(std::exchange(hand_off_, SourceBatch{}), bytes, stop);
  hand_off_.reserve(kHandOffItems);
  return pushed;
}

Status ReaderStage::stream(Cursor& cursor, uint64_t skip_rows_events,
                           const checkpoint::Checkpoint& resume, bool& received_event,
                           std::stop_token stop) {
  mysql::StreamStart start{binlog::Position{cursor.file, cursor.position}};
  // By GTID when configured, and for a start by GTID set alone (no position known yet).
  if ((options_.resume_by_gtid || cursor.file.empty()) && cursor.gtids.known()) {
    start.gtid_set = cursor.gtids.text();
  }
  MM_RETURN_IF_ERROR(source_.open(start));
  spdlog::info("streaming binlog from {}", mysql::describe(start));
  metrics::set(metrics_.source_connected, true);
  metrics_.setReadFile(cursor.file);
  metrics::set(metrics_.read_position, cursor.position);
  Stream state{binlog::EventDecoder(
                   binlog::EventDecoderOptions{source_.checksumBeforeFormatDescription(), true}),
               skip_rows_events, cursor.in_transaction, resume, stop};
  cursor.in_transaction = false;
  cursor.rows_events_in_txn = 0;
  while (!stop.stop_requested()) {
    // Hand the decoded items over before waiting for the server: between transactions, when no
    // input is waiting. Inside a transaction the rest of it is on its way already (a server
    // writes a transaction to its binlog whole, at commit), so the reader keeps reading.
    if (!hand_off_.empty() && !cursor.in_transaction && !source_.inputReady() && !flushHandOff(stop)) {
      return Status::cancelled("stopped");
    }
    auto raw = source_.next();
    if (!raw.isOk()) {
      return raw.status();
    }
    received_event = true;
    metrics::add(metrics_.bytes_read, raw->size());
    uint64_t event_start = cursor.position;
    StoredBytes stored;
    auto decoded = state.decoder.decode(storeRowsEvent(*raw, stored));
    if (!decoded.isOk()) {
      return decoded.status().withContext(where(cursor.file, event_start));
    }
    const binlog::EventHeader& header = decoded->header;
    // Where the next event starts. log_pos is 32-bit and wraps past 4 GiB; MariaDB 11.4+ writes 0
    // inside transactions, where the size still tells (binlog-reference §1.8).
    uint64_t event_end = event_start + header.event_size;
    if (header.log_pos != 0) {
      event_end = (event_start & ~0xFFFFFFFFULL) | header.log_pos;
      if (event_end < event_start) {
        event_end += 1ULL << 32;
      }
    }
    // Artificial events (fake ROTATE / GTID_LIST), heartbeats and a FORMAT_DESCRIPTION re-sent for
    // a mid-file start are not in the file at this position.
    const bool in_file = (header.flags & binlog::LOG_EVENT_ARTIFICIAL_F) == 0 &&
                         header.type != binlog::HEARTBEAT_LOG_EVENT &&
                         !(header.type == binlog::FORMAT_DESCRIPTION_EVENT && header.log_pos == 0);
    if (in_file) {
      // An event that states its end also tells where it starts: after a GTID connect, whose
      // first events the server skipped, that is the only way to know.
      if (header.log_pos != 0 && event_end >= header.event_size) {
        event_start = event_end - header.event_size;
      }
      cursor.position = event_end;
      metrics::set(metrics_.read_position, cursor.position);
      metrics::set(metrics_.source_caught_up, false);
      metrics::set<int64_t>(metrics_.last_event_timestamp, header.timestamp);
    } else if (header.type == binlog::HEARTBEAT_LOG_EVENT || header.type == binlog::HEARTBEAT_LOG_EVENT_V2) {
      // The server sends heartbeats only while it has nothing else to send.
      metrics::set(metrics_.source_caught_up, true);
    }
    if (header.type == binlog::FORMAT_DESCRIPTION_EVENT && header.timestamp != 0) {
      // Sent at the head of every file, and again for a start inside one: when the file began,
      // for the retention runway.
      metrics_.noteFileCreated(cursor.file, header.timestamp);
    }
    const EventAt at{header.timestamp, event_start, event_end, in_file};
    if (auto* payload = std::get_if<binlog::TransactionPayloadEvent>(&decoded->body)) {
      MM_RETURN_IF_ERROR(streamPayload(cursor, *payload, at, state));
    } else {
      MM_RETURN_IF_ERROR(handle(cursor, *decoded, std::move(stored), at, state));
    }
  }
  return Status::cancelled("stopped");
}

Status ReaderStage::streamPayload(Cursor& cursor, const binlog::TransactionPayloadEvent& payload,
                                  const EventAt& at, Stream& state) {
  // Inner events sit at the payload's position and end where it ends (binlog/transaction_payload.h):
  // a checkpoint can only land after the whole compressed transaction.
  binlog::TransactionPayloadReader inner(payload);
  for (;;) {
    auto raw = inner.next();
    if (!raw.isOk()) {
      return raw.status().withContext(where(cursor.file, at.start));
    }
    if (!raw->has_value()) {
      return Status::ok();
    }
    StoredBytes stored;
    auto decoded = state.decoder.decodeInner(storeRowsEvent(**raw, stored));
    if (!decoded.isOk()) {
      return decoded.status().withContext(fmt::format(
          "event {} inside the TRANSACTION_PAYLOAD_EVENT at {}:{}", inner.index(), cursor.file, at.start));
    }
    MM_RETURN_IF_ERROR(handle(cursor, *decoded, std::move(stored), at, state));
  }
}

std::span<const uint8_t> ReaderStage::storeRowsEvent(std::span<const uint8_t> bytes, StoredBytes& stored) {
  // Rows events travel to another thread: they get bytes of their own before views are decoded.
  if (bytes.size() <= 4 || !isRowsEventType(bytes[4])) {
    return bytes;
  }
  if (block_ == nullptr || bytes.size() > block_size_ - block_used_) {
    block_size_ = std::max(kStorageBlockBytes, bytes.size());
    block_ = std::shared_ptr<uint8_t[]>(new uint8_t[block_size_]);  // not zero-filled: written next
    block_used_ = 0;
  }
  uint8_t* copy = block_.get() + block_used_;
  std::memcpy(copy, bytes.data(), bytes.size());
  block_used_ += bytes.size();
  stored = StoredBytes{block_, bytes.size()};
  return {copy, bytes.size()};
}

Status ReaderStage::handle(Cursor& cursor, binlog::DecodedEvent& decoded, StoredBytes stored,
                           const EventAt& at, Stream& state) {
  const std::stop_token& stop = state.stop;
  auto& body = decoded.body;
  if (auto* rotate = std::get_if<binlog::RotateEvent>(&body)) {
    cursor.file = rotate->next_file;
    cursor.position = rotate->position;
    metrics_.setReadFile(cursor.file);
    metrics::set(metrics_.read_position, cursor.position);
    if (!cursor.in_transaction) {
      cursor.txn_start = cursor.position;
    }
  } else if (auto* previous = std::get_if<binlog::PreviousGtidsEvent>(&body)) {
    if (at.in_file) {  // the GTIDs of all earlier files
      cursor.gtids.learn(binlog::MysqlGtidSet::fromPrevious(*previous));
      cursor.gtids_text_stale = true;
    }
  } else if (auto* list = std::get_if<binlog::MariadbGtidListEvent>(&body)) {
    if (at.in_file) {  // the last GTID of each domain in earlier files
      cursor.gtids.learn(binlog::MariadbGtidPos::fromList(*list));
      cursor.gtids_text_stale = true;
    }
  } else if (auto* mysql_gtid = std::get_if<binlog::MysqlGtidEvent>(&body)) {
    beginTransaction(cursor, at.start);
    cursor.txn_gtid_text = mysql_gtid->text();
    cursor.txn_gtid = *mysql_gtid;
  } else if (auto* mariadb_gtid = std::get_if<binlog::MariadbGtidEvent>(&body)) {
    beginTransaction(cursor, at.start);
    const binlog::MariadbGtid gtid{mariadb_gtid->domain_id, mariadb_gtid->server_id, mariadb_gtid->sequence};
    gtid.appendText(cursor.txn_gtid_text);  // emptied by beginTransaction
    cursor.txn_gtid = gtid;
  } else if (auto* query = std::get_if<binlog::QueryEvent>(&body)) {
    switch (binlog::classifyQuery(query->query)) {
      case binlog::QueryKind::Begin:
        if (!cursor.in_transaction) {
          beginTransaction(cursor, at.start);
        }
        break;
      case binlog::QueryKind::Commit:
      case binlog::QueryKind::Rollback:
        if (!endTransaction(cursor, at.end, stop)) {
          return Status::cancelled("stopped");
        }
        break;
      case binlog::QueryKind::Other:
        if (noteStatementDml(query->query, query->database)) {
          break;  // a statement-format write: part of its transaction, which COMMIT/XID ends
        }
        // DDL (or DCL): standalone, may change a table's shape.
        if (!handOn(SchemaChange{std::string(query->query), std::string(query->database),
                                 cursor.file, at.start},
                    sizeof(SchemaChange) + query->query.size() + query->database.size() +
                        cursor.file.size(),
                    stop) ||
            !endTransaction(cursor, at.end, stop)) {
          return Status::cancelled("stopped");
        }
        break;
    }
  } else if (std::holds_alternative<uint64_t>(body)) {  // XID
    if (!endTransaction(cursor, at.end, stop)) {
      return Status::cancelled("stopped");
    }
  } else if (auto* incident = std::get_if<binlog::IncidentEvent>(&body)) {
    return Status::protocol(fmt::format(
        "{}: INCIDENT_EVENT code {}: {}: the source lost changes; resynchronise before resuming",
        where(cursor.file, at.start), incident->code, incident->message));
  } else if (auto* rows = std::get_if<binlog::RowsEvent>(&body)) {
    if (!cursor.in_transaction) {
      // Rows outside BEGIN/GTID (e.g. a stream started mid-transaction by position).
      beginTransaction(cursor, at.start);
    }
    if (state.resuming_transaction && state.skip_rows_events > 0) {
      --state.skip_rows_events;
      ++cursor.rows_events_in_txn;
      return Status::ok();
    }
    ++cursor.rows_events_in_txn;
    if (!tablePasses(rows->table)) {
      ++stats_.filtered_rows_events;
      metrics::add(metrics_.rows_events_filtered);
      return Status::ok();
    }
    // The transaction the checkpoint stopped in: at the same place, or (by GTID, maybe on another
    // server) the one that follows the same GTID set.
    const bool resumed_txn =
        (cursor.file == state.resume.file && cursor.txn_start == state.resume.position) ||
        (options_.resume_by_gtid && !state.resume.gtid_set.empty() &&
         cursor.txn_gtid_set == state.resume.gtid_set);
    RowsItem item{std::move(stored.block), std::move(*rows), transactionCheckpoint(cursor), at.end,
                  at.timestamp,     resumed_txn ? state.resume.rows_done : 0, cursor.txn_gtid_text};
    const size_t size = stored.size + kRowsItemOverhead;
    if (!handOn(std::move(item), size, stop)) {
      return Status::cancelled("stopped");
    }
  }
  return Status::ok();
}

}  // namespace mm::pipeline
