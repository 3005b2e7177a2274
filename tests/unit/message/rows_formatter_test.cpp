// RowsFormatter walks a rows event and hands one message per row to the callback; it prepares the
// builder's per-table text for every event, so a table map changed (or replaced at the same
// address) between events is never rendered with the old names.
#include "message/rows_formatter.h"

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
  Status status = formatter.format(event.header(), table, RowOrigin{1, 2}, [&](uint64_t row, std::string_view body) {
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
  EXPECT_EQ(messages[0], R"({"type":"row_insert","database":"shop","table_name":"item","keys":{"id":1},)"
                         R"("values":{"id":1,"qty":5},"timestamp":2,"binlog_timestamp":1})");
  EXPECT_EQ(messages[1], R"({"type":"row_insert","database":"shop","table_name":"item","keys":{"id":2},)"
                         R"("values":{"id":2,"qty":null},"timestamp":2,"binlog_timestamp":1})");
}

TEST(RowsFormatter, EveryEventUsesTheTableMapsCurrentNames) {
  RowsFormatter formatter;
  TableMap table = itemTable();
  (void)formatAll(formatter, table);
  table.columns[1].name = "quantity";  // same address, new names: as a refilled cache would give
  const auto messages = formatAll(formatter, table);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_NE(messages[0].find(R"("values":{"id":1,"quantity":5})"), std::string::npos) << messages[0];
}

}  // namespace
}  // namespace mm::message
