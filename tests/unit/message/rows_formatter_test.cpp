// RowsFormatter walks a rows event and hands one message per row to the callback; it prepares the
// builder's per-table text for every event, so a table map changed (or replaced at the same
// address) between events is never rendered with the old names.
#include "message/rows_formatter.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "binlog/column_type.h"
#include "support/binlog_bytes.h"

namespace mm::message {
namespace {

using binlog::TableMap;
using test::Bytes;

// CREATE TABLE shop.item (id INT PRIMARY KEY, qty SMALLINT)
TableMap itemTable() {
  TableMap t;
  t.database = "shop";
  t.table = "item";
  t.columns.resize(2);
  t.columns[0].type = t.columns[0].real_type = binlog::MYSQL_TYPE_LONG;
  t.columns[0].name = "id";
  t.columns[1].type = t.columns[1].real_type = binlog::MYSQL_TYPE_SHORT;
  t.columns[1].name = "qty";
  t.has_column_names = true;
  t.has_primary_key = true;
  t.primary_key = {0};
  return t;
}

struct Event {
  Bytes present = {0x03};  // both columns
  // Two rows: null bitmap, INT, SMALLINT. (1, 5) and (2, NULL).
  Bytes rows = {0x00, 0x01, 0, 0, 0, 0x05, 0x00, 0x02, 0x02, 0, 0, 0};
  binlog::RowsEventHeader header() const {
    binlog::RowsEventHeader h;
    h.kind = binlog::RowsKind::Write;
    h.width = 2;
    h.present = binlog::ColumnBitmap(present, 2);
    h.rows = rows;
    return h;
  }
};

std::vector<std::string> formatAll(RowsFormatter& formatter, const TableMap& table) {
  const Event event;
  std::vector<std::string> out;
  Status status = formatter.format(event.header(), table, RowOrigin{1, 2},
                                   [&](uint64_t row, std::string_view body) {
                                     EXPECT_EQ(row, out.size());
                                     out.emplace_back(body);
                                     return Status::ok();
                                   });
  EXPECT_TRUE(status.isOk()) << status.toString();
  return out;
}

TEST(RowsFormatter, OneMessagePerRow) {
  RowsFormatter formatter;
  const auto messages = formatAll(formatter, itemTable());
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0],
            R"({"type":"row_insert","database":"shop","table_name":"item","keys":{"id":1},)"
            R"("values":{"id":1,"qty":5},"timestamp":2,"binlog_timestamp":1})");
  EXPECT_EQ(messages[1],
            R"({"type":"row_insert","database":"shop","table_name":"item","keys":{"id":2},)"
            R"("values":{"id":2,"qty":null},"timestamp":2,"binlog_timestamp":1})");
}

TEST(RowsFormatter, EveryEventUsesTheTableMapsCurrentNames) {
  RowsFormatter formatter;
  TableMap table = itemTable();
  (void)formatAll(formatter, table);
  table.columns[1].name = "quantity";  // same address, new names: as a refilled cache would give
  const auto messages = formatAll(formatter, table);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_NE(messages[0].find(R"("values":{"id":1,"quantity":5})"), std::string::npos)
      << messages[0];
}

TEST(RowsFormatter, LinesGoStraightIntoTheBlockAfterWhatItHolds) {
  RowsFormatter formatter;
  const auto table = std::make_shared<const TableMap>(itemTable());
  const auto messages = formatAll(formatter, *table);
  const Event event;
  JsonBuffer block;
  block.raw("earlier\n");
  std::vector<uint64_t> rows;
  std::vector<size_t> sizes;
  Status status = formatter.formatLines(event.header(), table, RowOrigin{1, 2, {}, 0, 7}, block,
                                        [&](uint64_t row) {
                                          rows.push_back(row);
                                          sizes.push_back(block.size());
                                          return Status::ok();
                                        });
  ASSERT_TRUE(status.isOk()) << status.toString();
  const std::string expected = "earlier\n" + messages[0] + "\n" + messages[1] + "\n";
  EXPECT_EQ(block.view(), expected);
  EXPECT_EQ(rows, (std::vector<uint64_t>{7, 8}));
  EXPECT_EQ(sizes, (std::vector<size_t>{8 + messages[0].size() + 1, expected.size()}));
  // format() afterwards hands out messages from the formatter's own buffer again.
  EXPECT_EQ(formatAll(formatter, *table), messages);
  EXPECT_EQ(block.view(), expected);
}

TEST(RowsFormatter, ACallbackErrorStopsTheLinesAfterTheRowsWritten) {
  RowsFormatter formatter;
  const auto table = std::make_shared<const TableMap>(itemTable());
  const Event event;
  JsonBuffer block;
  Status status = formatter.formatLines(event.header(), table, RowOrigin{1, 2}, block,
                                        [](uint64_t) { return Status::io("disk full"); });
  EXPECT_EQ(status.code(), StatusCode::Io);
  EXPECT_EQ(std::count(block.view().begin(), block.view().end(), '\n'), 1);
}

TEST(RowsFormatter, ARowThatFailsLeavesNothingOfItsMessageInTheBlock) {
  RowsFormatter formatter;
  auto broken = itemTable();
  broken.columns[1].type = broken.columns[1].real_type = binlog::MYSQL_TYPE_JSON;
  broken.columns[1].metadata = 4;
  Event event;
  // Row 1: id 1 and a JSON value of 2 bytes whose type 0x0D does not exist.
  event.rows = {0x00, 0x01, 0, 0, 0, 0x02, 0, 0, 0, 0x0D, 0x00};
  JsonBuffer block;
  block.raw("earlier\n");
  Status status =
      formatter.formatLines(event.header(), std::make_shared<const TableMap>(broken),
                            RowOrigin{1, 2}, block, [](uint64_t) { return Status::ok(); });
  EXPECT_NE(status.message().find("unknown value type 0x0D"), std::string::npos)
      << status.toString();
  EXPECT_EQ(block.view(), "earlier\n");
}

}  // namespace
}  // namespace mm::message
