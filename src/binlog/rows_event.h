// WRITE/UPDATE/DELETE_ROWS events, v1 (23-25, MariaDB and old MySQL) and v2 (30-32): the header,
// the columns-present bitmaps, and a reader that walks the row images one by one.
// Layout: docs/binlog-format.md §2.4 and §3.
//
// Decoding is split in two so the expensive part can run on another thread: decodeRowsEvent() only
// reads the header and bitmaps (views into the event bytes); RowImageReader then splits the rows
// into per-column byte runs without decoding values (binlog/column_value.h decodes those).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "binlog/column_value.h"
#include "binlog/table_map.h"
#include "common/byte_reader.h"
#include "common/status.h"

namespace mm::binlog {

enum class RowsKind : uint8_t { Write, Update, Delete };

// Rows-event flag: last rows event of its statement.
inline constexpr uint16_t STMT_END_F = 0x0001;

// A bitmap over a table's columns, LSB-first, as logged; `width` bits are meaningful (MariaDB sets
// the padding bits, so never count past width).
class ColumnBitmap {
 public:
  ColumnBitmap() = default;
  ColumnBitmap(std::span<const uint8_t> bytes, size_t width) : bytes_(bytes), width_(width) {}
  bool test(size_t i) const { return (bytes_[i / 8] >> (i % 8)) & 1; }
  size_t width() const { return width_; }
  size_t count() const;

 private:
  std::span<const uint8_t> bytes_;
  size_t width_ = 0;
};

struct RowsEventHeader {
  RowsKind kind = RowsKind::Write;
  // PARTIAL_UPDATE_ROWS_EVENT (39): each after image starts with value_options (and partial_bits).
  bool partial_update = false;
  uint64_t table_id = 0;
  uint16_t flags = 0;
  size_t width = 0;               // the table's column count as logged
  ColumnBitmap present;           // columns in the (before) image
  ColumnBitmap present_after;     // UPDATE only: columns in the after image
  std::span<const uint8_t> rows;  // the row images, to the end of the event
};

// Is `type` one of the rows events we decode? Sets `kind`.
bool rowsEventKind(uint8_t type, RowsKind& kind);

// Decodes the header of a rows event body (checksum stripped). post_header_len comes from the
// FORMAT_DESCRIPTION (6 = 4-byte table id; 10 = v2 with extra data).
Result<RowsEventHeader> decodeRowsEventHeader(uint8_t type, std::span<const uint8_t> body,
                                              uint8_t post_header_len);

// One column of one row image.
struct Cell {
  enum class State : uint8_t { Absent, Null, Value };
  State state = State::Absent;
  std::span<const uint8_t> bytes;  // the encoded value, when state == Value
  // PARTIAL_UPDATE_ROWS after image: `bytes` is a JSON diff vector (binlog/json_diff.h) to apply to
  // `json_before`, the before image's document (empty when that image did not log it).
  bool json_diff = false;
  bool json_before_logged = false;
  std::span<const uint8_t> json_before{};
};

// The full after document of a JSON diff cell (Cell::json_diff). Errors: Unsupported when the
// before document is not logged (binlog_row_image=MINIMAL or NOBLOB), naming the fix.
Status decodeJsonDiffCell(const TableMapColumn& column, const Cell& cell, CellValue& out);

// Decodes a Value cell of `column`: decodeValue(), or for a JSON diff decodeJsonDiffCell(). Inline:
// it runs for every value.
inline Status decodeCell(const TableMapColumn& column, const Cell& cell, CellValue& out) {
  return cell.json_diff ? decodeJsonDiffCell(column, cell, out)
                        : decodeValue(column, cell.bytes, out);
}

// Walks the rows of one event: for WRITE and DELETE one image per row, for UPDATE a before and an
// after image. `header` and `table` must outlive the reader. Reusing the vector in next() means no
// allocation per row.
class RowImageReader {
 public:
  RowImageReader(const RowsEventHeader& header, const TableMap& table);

  bool done() const { return rows_.empty() || !rows_.ok(); }
  // Reads the next image into `cells` (resized to the column count). For UPDATE call it twice per
  // row: before image, then after image. Errors name the column and type.
  Status next(std::vector<Cell>& cells);

 private:
  const RowsEventHeader& header_;
  const TableMap& table_;
  // Reads value_options and partial_bits at the start of a PARTIAL_UPDATE_ROWS after image.
  Status readValueOptions();
  // Reads the bytes of column `i`'s value by its type, when the table map has no layout for it or
  // the value does not fit that layout (readValueBytes() names the problem).
  Status readSizedValue(size_t i, Cell& cell);
  // PARTIAL_UPDATE_ROWS: keeps a before image, or marks an after image's JSON diffs against it.
  void keepForJsonDiffs(bool after, std::vector<Cell>& cells);
  Status widthMismatch() const;
  Status imageError(std::string_view what) const;  // "row image of db.table: what"
  // Marks the after image's JSON cells whose partial bit is set, pointing them at the before image.
  void markJsonDiffs(std::vector<Cell>& cells) const;

  ByteReader rows_;
  // Columns present in the before (or only) image and in the after image: counted once per event.
  size_t present_count_ = 0;
  size_t present_after_count_ = 0;
  bool next_is_after_ = false;
  std::span<const uint8_t> partial_bits_;  // one bit per JSON column of the table, empty = none
  std::vector<Cell> before_;               // PARTIAL_UPDATE_ROWS: the last before image
};

}  // namespace mm::binlog
