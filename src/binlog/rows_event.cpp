#include "binlog/rows_event.h"

#include <algorithm>
#include <bit>

#include <fmt/format.h>

#include "binlog/column_type.h"
#include "binlog/column_value.h"
#include "binlog/event_type.h"
#include "binlog/json_diff.h"

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
    case UPDATE_ROWS_EVENT:
    case PARTIAL_UPDATE_ROWS_EVENT: kind = RowsKind::Update; return true;
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
  h.table_id = readTableId(r, post_header_len);
  h.flags = r.u16le();
  h.partial_update = type == PARTIAL_UPDATE_ROWS_EVENT;
  const bool v2 = type == WRITE_ROWS_EVENT || type == UPDATE_ROWS_EVENT ||
                  type == DELETE_ROWS_EVENT || h.partial_update;
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
    : header_(header), table_(table), rows_(header.rows), present_count_(header.present.count()),
      present_after_count_(header.kind == RowsKind::Update ? header.present_after.count() : 0) {}

Status RowImageReader::readValueOptions() {
  // §3.4: value_options is 0 or 1 (PARTIAL_JSON); with 1, one bit per JSON column of the table.
  partial_bits_ = {};
  const uint64_t value_options = rows_.packedInt();
  if (!rows_.ok() || value_options > 1) {
    return Status::corruption(
        fmt::format("PARTIAL_UPDATE_ROWS_EVENT for {}.{}: value_options {}", table_.database,
                    table_.table, rows_.ok() ? fmt::to_string(value_options) : "truncated"));
  }
  if (value_options == 1) {
    const size_t json_columns = static_cast<size_t>(
        std::count_if(table_.columns.begin(), table_.columns.end(),
                      [](const TableMapColumn& c) { return c.real_type == MYSQL_TYPE_JSON; }));
    partial_bits_ = rows_.bytes((json_columns + 7) / 8);
    if (!rows_.ok()) {
      return Status::corruption(
          fmt::format("PARTIAL_UPDATE_ROWS_EVENT for {}.{}: partial_bits truncated",
                      table_.database, table_.table));
    }
  }
  return Status::ok();
}

// The errors of next(), out of its loop: it runs for every row image.
Status RowImageReader::widthMismatch() const {
  return Status::corruption(fmt::format("rows event for {}.{} has {} columns, its table map {}",
                                        table_.database, table_.table, header_.width,
                                        table_.columns.size()));
}

Status RowImageReader::imageError(std::string_view what) const {
  return Status::corruption(
      fmt::format("row image of {}.{}: {}", table_.database, table_.table, what));
}

Status RowImageReader::next(std::vector<Cell>& cells) {
  const bool after = header_.kind == RowsKind::Update && next_is_after_;
  const ColumnBitmap& present = after ? header_.present_after : header_.present;
  if (header_.kind == RowsKind::Update) {
    next_is_after_ = !next_is_after_;
  }
  const size_t columns = table_.columns.size();
  if (header_.width != columns) {
    return widthMismatch();
  }
  if (header_.partial_update && after) {
    MM_RETURN_IF_ERROR(readValueOptions());
  }
  cells.resize(columns);  // each cell is set whole below: one pass over them, not two
  // Null bits cover the present columns only (docs/binlog-format.md §3.1).
  const size_t present_count = after ? present_after_count_ : present_count_;
  if (present_count == 0) {
    // Such an image takes no bytes, so the reader would never reach the end of the rows (found by
    // tests/fuzz/event_decoder_fuzz.cpp: a rows event with an empty bitmap looped forever).
    return imageError(
        fmt::format("no column present but {} bytes of rows left", rows_.remaining()));
  }
  auto null_bits = rows_.bytes((present_count + 7) / 8);
  if (!rows_.ok()) {
    return imageError("null bitmap truncated");
  }
  size_t k = 0;
  for (size_t i = 0; i < columns; ++i) {
    cells[i] = Cell{};
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
    cells[i].state = Cell::State::Value;
    // The layout decodeTableMap worked out; readValueBytes when there is none (both 0) or the value
    // does not fit (it names the problem).
    if ((column.value_width != 0 || column.value_prefix != 0) &&
        readLaidOutValue(rows_, ValueLayout{column.value_width, column.value_prefix},
                         cells[i].bytes)) {
      continue;
    }
    MM_RETURN_IF_ERROR(readSizedValue(i, cells[i]));
  }
  if (header_.partial_update) {
    keepForJsonDiffs(after, cells);
  }
  return Status::ok();
}

void RowImageReader::keepForJsonDiffs(bool after, std::vector<Cell>& cells) {
  if (!after) {
    before_ = cells;
  } else if (!partial_bits_.empty()) {
    markJsonDiffs(cells);
  }
}

Status RowImageReader::readSizedValue(size_t i, Cell& cell) {
  const TableMapColumn& column = table_.columns[i];
  Status sized = readValueBytes(rows_, column, cell.bytes);
  if (!sized.isOk()) {
    return sized.withContext(fmt::format("row image of {}.{}, column {} ({})", table_.database,
                                         table_.table, i, columnTypeName(column.real_type)));
  }
  return Status::ok();
}

void RowImageReader::markJsonDiffs(std::vector<Cell>& cells) const {
  size_t json_index = 0;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (table_.columns[i].real_type != MYSQL_TYPE_JSON) {
      continue;
    }
    const bool partial = (partial_bits_[json_index / 8] >> (json_index % 8)) & 1;
    ++json_index;
    if (!partial || cells[i].state != Cell::State::Value) {
      continue;
    }
    cells[i].json_diff = true;
    if (i < before_.size() && before_[i].state == Cell::State::Value) {
      cells[i].json_before_logged = true;
      cells[i].json_before = before_[i].bytes;
    }
  }
}

Status decodeJsonDiffCell(const TableMapColumn& column, const Cell& cell, CellValue& out) {
  if (!cell.json_before_logged) {
    return Status::unsupported(
        "PARTIAL_UPDATE_ROWS_EVENT holds a JSON diff but the before image does not log the "
        "document "
        "to apply it to (binlog_row_image=MINIMAL or NOBLOB); set binlog_row_value_options='' (or "
        "binlog_row_image=FULL) on the source so updates log whole JSON documents");
  }
  // The document has its length prefix (metadata bytes); the diff vector's 4-byte length is the
  // value's own prefix (JSON's metadata is 4).
  const size_t prefix = column.metadata;
  if (cell.json_before.size() < prefix) {
    return Status::corruption("JSON value shorter than its length prefix");
  }
  out.kind = CellValue::Kind::Json;
  return applyJsonDiffs(cell.json_before.subspan(prefix), cell.bytes, out.json);
}

}  // namespace mm::binlog
