#include "binlog/rows_event.h"

#include <bit>

#include <fmt/format.h>

#include "binlog/column_type.h"
#include "binlog/column_value.h"
#include "binlog/event_type.h"

namespace mm::binlog {
namespace {
constexpr uint64_t kMaxColumns = 4096;
}

size_t ColumnBitmap::count() const {
  size_t n = 0;
  for (size_t i = 0; i < width_ / 8; ++i) {
    n += std::popcount(bytes_[i]);
  }
  if (width_ % 8 != 0) {
    n += std::popcount(static_cast<uint8_t>(bytes_[width_ / 8] & ((1u << (width_ % 8)) - 1)));
  }
  return n;
}

bool rowsEventKind(uint8_t type, RowsKind& kind) {
  switch (type) {
    case WRITE_ROWS_EVENT_V1:
    case WRITE_ROWS_EVENT: kind = RowsKind::Write; return true;
    case UPDATE_ROWS_EVENT_V1:
    case UPDATE_ROWS_EVENT: kind = RowsKind::Update; return true;
    case DELETE_ROWS_EVENT_V1:
    case DELETE_ROWS_EVENT: kind = RowsKind::Delete; return true;
    default: return false;
  }
}

Result<RowsEventHeader> decodeRowsEventHeader(uint8_t type, std::span<const uint8_t> body,
                                              uint8_t post_header_len) {
  RowsEventHeader h;
  if (!rowsEventKind(type, h.kind)) {
    return Status::internal(fmt::format("{} is not a rows event", eventTypeName(type)));
  }
  auto fail = [&](std::string_view what) {
    return Status::corruption(
        fmt::format("{} for table id {}: {}", eventTypeName(type), h.table_id, what));
  };
  ByteReader r(body);
  h.table_id = post_header_len == 6 ? r.u32le() : r.u48le();
  h.flags = r.u16le();
  const bool v2 = type == WRITE_ROWS_EVENT || type == UPDATE_ROWS_EVENT || type == DELETE_ROWS_EVENT;
  if (v2) {
    // extra_data_len counts its own two bytes; the chunks (NDB info, partition ids) do not
    // concern a consumer of row values.
    const uint16_t extra_len = r.u16le();
    if (r.ok() && extra_len < 2) {
      return fail(fmt::format("extra data length {} is below 2", extra_len));
    }
    r.skip(extra_len - 2u);
  }
  const uint64_t width = r.packedInt();
  if (!r.ok()) {
    return fail("truncated header");
  }
  if (width == 0 || width > kMaxColumns) {
    return fail(fmt::format("invalid column count {}", width));
  }
  h.width = width;
  const size_t bitmap_len = (width + 7) / 8;
  h.present = ColumnBitmap(r.bytes(bitmap_len), width);
  if (h.kind == RowsKind::Update) {
    h.present_after = ColumnBitmap(r.bytes(bitmap_len), width);
  }
  if (!r.ok()) {
    return fail("columns-present bitmap truncated");
  }
  h.rows = r.rest();
  return h;
}

RowImageReader::RowImageReader(const RowsEventHeader& header, const TableMap& table)
    : header_(header), table_(table), rows_(header.rows) {}

Status RowImageReader::next(std::vector<Cell>& cells) {
  const ColumnBitmap& present =
      (header_.kind == RowsKind::Update && next_is_after_) ? header_.present_after : header_.present;
  if (header_.kind == RowsKind::Update) {
    next_is_after_ = !next_is_after_;
  }
  const size_t columns = table_.columns.size();
  if (header_.width != columns) {
    return Status::corruption(fmt::format("rows event for {}.{} has {} columns, its table map {}",
                                          table_.database, table_.table, header_.width, columns));
  }
  cells.assign(columns, Cell{});
  // Null bits cover the present columns only (binlog-reference §3.1).
  const size_t present_count = present.count();
  auto null_bits = rows_.bytes((present_count + 7) / 8);
  if (!rows_.ok()) {
    return Status::corruption(fmt::format("row image of {}.{}: null bitmap truncated",
                                          table_.database, table_.table));
  }
  size_t k = 0;
  for (size_t i = 0; i < columns; ++i) {
    if (!present.test(i)) {
      continue;
    }
    const bool is_null = (null_bits[k / 8] >> (k % 8)) & 1;
    ++k;
    if (is_null) {
      cells[i].state = Cell::State::Null;
      continue;
    }
    const TableMapColumn& column = table_.columns[i];
    auto value = readValueBytes(rows_, column);
    if (!value.isOk()) {
      return value.status().withContext(fmt::format("row image of {}.{}, column {} ({})",
                                                    table_.database, table_.table, i,
                                                    columnTypeName(column.real_type)));
    }
    cells[i].state = Cell::State::Value;
    cells[i].bytes = *value;
  }
  return Status::ok();
}

}  // namespace mm::binlog
