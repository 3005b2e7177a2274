#include "binlog/event_decoder.h"

#include <fmt/format.h>

#include "binlog/event_type.h"

namespace mm::binlog {

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
    return DecodedEvent{*header, std::move(*fde)};
  }
  const bool has_checksum = fde_ ? fde_->checksum == ChecksumAlgorithm::Crc32
                                 : options_.checksum_before_format_description;
  std::span<const uint8_t> body = event.subspan(LOG_EVENT_HEADER_LEN);
  if (has_checksum) {
    if (body.size() < BINLOG_CHECKSUM_LEN) {
      return Status::corruption(fmt::format("{}: too short for its checksum", eventTypeName(header->type)));
    }
    if (options_.verify_checksums && !checksumMatches(event)) {
      return Status::corruption(fmt::format("{}: CRC32 mismatch", eventTypeName(header->type)));
    }
    body = body.first(body.size() - BINLOG_CHECKSUM_LEN);
  }
  return decodeBody(*header, body);
}

Result<DecodedEvent> EventDecoder::decodeBody(const EventHeader& header,
                                              std::span<const uint8_t> body) {
  DecodedEvent out{header, SkippedEvent{}};
  const uint8_t type = header.type;
  auto wrap = [&](auto result) -> Result<DecodedEvent> {
    if (!result.isOk()) {
      return result.status();
    }
    out.body = std::move(*result);
    return out;
  };
  if (type == ROTATE_EVENT) {
    return wrap(decodeRotate(body));
  }
  if (type == HEARTBEAT_LOG_EVENT) {
    return wrap(decodeHeartbeat(body));
  }
  if (!fde_) {
    return Status::corruption(
        fmt::format("{} before any FORMAT_DESCRIPTION_EVENT", eventTypeName(type)));
  }
  RowsKind kind{};
  if (rowsEventKind(type, kind)) {
    auto rows = decodeRowsEventHeader(type, body, fde_->postHeaderLength(type));
    if (!rows.isOk()) {
      return rows.status();
    }
    auto it = tables_.find(rows->table_id);
    if (it == tables_.end()) {
      return Status::corruption(fmt::format("{} for table id {} without a preceding TABLE_MAP_EVENT",
                                            eventTypeName(type), rows->table_id));
    }
    RowsEvent rows_event{std::move(*rows), it->second};
    if ((rows_event.header.flags & STMT_END_F) != 0) {
      // The server sends the TABLE_MAPs again for every statement; dropping them here makes a rows
      // event without its map fail fast instead of using a stale one (table ids are reused).
      tables_.clear();
    }
    out.body = std::move(rows_event);
    return out;
  }
  switch (type) {
    case QUERY_EVENT: return wrap(decodeQuery(body, fde_->postHeaderLength(QUERY_EVENT)));
    case XID_EVENT: return wrap(decodeXid(body));
    case GTID_EVENT: return wrap(decodeMariadbGtid(body));
    case INCIDENT_EVENT: return wrap(decodeIncident(body));
    case STOP_EVENT: out.body = StopEvent{}; return out;
    case TABLE_MAP_EVENT: {
      auto map = decodeTableMap(body, fde_->postHeaderLength(TABLE_MAP_EVENT));
      if (!map.isOk()) {
        return map.status();
      }
      auto shared = std::make_shared<const TableMap>(std::move(*map));
      tables_[shared->table_id] = shared;
      out.body = TableMapEvent{std::move(shared)};
      return out;
    }
    // Context a row consumer does not need: statement-based helpers, GTID bookkeeping, MariaDB
    // annotations and checkpoints.
    case INTVAR_EVENT:
    case RAND_EVENT:
    case USER_VAR_EVENT:
    case IGNORABLE_LOG_EVENT:
    case ROWS_QUERY_LOG_EVENT:
    case GTID_LOG_EVENT:
    case ANONYMOUS_GTID_LOG_EVENT:
    case PREVIOUS_GTIDS_LOG_EVENT:
    case TRANSACTION_CONTEXT_EVENT:
    case VIEW_CHANGE_EVENT:
    case ANNOTATE_ROWS_EVENT:
    case BINLOG_CHECKPOINT_EVENT:
    case GTID_LIST_EVENT:
      return out;
    default:
      if ((header.flags & LOG_EVENT_IGNORABLE_F) != 0) {
        return out;
      }
      return Status::unsupported(fmt::format(
          "{} (type {}) is not supported and not flagged ignorable; stopping rather than losing "
          "the changes it may carry",
          eventTypeName(type), type));
  }
}

}  // namespace mm::binlog
