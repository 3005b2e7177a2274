// Byte-literal tests of rows-event headers and row images. Layout: docs/binlog-format.md
// §2.4 (header, v1/v2, extra data) and §3.1 (bitmaps, null bits over present columns only).
#include "binlog/rows_event.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "binlog/column_type.h"
#include "binlog/event_type.h"
#include "support/binlog_bytes.h"
#include "support/cell_text.h"

namespace mm::binlog {
namespace {

using test::appendBytes;
using test::appendLe;
using test::appendText;
using test::Bytes;

struct RowsSpec {
  uint8_t type = WRITE_ROWS_EVENT;
  uint64_t table_id = 108;
  uint16_t flags = STMT_END_F;
  Bytes extra;  // v2 extra-data chunks (after the 2-byte length)
  uint8_t width = 3;
  Bytes present = {0x07};
  Bytes present_after = {0x07};  // UPDATE only
  Bytes rows;
};

bool isV2(uint8_t type) {
  return (type >= WRITE_ROWS_EVENT && type <= DELETE_ROWS_EVENT) ||
         type == PARTIAL_UPDATE_ROWS_EVENT;
}
bool isUpdate(uint8_t type) {
  return type == UPDATE_ROWS_EVENT || type == UPDATE_ROWS_EVENT_V1 ||
         type == PARTIAL_UPDATE_ROWS_EVENT;
}

Bytes rowsBody(const RowsSpec& s, size_t table_id_width = 6) {
  Bytes body;
  appendLe(body, s.table_id, table_id_width);
  appendLe(body, s.flags, 2);
  if (isV2(s.type)) {
    appendLe(body, s.extra.size() + 2, 2);
    appendBytes(body, s.extra);
  }
  body.push_back(s.width);
  appendBytes(body, s.present);
  if (isUpdate(s.type)) {
    appendBytes(body, s.present_after);
  }
  appendBytes(body, s.rows);
  return body;
}

uint8_t postHeaderFor(uint8_t type) { return isV2(type) ? 10 : 8; }

Result<RowsEventHeader> decodeHeader(const RowsSpec& s, const Bytes& body) {
  return decodeRowsEventHeader(s.type, body, postHeaderFor(s.type));
}

TableMapColumn column(uint8_t type, uint16_t metadata = 0) {
  TableMapColumn c;
  c.type = type;
  c.real_type = type;
  c.metadata = metadata;
  c.nullable = true;
  return c;
}

// CREATE TABLE shop.t (id INT, name VARCHAR(10), n INT)
TableMap threeColumnTable() {
  TableMap t;
  t.table_id = 108;
  t.database = "shop";
  t.table = "t";
  t.columns = {column(MYSQL_TYPE_LONG), column(MYSQL_TYPE_VARCHAR, 10), column(MYSQL_TYPE_LONG)};
  return t;
}

// INSERT INTO shop.t VALUES (1, 'ab', NULL), (2, 'c', 3) with binlog_row_image=FULL.
RowsSpec twoInsertedRows() {
  RowsSpec s;
  s.rows = {0x04, 0x01, 0x00, 0x00, 0x00, 0x02, 'a', 'b',             // null bits 100: n is NULL
            0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 'c', 0x03, 0, 0, 0};  // no NULLs
  return s;
}

// Decodes `s` and reads its first row image against `table`: the status, and whether the reader
// then reports done (it must, after an error).
struct FirstImage {
  Status status;
  bool done = false;
};
FirstImage readFirstImage(const RowsSpec& s, const TableMap& table) {
  const Bytes body = rowsBody(s);
  auto h = decodeHeader(s, body);
  if (!h.isOk()) {
    return {h.status(), true};
  }
  RowImageReader reader(*h, table);
  std::vector<Cell> cells;
  Status st = reader.next(cells);
  return {st, reader.done()};
}

TEST(ColumnBitmap, CountsOnlyTheFirstWidthBits) {
  const Bytes all = {0xFF, 0xFF};
  EXPECT_EQ(ColumnBitmap(all, 5).count(), 5u);  // MariaDB sets the padding bits
  EXPECT_EQ(ColumnBitmap(all, 9).count(), 9u);
  EXPECT_EQ(ColumnBitmap(all, 16).count(), 16u);
  const Bytes some = {0x05};
  EXPECT_EQ(ColumnBitmap(some, 3).count(), 2u);
  EXPECT_TRUE(ColumnBitmap(some, 3).test(2));
  EXPECT_FALSE(ColumnBitmap(some, 3).test(1));
}

TEST(RowsEventDecoder, DecodesV2Header) {
  const RowsSpec s = twoInsertedRows();
  const Bytes body = rowsBody(s);
  auto h = decodeHeader(s, body);
  ASSERT_TRUE(h.isOk()) << h.status().toString();
  EXPECT_EQ(h->kind, RowsKind::Write);
  EXPECT_EQ(h->table_id, 108u);
  EXPECT_EQ(h->flags, STMT_END_F);
  EXPECT_EQ(h->width, 3u);
  EXPECT_EQ(h->present.count(), 3u);
  EXPECT_EQ(h->rows.size(), s.rows.size());
}

TEST(RowsEventDecoder, SkipsV2ExtraData) {
  // A partitioned table: extra-data chunk PART (type 1) with partition id 3.
  RowsSpec s = twoInsertedRows();
  s.extra = {0x01, 0x03, 0x00};
  const Bytes body = rowsBody(s);
  auto h = decodeHeader(s, body);
  ASSERT_TRUE(h.isOk()) << h.status().toString();
  EXPECT_EQ(h->width, 3u);
  ASSERT_EQ(h->rows.size(), s.rows.size());
  EXPECT_EQ(h->rows[0], 0x04);
}

TEST(RowsEventDecoder, V1HasNoExtraData) {
  RowsSpec s = twoInsertedRows();
  s.type = DELETE_ROWS_EVENT_V1;
  const Bytes body = rowsBody(s);
  auto h = decodeHeader(s, body);
  ASSERT_TRUE(h.isOk()) << h.status().toString();
  EXPECT_EQ(h->kind, RowsKind::Delete);
  EXPECT_EQ(h->rows.size(), s.rows.size());
}

TEST(RowsEventDecoder, PostHeaderOfSixMeansFourByteTableId) {
  RowsSpec s = twoInsertedRows();
  s.type = WRITE_ROWS_EVENT_V1;
  s.table_id = 0xDEADBEEF;
  auto h = decodeRowsEventHeader(s.type, rowsBody(s, 4), 6);
  ASSERT_TRUE(h.isOk()) << h.status().toString();
  EXPECT_EQ(h->table_id, 0xDEADBEEFu);
  EXPECT_EQ(h->width, 3u);
}

TEST(RowsEventDecoder, UpdateHasABitmapPerImage) {
  RowsSpec s;
  s.type = UPDATE_ROWS_EVENT;
  s.present = {0x01};
  s.present_after = {0x06};
  const Bytes body = rowsBody(s);
  auto h = decodeHeader(s, body);
  ASSERT_TRUE(h.isOk()) << h.status().toString();
  EXPECT_EQ(h->kind, RowsKind::Update);
  EXPECT_EQ(h->present.count(), 1u);
  EXPECT_EQ(h->present_after.count(), 2u);
  EXPECT_TRUE(h->rows.empty());
}

TEST(RowsEventDecoder, NotARowsEventIsInternalError) {
  RowsSpec s = twoInsertedRows();
  auto h = decodeRowsEventHeader(QUERY_EVENT, rowsBody(s), 10);
  ASSERT_FALSE(h.isOk());
  EXPECT_EQ(h.status().code(), StatusCode::Internal);
}

TEST(RowsEventDecoder, ExtraDataLengthBelowTwoIsCorruption) {
  RowsSpec s = twoInsertedRows();
  Bytes body = rowsBody(s);
  body[8] = 1;  // extra_data_len counts its own two bytes
  auto h = decodeHeader(s, body);
  ASSERT_FALSE(h.isOk());
  EXPECT_NE(h.status().message().find(
                "WRITE_ROWS_EVENT for table id 108: extra data length 1 is below 2"),
            std::string::npos)
      << h.status().message();
}

TEST(RowsEventDecoder, ZeroOrHugeColumnCountIsCorruption) {
  RowsSpec s = twoInsertedRows();
  s.width = 0;
  auto zero = decodeHeader(s, rowsBody(s));
  ASSERT_FALSE(zero.isOk());
  EXPECT_NE(zero.status().message().find("invalid column count 0"), std::string::npos);
  // width 4097 as a packed integer FC 01 10.
  Bytes body;
  appendLe(body, 108, 6);
  appendLe(body, 0, 2);
  appendLe(body, 2, 2);
  appendBytes(body, {0xFC, 0x01, 0x10});
  appendBytes(body, Bytes(513, 0xFF));
  auto huge = decodeRowsEventHeader(WRITE_ROWS_EVENT, body, 10);
  ASSERT_FALSE(huge.isOk());
  EXPECT_NE(huge.status().message().find("invalid column count 4097"), std::string::npos);
}

TEST(RowsEventDecoder, TruncatedBitmapIsCorruption) {
  RowsSpec s;
  s.type = UPDATE_ROWS_EVENT;
  s.width = 9;
  s.present = {0xFF, 0x01};
  s.present_after = {0xFF};  // one byte short
  auto h = decodeHeader(s, rowsBody(s));
  ASSERT_FALSE(h.isOk());
  EXPECT_NE(h.status().message().find("columns-present bitmap truncated"), std::string::npos);
}

TEST(RowsEventDecoder, EveryTruncatedHeaderFails) {
  for (uint8_t type : {WRITE_ROWS_EVENT, UPDATE_ROWS_EVENT_V1}) {
    RowsSpec s = twoInsertedRows();
    s.type = type;
    s.rows.clear();
    test::expectEveryPrefixFails(rowsBody(s), [&](std::span<const uint8_t> b) {
      return decodeRowsEventHeader(type, b, postHeaderFor(type));
    });
  }
}

// ---- row images ----

TEST(RowImageReader, ReadsValuesNullsInOrder) {
  const RowsSpec s = twoInsertedRows();
  const Bytes body = rowsBody(s);
  auto h = decodeHeader(s, body);
  ASSERT_TRUE(h.isOk());
  const TableMap table = threeColumnTable();
  RowImageReader reader(*h, table);
  std::vector<Cell> cells;
  ASSERT_FALSE(reader.done());
  ASSERT_TRUE(reader.next(cells).isOk());
  ASSERT_EQ(cells.size(), 3u);
  EXPECT_EQ(cells[0].state, Cell::State::Value);
  EXPECT_EQ(cells[0].bytes.size(), 4u);
  EXPECT_EQ(cells[1].state, Cell::State::Value);
  EXPECT_EQ(cells[1].bytes.size(), 3u);  // length prefix included
  EXPECT_EQ(cells[2].state, Cell::State::Null);
  ASSERT_TRUE(reader.next(cells).isOk());
  EXPECT_EQ(cells[2].state, Cell::State::Value);
  EXPECT_EQ(cells[2].bytes[0], 0x03);
  EXPECT_TRUE(reader.done());
}

// binlog_row_image=MINIMAL, UPDATE shop.t SET name='x' WHERE id=5 on a 9-column table with PK id:
// the before image holds id only, the after image name only. Each null bitmap is 1 byte (1 present
// column), not 2 (9 columns): counting all columns would misplace every value (maxwell #198).
TEST(RowImageReader, NullBitmapCoversPresentColumnsOnly) {
  TableMap table = threeColumnTable();
  for (int i = 0; i < 6; ++i) {
    table.columns.push_back(column(MYSQL_TYPE_LONG));
  }
  RowsSpec s;
  s.type = UPDATE_ROWS_EVENT;
  s.width = 9;
  s.present = {0x01, 0x00};
  s.present_after = {0x02, 0x00};
  s.rows = {0x00, 0x05, 0x00, 0x00, 0x00,  // before: id = 5
            0x00, 0x01, 'x'};              // after: name = 'x'
  const Bytes body = rowsBody(s);
  auto h = decodeHeader(s, body);
  ASSERT_TRUE(h.isOk()) << h.status().toString();
  RowImageReader reader(*h, table);
  std::vector<Cell> before, after;
  ASSERT_TRUE(reader.next(before).isOk());
  ASSERT_TRUE(reader.next(after).isOk());
  EXPECT_TRUE(reader.done());
  EXPECT_EQ(before[0].state, Cell::State::Value);
  EXPECT_EQ(before[0].bytes[0], 0x05);
  for (size_t i = 1; i < 9; ++i) {
    EXPECT_EQ(before[i].state, Cell::State::Absent) << i;
  }
  EXPECT_EQ(after[0].state, Cell::State::Absent);
  ASSERT_EQ(after[1].state, Cell::State::Value);
  EXPECT_EQ(after[1].bytes[1], 'x');
  EXPECT_EQ(after[2].state, Cell::State::Absent);  // absent, not NULL
}

// MariaDB sets the padding bits of both bitmaps (fixture mariadb-bin.000001, 5 columns: present FF,
// null bits E0): INSERT INTO t VALUES (1, 2, 3, 4, 5) has no NULL.
TEST(RowImageReader, IgnoresMariadbPaddingBitsInBitmaps) {
  TableMap table = threeColumnTable();
  table.columns = std::vector<TableMapColumn>(5, column(MYSQL_TYPE_TINY));
  RowsSpec s;
  s.type = WRITE_ROWS_EVENT_V1;
  s.width = 5;
  s.present = {0xFF};
  s.rows = {0xE0, 1, 2, 3, 4, 5};
  const Bytes body = rowsBody(s);
  auto h = decodeHeader(s, body);
  ASSERT_TRUE(h.isOk()) << h.status().toString();
  EXPECT_EQ(h->present.count(), 5u);
  RowImageReader reader(*h, table);
  std::vector<Cell> cells;
  ASSERT_TRUE(reader.next(cells).isOk());
  for (size_t i = 0; i < 5; ++i) {
    ASSERT_EQ(cells[i].state, Cell::State::Value) << i;
    EXPECT_EQ(cells[i].bytes[0], i + 1);
  }
  EXPECT_TRUE(reader.done());
}

TEST(RowImageReader, WidthDifferentFromTableMapIsCorruption) {
  TableMap table = threeColumnTable();
  table.columns.push_back(column(MYSQL_TYPE_LONG));
  const Status st = readFirstImage(twoInsertedRows(), table).status;
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("rows event for shop.t has 3 columns, its table map 4"),
            std::string::npos)
      << st.message();
}

TEST(RowImageReader, TruncatedNullBitmapIsCorruption) {
  TableMap table = threeColumnTable();
  for (int i = 0; i < 6; ++i) {
    table.columns.push_back(column(MYSQL_TYPE_LONG));
  }
  RowsSpec s;
  s.width = 9;
  s.present = {0xFF, 0x01};
  s.rows = {0x00};  // 9 present columns need 2 null-bitmap bytes
  const FirstImage first = readFirstImage(s, table);
  ASSERT_FALSE(first.status.isOk());
  EXPECT_EQ(first.status.code(), StatusCode::Corruption);
  EXPECT_NE(first.status.message().find("row image of shop.t: null bitmap truncated"),
            std::string::npos)
      << first.status.message();
  EXPECT_TRUE(first.done);
}

TEST(RowImageReader, TruncatedValueNamesColumnAndType) {
  RowsSpec s = twoInsertedRows();
  s.rows = {0x04, 0x01, 0x00, 0x00, 0x00, 0x05, 'a', 'b'};  // name claims 5 bytes, 2 follow
  const FirstImage first = readFirstImage(s, threeColumnTable());
  ASSERT_FALSE(first.status.isOk());
  EXPECT_EQ(first.status.code(), StatusCode::Corruption);
  EXPECT_NE(first.status.message().find(
                "row image of shop.t, column 1 (VARCHAR): value length 5 exceeds the 2 bytes left"),
            std::string::npos)
      << first.status.message();
  EXPECT_TRUE(first.done);
}

// threeColumnTable() with the value layouts decodeTableMap works out (a hand-built map has none).
TableMap withValueLayouts(TableMap table) {
  for (TableMapColumn& c : table.columns) {
    ValueLayout layout;
    EXPECT_TRUE(valueLayout(c, layout).isOk());
    c.value_width = layout.fixed;
    c.value_prefix = layout.prefix;
  }
  return table;
}

// Rows split by the TABLE_MAP's layouts give the same cells as sizing each value, and a value that
// does not fit still gets the error that names it.
TEST(RowImageReader, ValueLayoutsFromTheTableMapSplitRowsTheSameWay) {
  const RowsSpec s = twoInsertedRows();
  const Bytes body = rowsBody(s);
  auto h = decodeHeader(s, body);
  ASSERT_TRUE(h.isOk());
  const TableMap plain = threeColumnTable();
  const TableMap laid_out = withValueLayouts(plain);
  ASSERT_EQ(laid_out.columns[0].value_width, 4);
  ASSERT_EQ(laid_out.columns[1].value_prefix, 1);
  RowImageReader a(*h, plain);
  RowImageReader b(*h, laid_out);
  std::vector<Cell> cells_a;
  std::vector<Cell> cells_b;
  while (!a.done()) {
    ASSERT_TRUE(a.next(cells_a).isOk());
    ASSERT_TRUE(b.next(cells_b).isOk());
    for (size_t i = 0; i < cells_a.size(); ++i) {
      EXPECT_EQ(cells_a[i].state, cells_b[i].state) << i;
      EXPECT_EQ(cells_a[i].bytes.data(), cells_b[i].bytes.data()) << i;
      EXPECT_EQ(cells_a[i].bytes.size(), cells_b[i].bytes.size()) << i;
    }
  }
  EXPECT_TRUE(b.done());

  RowsSpec cut = twoInsertedRows();
  cut.rows = {0x04, 0x01, 0x00, 0x00, 0x00, 0x05, 'a', 'b'};  // name claims 5 bytes, 2 follow
  FirstImage first = readFirstImage(cut, laid_out);
  ASSERT_FALSE(first.status.isOk());
  EXPECT_NE(first.status.message().find(
                "row image of shop.t, column 1 (VARCHAR): value length 5 exceeds the 2 bytes left"),
            std::string::npos)
      << first.status.message();
  cut.rows = {0x04, 0x01, 0x00};  // id claims 4 bytes, 2 follow
  first = readFirstImage(cut, laid_out);
  ASSERT_FALSE(first.status.isOk());
  EXPECT_NE(first.status.message().find("column 0 (INT): value of 4 bytes truncated"),
            std::string::npos)
      << first.status.message();
}

TEST(RowImageReader, EveryTruncatedRowFails) {
  RowsSpec s = twoInsertedRows();
  s.rows.erase(s.rows.begin() + 8, s.rows.end());  // the first row only
  const TableMap table = threeColumnTable();
  for (size_t cut = 1; cut < s.rows.size(); ++cut) {
    RowsSpec truncated = s;
    truncated.rows.assign(s.rows.begin(), s.rows.end() - static_cast<std::ptrdiff_t>(cut));
    EXPECT_FALSE(readFirstImage(truncated, table).status.isOk())
        << "row cut by " << cut << " bytes decoded";
  }
}

TEST(RowImageReader, UpdateAlternatesBeforeAndAfterBitmaps) {
  // UPDATE shop.t SET n = 4 WHERE id = 1, FULL before image, after image with id and n only.
  RowsSpec s;
  s.type = UPDATE_ROWS_EVENT_V1;
  s.present = {0x07};
  s.present_after = {0x05};
  s.rows = {0x04, 0x01, 0, 0, 0, 0x02, 'a', 'b',     // before (1, 'ab', NULL)
            0x00, 0x01, 0, 0, 0, 0x04, 0,   0,   0,  // after (1, -, 4)
            0x04, 0x02, 0, 0, 0, 0x00,               // before (2, '', NULL)
            0x02, 0x02, 0, 0, 0};                    // after (2, -, NULL)
  const Bytes body = rowsBody(s);
  auto h = decodeHeader(s, body);
  ASSERT_TRUE(h.isOk()) << h.status().toString();
  const TableMap table = threeColumnTable();
  RowImageReader reader(*h, table);
  std::vector<Cell> cells;
  std::vector<std::vector<Cell::State>> states;
  while (!reader.done()) {
    ASSERT_TRUE(reader.next(cells).isOk());
    states.push_back({cells[0].state, cells[1].state, cells[2].state});
  }
  using S = Cell::State;
  const std::vector<std::vector<S>> expected = {{S::Value, S::Value, S::Null},
                                                {S::Value, S::Absent, S::Value},
                                                {S::Value, S::Value, S::Null},
                                                {S::Value, S::Absent, S::Null}};
  EXPECT_EQ(states, expected);
}

// ---- PARTIAL_UPDATE_ROWS_EVENT (39), docs/binlog-format.md §3.4 ----

// CREATE TABLE shop.j (id INT, j JSON, n INT)
TableMap jsonTable() {
  TableMap t = threeColumnTable();
  t.table = "j";
  t.columns[1] = column(MYSQL_TYPE_JSON, 4);
  return t;
}

// '{"a":1}' with its 4-byte length.
const Bytes kDocA1 = {0x0D, 0,    0,    0,    0x00, 0x01, 0x00, 0x0C, 0x00,
                      0x0B, 0x00, 0x01, 0x00, 0x05, 0x01, 0x00, 'a'};
// REPLACE '$.a' with 26, then INSERT '$.b' 'x': UPDATE shop.j SET j = JSON_SET(j, '$.a', 26, '$.b',
// 'x').
const Bytes kTwoDiffs = {0x12, 0,    0,    0,    0x00, 0x03, '$', '.',  'a',  0x03, 0x05,
                         0x1A, 0x00, 0x01, 0x03, '$',  '.',  'b', 0x03, 0x0C, 0x01, 'x'};

RowsSpec partialUpdate(Bytes present, Bytes before, Bytes after) {
  RowsSpec s;
  s.type = PARTIAL_UPDATE_ROWS_EVENT;
  s.present = std::move(present);
  s.present_after = {0x07};
  s.rows = std::move(before);
  appendBytes(s.rows, after);
  return s;
}

// The after image of (1, diff, 6): value_options PARTIAL_JSON, partial bit of j set, no NULLs.
Bytes afterWithDiff() {
  Bytes after = {0x01, 0x01, 0x00, 0x01, 0, 0, 0};
  appendBytes(after, kTwoDiffs);
  appendBytes(after, {0x06, 0, 0, 0});
  return after;
}

struct DecodedUpdate {
  Status status;
  std::vector<std::string> after;  // rendered values of the after image
};

DecodedUpdate decodePartial(const RowsSpec& s) {
  const Bytes body = rowsBody(s);
  auto h = decodeHeader(s, body);
  if (!h.isOk()) {
    return {h.status(), {}};
  }
  EXPECT_EQ(h->kind, RowsKind::Update);
  EXPECT_TRUE(h->partial_update);
  const TableMap table = jsonTable();
  RowImageReader reader(*h, table);
  std::vector<Cell> before;
  std::vector<Cell> after;
  for (std::vector<Cell>* image : {&before, &after}) {
    if (Status st = reader.next(*image); !st.isOk()) {
      return {st, {}};
    }
  }
  EXPECT_TRUE(reader.done());
  DecodedUpdate out;
  for (size_t i = 0; i < after.size(); ++i) {
    CellValue value;
    Status st = decodeCell(table.columns[i], after[i], value);
    if (!st.isOk()) {
      return {st.withContext(fmt::format("column {}", i)), out.after};
    }
    out.after.push_back(test::renderCellValue(value));
  }
  return out;
}

TEST(PartialUpdateRows, DiffsApplyToTheBeforeDocument) {
  Bytes before = {0x00, 0x01, 0, 0, 0};
  appendBytes(before, kDocA1);
  appendBytes(before, {0x05, 0, 0, 0});
  const auto update = decodePartial(partialUpdate({0x07}, before, afterWithDiff()));
  ASSERT_TRUE(update.status.isOk()) << update.status.toString();
  EXPECT_EQ(update.after, (std::vector<std::string>{"1", R"({"a":26,"b":"x"})", "6"}));
}

TEST(PartialUpdateRows, WithoutPartialJsonTheAfterImageHoldsDocuments) {
  // value_options 0: no partial_bits; the after image is ordinary.
  Bytes before = {0x00, 0x01, 0, 0, 0};
  appendBytes(before, kDocA1);
  appendBytes(before, {0x05, 0, 0, 0});
  Bytes after = {0x00, 0x00, 0x01, 0, 0, 0};
  appendBytes(after, kDocA1);
  appendBytes(after, {0x06, 0, 0, 0});
  const auto update = decodePartial(partialUpdate({0x07}, before, after));
  ASSERT_TRUE(update.status.isOk()) << update.status.toString();
  EXPECT_EQ(update.after, (std::vector<std::string>{"1", R"({"a":1})", "6"}));
}

TEST(PartialUpdateRows, MinimalBeforeImageIsUnsupportedNamingTheFix) {
  // binlog_row_image=MINIMAL: the before image holds the key only (json.binlog.000001's case).
  const auto update = decodePartial(partialUpdate({0x01}, {0x00, 0x01, 0, 0, 0}, afterWithDiff()));
  ASSERT_FALSE(update.status.isOk());
  EXPECT_EQ(update.status.code(), StatusCode::Unsupported);
  EXPECT_NE(update.status.message().find("set binlog_row_value_options=''"), std::string::npos)
      << update.status.message();
  EXPECT_EQ(update.after, (std::vector<std::string>{"1"}));
}

TEST(PartialUpdateRows, ValueOptionsAboveOneIsCorruption) {
  Bytes before = {0x00, 0x01, 0, 0, 0};
  appendBytes(before, kDocA1);
  appendBytes(before, {0x05, 0, 0, 0});
  Bytes after = afterWithDiff();
  after[0] = 0x02;
  const auto update = decodePartial(partialUpdate({0x07}, before, after));
  ASSERT_FALSE(update.status.isOk());
  EXPECT_EQ(update.status.code(), StatusCode::Corruption);
  EXPECT_NE(update.status.message().find("value_options 2"), std::string::npos)
      << update.status.message();
}

TEST(PartialUpdateRows, EveryTruncatedEventFails) {
  Bytes before = {0x00, 0x01, 0, 0, 0};
  appendBytes(before, kDocA1);
  appendBytes(before, {0x05, 0, 0, 0});
  const RowsSpec s = partialUpdate({0x07}, before, afterWithDiff());
  const Bytes body = rowsBody(s);
  const TableMap table = jsonTable();
  test::expectEveryPrefixFails(body, [&](std::span<const uint8_t> b) -> Status {
    auto h = decodeRowsEventHeader(s.type, b, 10);
    if (!h.isOk()) {
      return h.status();
    }
    RowImageReader reader(*h, table);
    std::vector<Cell> image;
    for (int i = 0; i < 2; ++i) {
      MM_RETURN_IF_ERROR(reader.next(image));
      for (size_t c = 0; c < image.size(); ++c) {
        if (image[c].state == Cell::State::Value) {
          CellValue value;
          MM_RETURN_IF_ERROR(decodeCell(table.columns[c], image[c], value));
        }
      }
    }
    return reader.done() ? Status::ok() : Status::corruption("rows left");
  });
}

}  // namespace
}  // namespace mm::binlog
