// EventDecoder: turns one binlog event's bytes into a typed event, for a file or a replica stream.
//
// Stateful in the way the format requires and no more: it remembers the current FORMAT_DESCRIPTION
// (post-header lengths, checksum algorithm) and the TABLE_MAP events in force, and refuses
// TABLE_MAP and rows events before a FORMAT_DESCRIPTION. It does no I/O and keeps no clock. The
// views in a DecodedEvent point into the bytes given to decode(), which must outlive them; the
// TableMap is shared so a rows event can travel to another thread with its table. The exception are
// MariaDB's compressed events: their decompressed query text or rows (with the column bitmaps) are
// owned by the body (QueryEvent::decompressed, RowsEvent::owned), so such a rows event views none
// of the caller's bytes.
//
// TRANSACTION_PAYLOAD_EVENT decodes to a TransactionPayloadEvent viewing the compressed bytes;
// iterate its inner events with a TransactionPayloadReader and decodeInner()
// (binlog/transaction_payload.h says how, and which positions to give them).
//
// TABLE_MAPs: the server writes one before every statement (MariaDB: before every rows event
// group), so a 1-row transaction repeats its table's whole map, optional metadata and all. A
// TABLE_MAP whose body is byte-identical to the last one decoded for the same table id yields the
// same shared TableMap again, without decoding it; any other body (ALTER TABLE, a new id, other
// metadata) is decoded afresh. Identical bytes carry identical names, types and members, so a
// shared map is never stale; the maps are immutable once handed out.
//
// Unknown event types: skipped (DecodedEvent::Skipped) when flagged IGNORABLE, otherwise an
// Unsupported error naming the type. Encrypted binlogs (START_ENCRYPTION_EVENT) are Unsupported.
// Not thread-safe: one decoder per stream.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <variant>
#include <vector>

#include "binlog/events.h"
#include "binlog/gtid_events.h"
#include "binlog/rows_event.h"
#include "binlog/table_map.h"
#include "binlog/transaction_payload.h"
#include "common/status.h"

namespace mm::binlog {

struct SkippedEvent {};  // framing or statement-context events a row consumer does not need
struct StopEvent {};
// LOAD DATA in statement format (binlog_format STATEMENT or MIXED for the session): the file's
// blocks (BEGIN_LOAD_QUERY, APPEND_BLOCK, and the pre-5.0 LOAD, CREATE_FILE, EXEC_LOAD, NEW_LOAD,
// DELETE_FILE) and the statement that loads them (EXECUTE_LOAD_QUERY, `executes`). Its rows are
// not in the binlog as rows: a row-based reader can only report it.
struct LoadDataEvent {
  bool executes = false;      // EXECUTE_LOAD_QUERY: `query` and `database` are set
  std::string_view database;  // views into the body
  std::string_view query;
};
struct TableMapEvent {
  std::shared_ptr<const TableMap> table;
};
struct RowsEvent {
  RowsEventHeader header;  // views into the event bytes, or into `owned`
  std::shared_ptr<const TableMap> table;
  // MariaDB compressed rows events: the column bitmaps and the decompressed rows that `header`
  // views. Shared so that copies and moves of the event keep the views valid.
  std::shared_ptr<const std::vector<uint8_t>> owned;
};

struct DecodedEvent {
  EventHeader header;
  std::variant<SkippedEvent, FormatDescription, RotateEvent, QueryEvent, uint64_t /*XID*/,
               HeartbeatEvent, MariadbGtidEvent, IncidentEvent, StopEvent, TableMapEvent, RowsEvent,
               MysqlGtidEvent, PreviousGtidsEvent, MariadbGtidListEvent, RowsQueryEvent,
               BinlogCheckpointEvent, XaPrepareEvent, TransactionPayloadEvent, LoadDataEvent>
      body;
};

struct EventDecoderOptions {
  // Before the first FORMAT_DESCRIPTION of a replica stream only the fake ROTATE arrives; it
  // carries a CRC iff the replica declared CRC32 (§1.4). Files start with the FDE and ignore this.
  bool checksum_before_format_description = false;
  // Verify CRC32 of every event that carries one.
  bool verify_checksums = true;
};

class EventDecoder {
 public:
  explicit EventDecoder(EventDecoderOptions options = {}) : options_(options) {}

  // Decodes one whole event (common header to checksum). Errors name the event type; the
  // caller adds where the event was.
  Result<DecodedEvent> decode(std::span<const uint8_t> event);

  // Decodes one event from inside a TRANSACTION_PAYLOAD_EVENT (from TransactionPayloadReader):
  // no checksum, the current FORMAT_DESCRIPTION's post-header lengths. Corruption for events that
  // cannot nest (FORMAT_DESCRIPTION, TRANSACTION_PAYLOAD, ROTATE) or before any FDE.
  Result<DecodedEvent> decodeInner(std::span<const uint8_t> event);

  const std::optional<FormatDescription>& formatDescription() const { return fde_; }

 private:
  Result<DecodedEvent> decodeBody(const EventHeader& header, std::span<const uint8_t> body);
  // The types that need a FORMAT_DESCRIPTION and are not rows events: the event-type switch.
  Result<DecodedEvent> decodeNonRowsEvent(const EventHeader& header, std::span<const uint8_t> body);
  Result<RowsEvent> decodeRows(uint8_t type, std::span<const uint8_t> body);
  Result<std::shared_ptr<const TableMap>> decodeTableMapCached(std::span<const uint8_t> body);
  // A TABLE_MAP, put in force (replacing the one of the same table id).
  Result<TableMapEvent> decodeTableMapInForce(std::span<const uint8_t> body);
  // MariaDB's QUERY_COMPRESSED_EVENT, its query text inflated into storage the event owns.
  Result<QueryEvent> decodeCompressedQuery(std::span<const uint8_t> body);
  // EXECUTE_LOAD_QUERY_EVENT: the statement of a LOAD DATA in statement format.
  Result<LoadDataEvent> decodeExecuteLoadQuery(std::span<const uint8_t> body);

  // The TABLE_MAP last decoded per table id, with the body it came from.
  struct KnownTableMap {
    std::vector<uint8_t> body;
    std::shared_ptr<const TableMap> map;
  };
  // Table ids grow with every ALTER and table-cache eviction: past this many, start over.
  static constexpr size_t kMaxKnownTableMaps = 4096;

  EventDecoderOptions options_;
  std::optional<FormatDescription> fde_;
  // The TABLE_MAPs in force: the current statement's, one per table it touches, so few. A vector
  // searched linearly: clearing an unordered_map at every statement end (wiping its buckets,
  // freeing its nodes) was 1.5% of decode with 1-row statements.
  std::vector<std::shared_ptr<const TableMap>> tables_;
  std::unordered_map<uint64_t, KnownTableMap> known_tables_;
};

}  // namespace mm::binlog
