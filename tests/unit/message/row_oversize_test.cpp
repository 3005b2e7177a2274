// Row messages the broker cannot take (row_oversize.h): the row's identity read back from its
// message as RowMessageBuilder writes it (the head before the values, the tail after them, whatever
// the values hold), and the row_oversize message that stands in for it, valid against
// docs/message.schema.json.
#include "message/row_oversize.h"

#include <gtest/gtest.h>

#include "binlog/column_type.h"
#include "message/message_route.h"
#include "message/row_message_builder.h"
#include "support/message_schema.h"

namespace mm::message {
namespace {

using binlog::Cell;

// A row_update of shop.item whose values are large and hold what a naive reader would trip over:
// a column named "timestamp", a JSON value with ,"timestamp": and "keys" inside, braces in text.
std::string updateMessage(size_t filler) {
  return R"({"type":"row_update","database":"shop","table_name":"item","keys":{"id":7,"code":"A\"B"},)"
         R"("before_values":{"timestamp":"2026-01-01T00:00:00","doc":{"x":1,"timestamp":5,"keys":{}}},)"
         R"("after_values":{"timestamp":"2026-01-02T00:00:00","note":"}{,\"timestamp\":)" +
         std::string(filler, 'x') +
         R"("},"timestamp":1764108005,"binlog_timestamp":1764108000,)"
         R"("position":{"file":"mysql-bin.000042","pos":91234,"row":3},"gtid":"0-1-5120"})";
}

TEST(RowOversize, ReadsTheIdentityAroundLargeValues) {
  const std::string message = updateMessage(100000);
  auto row = readRowIdentity(message);
  ASSERT_TRUE(row.isOk()) << row.status().toString();
  EXPECT_EQ(row->type, "row_update");
  EXPECT_EQ(row->database, "shop");
  EXPECT_EQ(row->table, "item");
  EXPECT_EQ(row->keys_json, R"({"id":7,"code":"A\"B"})");
  EXPECT_NE(message.find("\"keys\":" + row->keys_json + ","), std::string::npos)
      << "the keys as the message has them, which {keys_hash} routing hashes";
  EXPECT_EQ(row->timestamp, 1764108005);
  EXPECT_EQ(row->binlog_timestamp, 1764108000);
  EXPECT_EQ(row->file, "mysql-bin.000042");
  EXPECT_EQ(row->pos, 91234u);
  EXPECT_EQ(row->row, 3u);
  EXPECT_EQ(row->gtid, "0-1-5120");
  EXPECT_EQ(
      describeRow(*row),
      R"(shop.item keys {"id":7,"code":"A\"B"} (row_update at mysql-bin.000042:91234 row 3, gtid 0-1-5120))");
}

TEST(RowOversize, ReadsWhatTheBuilderWritesWithAColumnNamedTimestamp) {
  // CREATE TABLE shop.log (id BIGINT PRIMARY KEY, timestamp VARCHAR(10)); a delete, no position.
  binlog::TableMap table{.database = "shop",
                         .table = "log",
                         .columns = {},
                         .has_column_names = true,
                         .primary_key = {}};
  for (const auto& [name, type] :
       {std::pair{"id", binlog::MYSQL_TYPE_LONGLONG}, {"timestamp", binlog::MYSQL_TYPE_VARCHAR}}) {
    binlog::TableMapColumn& column = table.columns.emplace_back();
    column.type = column.real_type = type;
    column.name = name;
  }
  table.columns[1].metadata = 40;
  table.columns[1].collation = 255;
  const std::vector<uint8_t> id = {0x2A, 0, 0, 0, 0, 0, 0, 0};
  const std::vector<uint8_t> text = {0x02, '9', '9'};
  RowMessageBuilder builder;
  auto message =
      builder.insert(table, {Cell{Cell::State::Value, id}, Cell{Cell::State::Value, text}},
                     RowOrigin{.binlog_timestamp = 1700000000, .publish_timestamp = 1700000005});
  ASSERT_TRUE(message.isOk());
  auto row = readRowIdentity(*message);
  ASSERT_TRUE(row.isOk()) << row.status().toString() << "\n" << *message;
  EXPECT_EQ(row->type, "row_insert");
  EXPECT_EQ(row->keys_json, "{}");  // no primary key
  EXPECT_EQ(row->timestamp, 1700000005);
  EXPECT_EQ(row->binlog_timestamp, 1700000000);
  EXPECT_EQ(row->file, "");
  EXPECT_EQ(row->gtid, "");
  EXPECT_EQ(describeRow(*row), "shop.log keys {} (row_insert)");
}

TEST(RowOversize, OtherMessagesAreNoRowMessages) {
  for (
      const std::string text : {
          R"({"type":"heartbeat","timestamp":1})",
          R"({"type":"gap","from":"a:4","to":"b:4","timestamp":1})",
          R"({"type":"row_insert","database":"d","table_name":"t","values":{"a":1},"keys":{},"timestamp":1,"binlog_timestamp":1})",
          R"({"type":"row_insert","database":"d","table_name":"t","keys":{"id":1},"values":{}})",
          R"({"type":"row_insert","database":"d","table_name":"t","keys":{"id":1},"timestamp":"x","binlog_timestamp":1})",
          R"({"type":"row_insert","database":"d","table_name":"t","keys":{"id":1})",
          R"([1,2])",
          "",
      }) {
    auto row = readRowIdentity(text);
    EXPECT_FALSE(row.isOk()) << text;
    if (!row.isOk()) {
      EXPECT_NE(row.status().message().find("not a row message"), std::string::npos)
          << row.status().toString();
    }
  }
}

TEST(RowOversize, StubNamesTheRowAndTheSizesAndValidates) {
  const std::string message = updateMessage(10);
  auto row = readRowIdentity(message);
  ASSERT_TRUE(row.isOk()) << row.status().toString();
  const std::string stub = rowOversizeMessage(*row, 138000000, 134217728);
  EXPECT_EQ(
      stub,
      R"({"type":"row_oversize","row_type":"row_update","database":"shop","table_name":"item",)"
      R"("keys":{"id":7,"code":"A\"B"},"message_size":138000000,"max_message_size":134217728,)"
      R"("timestamp":1764108005,"binlog_timestamp":1764108000,)"
      R"("position":{"file":"mysql-bin.000042","pos":91234,"row":3},"gtid":"0-1-5120"})");
  EXPECT_TRUE(test::isValidMessage(stub));
  // Without the optional fields.
  RowIdentity bare = *row;
  bare.file.clear();
  bare.gtid.clear();
  EXPECT_TRUE(test::isValidMessage(rowOversizeMessage(bare, 2, 1)));
  // The schema refuses a stub without its sizes.
  EXPECT_FALSE(test::isValidMessage(
      R"({"type":"row_oversize","row_type":"row_update","database":"shop","table_name":"item","keys":{},)"
      R"("timestamp":1,"binlog_timestamp":1})"));
}

}  // namespace
}  // namespace mm::message
