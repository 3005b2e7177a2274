#include "binlog/event_decoder.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "binlog/compressed_event.h"
#include "binlog/event_type.h"
#include "common/byte_reader.h"

namespace mm::binlog {
namespace {
// EXECUTE_LOAD_QUERY's post-header when a FORMAT_DESCRIPTION does not list it: QUERY's 13 bytes,
// then file_id (4), fn_pos_start (4), fn_pos_end (4), dup_handling (1).
constexpr uint8_t kExecuteLoadQueryPostHeader = 26;

// The event of `header` whose body decoded to `result` (or its error). Each event is built from
// its body in place: a DecodedEvent default-made first and assigned after cost zeroing its 336
// bytes for every event.
template <typename Body>
Result<DecodedEvent> withHeader(const EventHeader& header, Result<Body>&& result) {
  if (!result.isOk()) {
    return result.status();
  }
  return DecodedEvent{header, std::move(*result)};
}

// An event of a type this decoder does not know: skipped when flagged ignorable, the server's
// promise that skipping it loses nothing (§2); otherwise an error.
Result<DecodedEvent> decodeUnknown(const EventHeader& header) {
  if ((header.flags & LOG_EVENT_IGNORABLE_F) != 0) {
    return DecodedEvent{header, SkippedEvent{}};
  }
  return Status::unsupported(fmt::format(
      "{} (type {}) is not supported and not flagged ignorable; stopping rather than losing "
      "the changes it may carry",
      eventTypeName(header.type), header.type));
}
}  // namespace

Result<DecodedEvent> EventDecoder::decode(std::span<const uint8_t> event) {
  auto header = decodeEventHeader(event);
  if (!header.isOk()) {
    return header.status();
  }
  if (header->type == FORMAT_DESCRIPTION_EVENT) {
    auto fde = decodeFormatDescription(event);
    if (!fde.isOk()) {
      return fde.status();
    }
    fde_ = *fde;
    // A new FORMAT_DESCRIPTION starts a new file (or a restarted server): old table ids are void.
    tables_.clear();
    known_tables_.clear();
    return DecodedEvent{*header, std::move(*fde)};
  }
  const bool has_checksum = fde_ ? fde_->checksum == ChecksumAlgorithm::Crc32
                                 : options_.checksum_before_format_description;
  std::span<const uint8_t> body = event.subspan(LOG_EVENT_HEADER_LEN);
  if (has_checksum) {
    if (body.size() < BINLOG_CHECKSUM_LEN) {
      return Status::corruption(
          fmt::format("{}: too short for its checksum", eventTypeName(header->type)));
    }
    if (options_.verify_checksums && !checksumMatches(event)) {
      return Status::corruption(fmt::format("{}: CRC32 mismatch", eventTypeName(header->type)));
    }
    body = body.first(body.size() - BINLOG_CHECKSUM_LEN);
  }
  return decodeBody(*header, body);
}

Result<DecodedEvent> EventDecoder::decodeInner(std::span<const uint8_t> event) {
  auto header = decodeEventHeader(event);
  if (!header.isOk()) {
    return header.status().withContext("event inside TRANSACTION_PAYLOAD_EVENT");
  }
  const uint8_t type = header->type;
  if (type == FORMAT_DESCRIPTION_EVENT || type == TRANSACTION_PAYLOAD_EVENT ||
      type == ROTATE_EVENT) {
    return Status::corruption(
        fmt::format("{} inside TRANSACTION_PAYLOAD_EVENT: only a transaction's events nest there",
                    eventTypeName(type)));
  }
  if (!fde_) {
    return Status::corruption(
        "TRANSACTION_PAYLOAD_EVENT's events before any FORMAT_DESCRIPTION_EVENT");
  }
  // Inner events never carry a checksum, whatever the FDE says (§1.3).
  return decodeBody(*header, event.subspan(LOG_EVENT_HEADER_LEN));
}

Result<RowsEvent> EventDecoder::decodeRows(uint8_t type, std::span<const uint8_t> body) {
  const uint8_t plain = mariadbUncompressedType(type);
  const uint8_t layout = plain != 0 ? plain : type;
  // Compressed types keep their own post-header length entry (8 for 166-168, 10 for 169-171).
  const uint8_t post_header_len = fde_->postHeaderLength(type);
  auto rows = decodeRowsEventHeader(layout, body, post_header_len);
  if (!rows.isOk()) {
    return plain != 0 ? rows.status().withContext(eventTypeName(type)) : rows.status();
  }
  std::shared_ptr<const std::vector<uint8_t>> owned;
  if (plain != 0) {
    // Only the rows are compressed: rebuild the uncompressed body (post-header and bitmaps, then
    // the rows) in storage the event owns, and decode that instead.
    auto plain_body =
        std::make_shared<std::vector<uint8_t>>(body.begin(), body.end() - rows->rows.size());
    Status inflated = decompressMariadbField(rows->rows, *plain_body);
    if (!inflated.isOk()) {
      return inflated.withContext(
          fmt::format("{} for table id {}", eventTypeName(type), rows->table_id));
    }
    rows = decodeRowsEventHeader(layout, *plain_body, post_header_len);
    if (!rows.isOk()) {
      return rows.status().withContext(eventTypeName(type));
    }
    owned = std::move(plain_body);
  }
  auto it = std::find_if(tables_.begin(), tables_.end(),
                         [&](const auto& table) { return table->table_id == rows->table_id; });
  if (it == tables_.end()) {
    return Status::corruption(fmt::format("{} for table id {} without a preceding TABLE_MAP_EVENT",
                                          eventTypeName(type), rows->table_id));
  }
  RowsEvent rows_event{std::move(*rows), *it, std::move(owned)};
  if ((rows_event.header.flags & STMT_END_F) != 0) {
    // The server sends the TABLE_MAPs again for every statement; dropping them here makes a rows
    // event without its map fail fast instead of using a stale one (table ids are reused).
    tables_.clear();
  }
  return rows_event;
}

Result<std::shared_ptr<const TableMap>> EventDecoder::decodeTableMapCached(
    std::span<const uint8_t> body) {
  const uint8_t post_header_len = fde_->postHeaderLength(TABLE_MAP_EVENT);
  // A body too short for its table id is left to decodeTableMap to report.
  ByteReader id_reader(body);
  const uint64_t table_id = readTableId(id_reader, post_header_len);
  if (id_reader.ok()) {
    auto known = known_tables_.find(table_id);
    if (known != known_tables_.end() &&
        std::equal(body.begin(), body.end(), known->second.body.begin(),
                   known->second.body.end())) {
      return known->second.map;
    }
  }
  auto map = decodeTableMap(body, post_header_len, fde_ && fde_->isMariaDb());
  if (!map.isOk()) {
    return map.status();
  }
  auto shared = std::make_shared<const TableMap>(std::move(*map));
  if (known_tables_.size() >= kMaxKnownTableMaps && !known_tables_.contains(table_id)) {
    known_tables_.clear();
  }
  KnownTableMap& slot = known_tables_[shared->table_id];
  slot.body.assign(body.begin(), body.end());
  slot.map = shared;
  return shared;
}

Result<QueryEvent> EventDecoder::decodeCompressedQuery(std::span<const uint8_t> body) {
  auto query = decodeQuery(body, fde_->postHeaderLength(QUERY_COMPRESSED_EVENT));
  if (!query.isOk()) {
    return query.status().withContext(eventTypeName(QUERY_COMPRESSED_EVENT));
  }
  auto text = std::make_shared<std::vector<uint8_t>>();
  const auto* compressed = reinterpret_cast<const uint8_t*>(query->query.data());
  Status inflated = decompressMariadbField({compressed, query->query.size()}, *text);
  if (!inflated.isOk()) {
    return inflated.withContext(
        fmt::format("{}: query text", eventTypeName(QUERY_COMPRESSED_EVENT)));
  }
  query->query = std::string_view(reinterpret_cast<const char*>(text->data()), text->size());
  query->decompressed = std::move(text);
  return query;
}

Result<TableMapEvent> EventDecoder::decodeTableMapInForce(std::span<const uint8_t> body) {
  auto map = decodeTableMapCached(body);
  if (!map.isOk()) {
    return map.status();
  }
  const uint64_t id = (*map)->table_id;
  auto in_force = std::find_if(tables_.begin(), tables_.end(),
                               [&](const auto& table) { return table->table_id == id; });
  if (in_force != tables_.end()) {
    *in_force = *map;
  } else {
    tables_.push_back(*map);
  }
  return TableMapEvent{std::move(*map)};
}

Result<LoadDataEvent> EventDecoder::decodeExecuteLoadQuery(std::span<const uint8_t> body) {
  // A QUERY_EVENT with 13 more post-header bytes (file id, start and end of the file name in
  // the query, duplicate handling), which the post-header length covers.
  const uint8_t post_header = fde_->postHeaderLength(EXECUTE_LOAD_QUERY_EVENT);
  auto query = decodeQuery(body, post_header != 0 ? post_header : kExecuteLoadQueryPostHeader);
  if (!query.isOk()) {
    return query.status().withContext(eventTypeName(EXECUTE_LOAD_QUERY_EVENT));
  }
  return LoadDataEvent{true, query->database, query->query};
}

Result<DecodedEvent> EventDecoder::decodeBody(const EventHeader& header,
                                              std::span<const uint8_t> body) {
  const uint8_t type = header.type;
  auto wrap = [&](auto&& result) {
    return withHeader(header, std::forward<decltype(result)>(result));
  };
  // Events that arrive before the first FORMAT_DESCRIPTION of a replica stream.
  if (type == ROTATE_EVENT) {
    return wrap(decodeRotate(body));
  }
  if (type == HEARTBEAT_LOG_EVENT) {
    return wrap(decodeHeartbeat(body, header.log_pos, fde_ && fde_->isMariaDb()));
  }
  if (type == HEARTBEAT_LOG_EVENT_V2) {
    return wrap(decodeHeartbeatV2(body));
  }
  if (!fde_) {
    return Status::corruption(
        fmt::format("{} before any FORMAT_DESCRIPTION_EVENT", eventTypeName(type)));
  }
  RowsKind kind{};
  const uint8_t plain = mariadbUncompressedType(type);
  if (rowsEventKind(type, kind) || (plain != 0 && rowsEventKind(plain, kind))) {
    return wrap(decodeRows(type, body));
  }
  return decodeNonRowsEvent(header, body);
}

Result<DecodedEvent> EventDecoder::decodeNonRowsEvent(const EventHeader& header,
                                                      std::span<const uint8_t> body) {
  const uint8_t type = header.type;
  auto wrap = [&](auto&& result) {
    return withHeader(header, std::forward<decltype(result)>(result));
  };
  switch (type) {
    case QUERY_EVENT: return wrap(decodeQuery(body, fde_->postHeaderLength(QUERY_EVENT)));
    case QUERY_COMPRESSED_EVENT: return wrap(decodeCompressedQuery(body));
    case XID_EVENT: return wrap(decodeXid(body));
    case GTID_EVENT: {
      auto gtid = decodeMariadbGtid(body);
      if (gtid.isOk()) {
        gtid->server_id = header.server_id;  // the GTID's server part is the event's origin
      }
      return wrap(std::move(gtid));
    }
    case GTID_LOG_EVENT: return wrap(decodeMysqlGtid(body, /*anonymous=*/false));
    case ANONYMOUS_GTID_LOG_EVENT: return wrap(decodeMysqlGtid(body, /*anonymous=*/true));
    case GTID_TAGGED_LOG_EVENT: return wrap(decodeMysqlTaggedGtid(body));
    case PREVIOUS_GTIDS_LOG_EVENT: return wrap(decodePreviousGtids(body));
    case GTID_LIST_EVENT: return wrap(decodeMariadbGtidList(body));
    case BINLOG_CHECKPOINT_EVENT: return wrap(decodeBinlogCheckpoint(body));
    case ROWS_QUERY_LOG_EVENT: return wrap(decodeRowsQuery(body));
    case ANNOTATE_ROWS_EVENT: return wrap(decodeAnnotateRows(body));
    case XA_PREPARE_LOG_EVENT: return wrap(decodeXaPrepare(body));
    case TRANSACTION_PAYLOAD_EVENT: return wrap(decodeTransactionPayload(body));
    case INCIDENT_EVENT: return wrap(decodeIncident(body));
    case STOP_EVENT: return DecodedEvent{header, StopEvent{}};
    case START_ENCRYPTION_EVENT:
      return Status::unsupported(
          "START_ENCRYPTION_EVENT: the binlog is encrypted (encrypt_binlog=ON); decoding it needs "
          "the server's encryption keys, which mysql-monitor does not have");
    case TABLE_MAP_EVENT: return wrap(decodeTableMapInForce(body));
    case EXECUTE_LOAD_QUERY_EVENT: return wrap(decodeExecuteLoadQuery(body));
    case BEGIN_LOAD_QUERY_EVENT:
    case APPEND_BLOCK_EVENT:
    case DELETE_FILE_EVENT:
    case LOAD_EVENT:
    case CREATE_FILE_EVENT:
    case EXEC_LOAD_EVENT:
    case NEW_LOAD_EVENT: return DecodedEvent{header, LoadDataEvent{}};
    // Context a row consumer does not need: statement-based helpers and group replication.
    case INTVAR_EVENT:
    case RAND_EVENT:
    case USER_VAR_EVENT:
    case IGNORABLE_LOG_EVENT:
    case TRANSACTION_CONTEXT_EVENT:
    case VIEW_CHANGE_EVENT: return DecodedEvent{header, SkippedEvent{}};
    default: return decodeUnknown(header);
  }
}

}  // namespace mm::binlog
