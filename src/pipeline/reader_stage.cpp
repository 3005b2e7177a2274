#include "pipeline/reader_stage.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "binlog/event_type.h"
#include "pipeline/reconnect_backoff.h"

namespace mm::pipeline {
namespace {

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
  auto created = TransactionTracker::create(
      start, TrackerOptions{.resume_by_gtid = options_.resume_by_gtid,
                            .max_prepared_xa_bytes = options_.max_held_bytes,
                            .max_savepoint_bytes = options_.max_held_bytes,
                            .non_transactional = [this](const binlog::TableMap& table) {
                              return options_.non_transactional &&
                                     options_.non_transactional(table.database, table.table);
                            }});
  if (!created.isOk()) {
    out_.close();
    return created.status();
  }
  TransactionTracker& tracker = *created;
  ReconnectBackoff backoff(options_.min_reconnect_backoff, options_.max_reconnect_backoff);
  Status result;
  while (!stop.stop_requested()) {
    bool received_event = false;
    Status status = stream(tracker, received_event, stop);
    // What was decoded before the stream ended goes on (the tracker counts it as handed on).
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
      result = resumeAtCurrentPosition(tracker, status, stop);
      if (!result.isOk()) {
        break;
      }
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
    tracker.streamLost();
    const std::chrono::milliseconds delay = backoff.next();
    metrics::add(metrics_.source_reconnects);
    spdlog::warn("{}; reconnecting in {} ms from {}:{}", status.toString(), delay.count(),
                 tracker.file(), tracker.position());
    clock_.waitFor(delay, stop);
  }
  spdlog::info("reader stopped: {} reconnects, {} rows events of filtered tables skipped, {} "
               "statement-format writes not published, {} position gaps",
               metrics::get(metrics_.source_reconnects),
               metrics::get(metrics_.rows_events_filtered), metrics::get(metrics_.statement_dml),
               metrics::get(metrics_.position_gaps));
  out_.close();
  return result;
}

Status ReaderStage::resumeAtCurrentPosition(TransactionTracker& tracker, const Status& why,
                                            std::stop_token stop) {
  auto current = source_.currentPosition();
  if (!current.isOk()) {
    return current.status().withContext(
        fmt::format("{}; and the current position could not be read", why.toString()));
  }
  const checkpoint::Checkpoint from{tracker.file(), tracker.position(), 0, tracker.gtids().text()};
  const checkpoint::Checkpoint to{current->position.file, current->position.offset, 0,
                                  current->gtid_set};
  spdlog::error("{}; [mysql] on_position_lost = current: publishing a gap message and resuming at "
                "{}: the changes in between are lost to consumers",
                why.toString(), checkpoint::toString(to));
  if (tracker.preparedXaCount() > 0) {
    spdlog::error(
        "{} prepared XA transactions whose outcome is in the gap are forgotten: their rows "
        "are not published",
        tracker.preparedXaCount());
  }
  if (!handOn(PositionGap{from, to}, sizeof(PositionGap) + from.file.size() + to.file.size(),
              stop)) {
    return Status::cancelled("stopped");
  }
  metrics::add(metrics_.position_gaps);
  tracker.jumpTo(to);
  return Status::ok();
}

void ReaderStage::noteStatementWrite(const std::optional<sql::StatementTable>& table,
                                     std::string_view what, const std::string& file,
                                     uint64_t position) {
  if (table && !filter_.passes(table->database, table->table)) {
    return;
  }
  metrics::add(metrics_.statement_dml);
  const std::string name =
      table ? fmt::format("{}.{}", table->database, table->table) : std::string();
  if (statement_dml_warned_.insert(name).second) {
    spdlog::warn(
        "{}: a session wrote it in statement format ({} at {}:{}; binlog_format != ROW for "
        "that session); such writes reach the binlog as SQL text and are NOT published. Set "
        "binlog_format = ROW globally and have the sessions reconnect (warned once per table)",
        table ? "table " + name : std::string("a table the statement does not name"), what, file,
        position);
  }
}

bool ReaderStage::TrackerOutput::rows(const RowsChange& rows, size_t bytes) {
  if (!reader_.tablePasses(rows.event.table)) {
    metrics::add(reader_.metrics_.rows_events_filtered);
    const std::string& own = reader_.options_.own_database;
    (!own.empty() && rows.event.table->database == own ? reader_.txn_wrote_own_state_
                                                       : reader_.txn_wrote_other_) = true;
    return true;
  }
  reader_.txn_wrote_other_ = true;
  return reader_.handOn(rows.toItem(), bytes, stop_);
}

bool ReaderStage::TrackerOutput::item(SourceItem&& item, size_t bytes) {
  if (auto* end = std::get_if<TransactionEnd>(&item)) {
    end->own_state_only = reader_.txn_wrote_own_state_ && !reader_.txn_wrote_other_;
    reader_.txn_wrote_own_state_ = reader_.txn_wrote_other_ = false;
  }
  return reader_.handOn(std::move(item), bytes, stop_);
}

void ReaderStage::TrackerOutput::statementWrite(const std::optional<sql::StatementTable>& table,
                                                std::string_view what, const std::string& file,
                                                uint64_t position) {
  reader_.noteStatementWrite(table, what, file, position);
}

void ReaderStage::TrackerOutput::notice(const std::string& text) { spdlog::warn("{}", text); }

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
  return (hand_off_.size() < kHandOffItems && hand_off_bytes_ < kHandOffBytes) ||
         flushHandOff(stop);
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

Status ReaderStage::stream(TransactionTracker& tracker, bool& received_event,
                           std::stop_token stop) {
  mysql::StreamStart start{binlog::Position{tracker.file(), tracker.position()}};
  // By GTID when configured, and for a start by GTID set alone (no position known yet).
  if ((options_.resume_by_gtid || tracker.file().empty()) && tracker.gtids().known()) {
    start.gtid_set = tracker.gtids().text();
  }
  MM_RETURN_IF_ERROR(source_.open(start));
  spdlog::info("streaming binlog from {}", mysql::describe(start));
  metrics::set(metrics_.source_connected, true);
  metrics_.setReadFile(tracker.file());
  metrics::set(metrics_.read_position, tracker.position());
  binlog::EventDecoder decoder(
      binlog::EventDecoderOptions{source_.checksumBeforeFormatDescription(), true});
  tracker.streamStarted();
  TrackerOutput output(*this, stop);
  while (!stop.stop_requested()) {
    // Hand the decoded items over before waiting for the server: between transactions, when no
    // input is waiting. Inside a transaction the rest of it is on its way already (a server
    // writes a transaction to its binlog whole, at commit), so the reader keeps reading.
    if (!tracker.inTransaction() && !source_.inputReady()) {
      MM_RETURN_IF_ERROR(tracker.passIdle(output));
      if (!hand_off_.empty() && !flushHandOff(stop)) {
        return Status::cancelled("stopped");
      }
    }
    auto raw = source_.next();
    if (!raw.isOk()) {
      return raw.status();
    }
    received_event = true;
    metrics::add(metrics_.bytes_read, raw->size());
    const uint64_t event_start = tracker.position();
    StoredBytes stored;
    auto decoded = decoder.decode(storeRowsEvent(*raw, stored));
    if (!decoded.isOk()) {
      return decoded.status().withContext(where(tracker.file(), event_start));
    }
    const binlog::EventHeader& header = decoded->header;
    const EventPlace at = tracker.place(header);
    noteEventRead(header, at, tracker);
    if (auto* payload = std::get_if<binlog::TransactionPayloadEvent>(&decoded->body)) {
      MM_RETURN_IF_ERROR(streamPayload(tracker, decoder, *payload, at, output));
      continue;
    }
    const bool rotate = header.type == binlog::ROTATE_EVENT;
    MM_RETURN_IF_ERROR(tracker.onEvent(*decoded, at, std::move(stored.block), output));
    if (rotate) {
      metrics_.setReadFile(tracker.file());
      metrics::set(metrics_.read_position, tracker.position());
    }
  }
  return Status::cancelled("stopped");
}

void ReaderStage::noteEventRead(const binlog::EventHeader& header, const EventPlace& at,
                                const TransactionTracker& tracker) {
  if (at.in_file) {
    metrics::set(metrics_.read_position, tracker.position());
    metrics::set(metrics_.source_caught_up, false);
    metrics::set<int64_t>(metrics_.last_event_timestamp, header.timestamp);
  } else if (header.type == binlog::HEARTBEAT_LOG_EVENT ||
             header.type == binlog::HEARTBEAT_LOG_EVENT_V2) {
    // The server sends heartbeats only while it has nothing else to send.
    metrics::set(metrics_.source_caught_up, true);
  }
  if (header.type == binlog::FORMAT_DESCRIPTION_EVENT && header.timestamp != 0) {
    // Sent at the head of every file, and again for a start inside one: when the file began,
    // for the retention runway.
    metrics_.noteFileCreated(tracker.file(), header.timestamp);
  }
}

Status ReaderStage::streamPayload(TransactionTracker& tracker, binlog::EventDecoder& decoder,
                                  const binlog::TransactionPayloadEvent& payload,
                                  const EventPlace& at, TrackerOutput& output) {
  // Inner events sit at the payload's position and end where it ends
  // (binlog/transaction_payload.h): a checkpoint can only land after the whole compressed
  // transaction.
  binlog::TransactionPayloadReader inner(payload);
  for (;;) {
    auto raw = inner.next();
    if (!raw.isOk()) {
      return raw.status().withContext(where(tracker.file(), at.start));
    }
    if (!raw->has_value()) {
      return Status::ok();
    }
    StoredBytes stored;
    auto decoded = decoder.decodeInner(storeRowsEvent(**raw, stored));
    if (!decoded.isOk()) {
      return decoded.status().withContext(
          fmt::format("event {} inside the TRANSACTION_PAYLOAD_EVENT at {}:{}", inner.index(),
                      tracker.file(), at.start));
    }
    MM_RETURN_IF_ERROR(tracker.onEvent(*decoded, at, std::move(stored.block), output));
  }
}

std::span<const uint8_t> ReaderStage::storeRowsEvent(std::span<const uint8_t> bytes,
                                                     StoredBytes& stored) {
  // Rows events travel to another thread: they get bytes of their own before views are decoded.
  if (bytes.size() <= 4 || !isRowsEventType(bytes[4])) {
    return bytes;
  }
  if (bytes.size() > kStorageBlockBytes) {
    // A block of its own, not kept as the current one: it goes as soon as its rows are published
    // (kept, a 60 MB event stayed in memory until the next rows event).
    std::shared_ptr<uint8_t[]> own(new uint8_t[bytes.size()]);  // not zero-filled: written next
    std::memcpy(own.get(), bytes.data(), bytes.size());
    stored = StoredBytes{own, bytes.size()};
    return {own.get(), bytes.size()};
  }
  if (block_ == nullptr || bytes.size() > block_size_ - block_used_) {
    block_size_ = kStorageBlockBytes;
    block_ = std::shared_ptr<uint8_t[]>(new uint8_t[block_size_]);  // not zero-filled: written next
    block_used_ = 0;
  }
  uint8_t* copy = block_.get() + block_used_;
  std::memcpy(copy, bytes.data(), bytes.size());
  block_used_ += bytes.size();
  stored = StoredBytes{block_, bytes.size()};
  return {copy, bytes.size()};
}

}  // namespace mm::pipeline
