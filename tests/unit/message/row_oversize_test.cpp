// Row messages the broker cannot take (row_oversize.h): the row's identity and the row_oversize
// message that stands in for it, made from the parts of the message RowMessageBuilder says it
// wrote (its layout), whatever the values hold; the stub is valid against docs/message.schema.json.
#include "message/row_oversize.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "binlog/column_type.h"
#include "message/row_message_builder.h"
#include "support/message_schema.h"

namespace mm::message {
namespace {

using binlog::Cell;

std::vector<uint8_t> varchar(std::string_view text) {
  std::vector<uint8_t> bytes{static_cast<uint8_t>(text.size())};
  bytes.insert(bytes.end(), text.begin(), text.end());
  return bytes;
}

// CREATE TABLE shop.item (id BIGINT, code VARCHAR(40), timestamp VARCHAR(40),
//   note VARCHAR(200), PRIMARY KEY (id, code)): a column named "timestamp", and values that hold
// what a reader of the text would trip over.
binlog::TableMap itemTable() {
  binlog::TableMap table{.database = "shop",
                         .table = "item",
                         .columns = {},
                         .has_column_names = true,
                         .primary_key = {0, 1}};
  for (const auto& [name, type] : {std::pair{"id", binlog::MYSQL_TYPE_LONGLONG},
                                   {"code", binlog::MYSQL_TYPE_VARCHAR},
                                   {"timestamp", binlog::MYSQL_TYPE_VARCHAR},
                                   {"note", binlog::MYSQL_TYPE_VARCHAR}}) {
    binlog::TableMapColumn& column = table.columns.emplace_back();
    column.type = column.real_type = type;
    column.name = name;
    column.metadata = 200;
    column.collation = 255;
  }
  return table;
}

const Headers kHeaders{{"database", "shop"}, {"table", "item"}, {"type", "row_update"}};

struct Built {
  std::string body;
  RowMessageLayout layout;
};

Built updateMessage(const RowOrigin& origin) {
  const binlog::TableMap table = itemTable();
  const std::vector<uint8_t> id = {7, 0, 0, 0, 0, 0, 0, 0};
  const auto code = varchar("A\"B");
  const auto before_ts = varchar("2026-01-01");
  const auto after_ts = varchar("2026-01-02");
  const auto note = varchar(R"(}{,"timestamp":5,"keys":{},"gtid":"x"})");
  const std::vector<Cell> before = {{Cell::State::Value, id},
                                    {Cell::State::Value, code},
                                    {Cell::State::Value, before_ts},
                                    {Cell::State::Null, {}}};
  const std::vector<Cell> after = {{Cell::State::Value, id},
                                   {Cell::State::Value, code},
                                   {Cell::State::Value, after_ts},
                                   {Cell::State::Value, note}};
  RowMessageBuilder builder;
  auto message = builder.update(table, before, after, origin);
  EXPECT_TRUE(message.isOk()) << message.status().toString();
  return Built{std::string(message.isOk() ? *message : ""), builder.lastLayout()};
}

const RowOrigin kOrigin{1764108000, 1764108005, "mysql-bin.000042", 91234, 3, "0-1-5120"};

TEST(RowOversize, TheIdentityComesFromTheLayoutTheIdAndTheHeaders) {
  const Built message = updateMessage(kOrigin);
  ASSERT_TRUE(message.layout.isRow());
  const RowIdentity row =
      rowIdentity(message.body, message.layout, "mysql-bin.000042:91234:3", kHeaders);
  EXPECT_EQ(row.type, "row_update");
  EXPECT_EQ(row.database, "shop");
  EXPECT_EQ(row.table, "item");
  EXPECT_EQ(row.keys_json, R"({"id":7,"code":"A\"B"})");
  EXPECT_EQ(row.file, "mysql-bin.000042");
  EXPECT_EQ(row.pos, 91234u);
  EXPECT_EQ(row.row, 3u);
  EXPECT_EQ(row.gtid, "0-1-5120");
  EXPECT_EQ(describeRow(row), R"(shop.item keys {"id":7,"code":"A\"B"} )"
                              R"((row_update at mysql-bin.000042:91234 row 3, gtid 0-1-5120))");
}

TEST(RowOversize, WithoutPositionAndGtidTheDescriptionSaysLess) {
  const Built message = updateMessage(RowOrigin{1700000000, 1700000005});
  const RowIdentity row = rowIdentity(message.body, message.layout, "gap:x", kHeaders);
  EXPECT_EQ(row.file, "");
  EXPECT_EQ(row.gtid, "");
  EXPECT_EQ(describeRow(row), R"(shop.item keys {"id":7,"code":"A\"B"} (row_update))");
  EXPECT_TRUE(test::isValidMessage(rowOversizeMessage(message.body, message.layout, 1)));
}

TEST(RowOversize, StubIsTheRowsHeadAndTailAroundTheSizesAndValidates) {
  const Built message = updateMessage(kOrigin);
  const std::string stub = rowOversizeMessage(message.body, message.layout, 134217728);
  EXPECT_EQ(stub,
            fmt::format(R"({{"type":"row_oversize","row_type":"row_update","database":"shop",)"
                        R"("table_name":"item","keys":{{"id":7,"code":"A\"B"}},)"
                        R"("message_size":{},"max_message_size":134217728,)"
                        R"("timestamp":1764108005,"binlog_timestamp":1764108000,)"
                        R"("position":{{"file":"mysql-bin.000042","pos":91234,"row":3}},)"
                        R"("gtid":"0-1-5120"}})",
                        message.body.size()));
  EXPECT_TRUE(test::isValidMessage(stub)) << stub;
  // The schema refuses a stub without its sizes.
  EXPECT_FALSE(test::isValidMessage(
      R"({"type":"row_oversize","row_type":"row_update","database":"shop","table_name":"item",)"
      R"("keys":{},"timestamp":1,"binlog_timestamp":1})"));
}

TEST(RowOversize, OnlyRowMessagesHaveALayout) {
  RowMessageBuilder builder;
  (void)builder.heartbeat(1);
  EXPECT_FALSE(RowMessageLayout{}.isRow());
  const Built message = updateMessage(kOrigin);
  EXPECT_EQ(message.body.substr(message.layout.keys_begin, 1), "{");
  EXPECT_EQ(message.body.substr(message.layout.tail_begin, 13), R"(,"timestamp":)");
}

}  // namespace
}  // namespace mm::message
