#include "pipeline/reader_stage.h"

#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "binlog/event_type.h"
#include "pipeline/reconnect_backoff.h"
#include "pipeline/statement_dml.h"

namespace mm::pipeline {
namespace {

constexpr size_t kRowsItemOverhead = 256;

bool isRowsEventType(uint8_t type) {
  binlog::RowsKind kind{};
  return binlog::rowsEventKind(type, kind);
}

}  // namespace

Status ReaderStage::run(const checkpoint::Checkpoint& start, std::stop_token stop) {
  std::stop_callback interrupt_on_stop(stop, [this] { source_.interrupt(); });
  Cursor cursor{start.file, start.position, false, start.position, 0};
  uint64_t skip_rows_events = 0;
  ReconnectBackoff backoff(options_.min_reconnect_backoff, options_.max_reconnect_backoff);
  Status result;
  while (!stop.stop_requested()) {
    bool received_event = false;
    Status status = stream(cursor, skip_rows_events, start, received_event, stop);
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
  const checkpoint::Checkpoint from{cursor.file, cursor.position, 0};
  const checkpoint::Checkpoint to{current->file, current->offset, 0};
  spdlog::error("{}; [mysql] on_position_lost = current: publishing a gap message and resuming at "
                "{}: the changes in between are lost to consumers",
                why.toString(), checkpoint::toString(to));
  if (!out_.push(PositionGap{from, to}, sizeof(PositionGap) + from.file.size() + to.file.size(), stop)) {
    return Status::cancelled("stopped");
  }
  ++stats_.position_gaps;
  cursor = Cursor{to.file, to.position, false, to.position, 0};
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
  const std::string table = fmt::format("{}.{}", target->database, target->table);
  if (statement_dml_warned_.insert(table).second) {
    spdlog::warn("table {}: a session wrote it in statement format (binlog_format != ROW for that "
                 "session); such writes reach the binlog as SQL text and are NOT published. Set "
                 "binlog_format = ROW globally and have the sessions reconnect (warned once per table)",
                 table);
  }
  return true;
}

bool ReaderStage::endTransaction(Cursor& cursor, uint64_t next_position, std::stop_token stop) {
  cursor.in_transaction = false;
  cursor.rows_events_in_txn = 0;
  cursor.txn_start = next_position;
  return out_.push(TransactionEnd{checkpoint::Checkpoint{cursor.file, next_position, 0}},
                   sizeof(TransactionEnd) + cursor.file.size(), stop);
}

Status ReaderStage::stream(Cursor& cursor, uint64_t skip_rows_events,
                           const checkpoint::Checkpoint& resume, bool& received_event,
                           std::stop_token stop) {
  MM_RETURN_IF_ERROR(source_.open(binlog::Position{cursor.file, cursor.position}));
  spdlog::info("streaming binlog from {}:{}", cursor.file, cursor.position);
  binlog::EventDecoder decoder(
      binlog::EventDecoderOptions{source_.checksumBeforeFormatDescription(), true});
  const bool resuming_transaction = cursor.in_transaction;
  cursor.in_transaction = false;
  cursor.rows_events_in_txn = 0;
  while (!stop.stop_requested()) {
    auto raw = source_.next();
    if (!raw.isOk()) {
      return raw.status();
    }
    received_event = true;
    const uint64_t event_start = cursor.position;
    const auto where = [&] { return fmt::format("binlog event at {}:{}", cursor.file, event_start); };
    // Rows events travel to another thread: give them bytes of their own before decoding views.
    std::vector<uint8_t> owned;
    std::span<const uint8_t> bytes = *raw;
    if (bytes.size() > 4 && isRowsEventType(bytes[4])) {
      owned.assign(bytes.begin(), bytes.end());
      bytes = owned;
    }
    auto decoded = decoder.decode(bytes);
    if (!decoded.isOk()) {
      return decoded.status().withContext(where());
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
      cursor.position = event_end;
    }
    auto& body = decoded->body;
    if (auto* rotate = std::get_if<binlog::RotateEvent>(&body)) {
      cursor.file = rotate->next_file;
      cursor.position = rotate->position;
      if (!cursor.in_transaction) {
        cursor.txn_start = cursor.position;
      }
    } else if (std::holds_alternative<binlog::MariadbGtidEvent>(body)) {
      cursor.in_transaction = true;
      cursor.txn_start = event_start;
      cursor.rows_events_in_txn = 0;
    } else if (auto* query = std::get_if<binlog::QueryEvent>(&body)) {
      switch (binlog::classifyQuery(query->query)) {
        case binlog::QueryKind::Begin:
          if (!cursor.in_transaction) {
            cursor.in_transaction = true;
            cursor.txn_start = event_start;
            cursor.rows_events_in_txn = 0;
          }
          break;
        case binlog::QueryKind::Commit:
        case binlog::QueryKind::Rollback:
          if (!endTransaction(cursor, event_end, stop)) {
            return Status::cancelled("stopped");
          }
          break;
        case binlog::QueryKind::Other:
          if (noteStatementDml(query->query, query->database)) {
            break;  // a statement-format write: part of its transaction, which COMMIT/XID ends
          }
          // DDL (or DCL): standalone, may change a table's shape.
          if (!out_.push(SchemaChange{}, sizeof(SchemaChange), stop) ||
              !endTransaction(cursor, event_end, stop)) {
            return Status::cancelled("stopped");
          }
          break;
      }
    } else if (std::holds_alternative<uint64_t>(body)) {  // XID
      if (!endTransaction(cursor, event_end, stop)) {
        return Status::cancelled("stopped");
      }
    } else if (auto* incident = std::get_if<binlog::IncidentEvent>(&body)) {
      return Status::protocol(fmt::format(
          "{}: INCIDENT_EVENT code {}: {}: the source lost changes; resynchronise before resuming",
          where(), incident->code, incident->message));
    } else if (std::holds_alternative<binlog::TransactionPayloadEvent>(body)) {
      // Never skip a compressed transaction silently: its rows would be lost to consumers. The
      // decoder reads them (`mysql-monitor decode` does); the live stream does not hand them on yet.
      return Status::unsupported(fmt::format(
          "{}: a compressed transaction (MySQL binlog_transaction_compression=ON) is not published "
          "by the live stream yet; set binlog_transaction_compression=OFF on the source",
          where()));
    } else if (auto* rows = std::get_if<binlog::RowsEvent>(&body)) {
      if (!cursor.in_transaction) {
        // Rows outside BEGIN/GTID (e.g. a stream started mid-transaction by position).
        cursor.in_transaction = true;
        cursor.txn_start = event_start;
      }
      if (resuming_transaction && skip_rows_events > 0) {
        --skip_rows_events;
        ++cursor.rows_events_in_txn;
        continue;
      }
      ++cursor.rows_events_in_txn;
      if (!filter_.passes(rows->table->database, rows->table->table)) {
        ++stats_.filtered_rows_events;
        continue;
      }
      const bool resumed_txn = cursor.file == resume.file && cursor.txn_start == resume.position;
      RowsItem item{std::move(owned), std::move(*rows), cursor.file, cursor.txn_start, event_end,
                    header.timestamp, resumed_txn ? resume.rows_done : 0};
      const size_t size = item.bytes.size() + kRowsItemOverhead;
      if (!out_.push(std::move(item), size, stop)) {
        return Status::cancelled("stopped");
      }
    }
  }
  return Status::cancelled("stopped");
}

}  // namespace mm::pipeline
