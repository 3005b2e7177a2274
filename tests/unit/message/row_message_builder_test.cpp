// The JSON message contract (row_message_builder.h): insert/update/delete shapes, absent vs NULL,
// keys, binary as base64, SET as an array, shortest float text, errors naming the column.
#include "message/row_message_builder.h"

#include <gtest/gtest.h>

#include "binlog/column_type.h"
#include "support/binlog_bytes.h"

namespace mm::message {
namespace {

using binlog::Cell;
using binlog::TableMap;
using binlog::TableMapColumn;
using test::Bytes;

TableMapColumn named(std::string name, uint8_t real_type, uint16_t metadata = 0,
                     uint32_t collation = 0) {
  TableMapColumn c;
  c.type = real_type == binlog::MYSQL_TYPE_SET ? uint8_t{binlog::MYSQL_TYPE_STRING} : real_type;
  c.real_type = real_type;
  c.metadata = metadata;
  c.collation = collation;
  c.name = std::move(name);
  return c;
}

// CREATE TABLE shop.item (id INT PRIMARY KEY, name VARCHAR(10), code BINARY(4), price FLOAT,
//   tags SET('a','b','c'))
TableMap itemTable() {
  TableMap t;
  t.database = "shop";
  t.table = "item";
  t.columns = {
      named("id", binlog::MYSQL_TYPE_LONG), named("name", binlog::MYSQL_TYPE_VARCHAR, 40, 255),
      named("code", binlog::MYSQL_TYPE_STRING, 4, binlog::kBinaryCollation),
      named("price", binlog::MYSQL_TYPE_FLOAT, 4), named("tags", binlog::MYSQL_TYPE_SET, 1)};
  t.columns[4].members = {"a", "b", "c"};
  t.has_column_names = true;
  t.has_primary_key = true;
  t.primary_key = {0};
  return t;
}

// Value bytes as readValueBytes returns them (length prefixes included); they must outlive the
// cells.
struct Row {
  Bytes id = {0x07, 0, 0, 0};
  Bytes name = {0x03, 'p', 'e', 'n'};
  Bytes code = {0x02, 'A', 'B'};           // BINARY(4) 'AB', trailing zeros stripped by the server
  Bytes price = {0xCD, 0xCC, 0x8C, 0x3F};  // 1.1f
  Bytes tags = {0x05};                     // 'a,c'
  std::vector<Cell> cells() const {
    return {value(id), value(name), value(code), value(price), value(tags)};
  }
  static Cell value(const Bytes& b) { return {Cell::State::Value, b}; }
};

constexpr RowOrigin kTimes{.binlog_timestamp = 1700000000, .publish_timestamp = 1700000005};

std::string text(const Result<std::string_view>& r) {
  EXPECT_TRUE(r.isOk()) << r.status().toString();
  return r.isOk() ? std::string(*r) : std::string();
}

TEST(RowMessageBuilder, InsertCarriesKeysAndEveryLoggedColumn) {
  RowMessageBuilder builder;
  const Row row;
  EXPECT_EQ(text(builder.insert(itemTable(), row.cells(), kTimes)),
            R"({"type":"row_insert","database":"shop","table_name":"item","keys":{"id":7},)"
            R"("values":{"id":7,"name":"pen","code":"QUIAAA==","price":1.1,"tags":["a","c"]},)"
            R"("timestamp":1700000005,"binlog_timestamp":1700000000})");
}

TEST(RowMessageBuilder, AbsentColumnIsOmittedAndNullIsNull) {
  RowMessageBuilder builder;
  const Row row;
  auto cells = row.cells();
  cells[1] = Cell{Cell::State::Null, {}};
  cells[2] = Cell{};  // absent (MINIMAL image)
  cells[3] = Cell{};
  cells[4] = Cell{};
  EXPECT_EQ(
      text(builder.insert(itemTable(), cells, kTimes)),
      R"({"type":"row_insert","database":"shop","table_name":"item","keys":{"id":7},)"
      R"("values":{"id":7,"name":null},"timestamp":1700000005,"binlog_timestamp":1700000000})");
}

TEST(RowMessageBuilder, UpdateReportsOnlyChangedColumns) {
  RowMessageBuilder builder;
  const Row before;
  Row after;
  after.name = {0x06, 'p', 'e', 'n', 'c', 'i', 'l'};
  EXPECT_EQ(text(builder.update(itemTable(), before.cells(), after.cells(), kTimes)),
            R"({"type":"row_update","database":"shop","table_name":"item","keys":{"id":7},)"
            R"("before_values":{"name":"pen"},"after_values":{"name":"pencil"},)"
            R"("timestamp":1700000005,"binlog_timestamp":1700000000})");
}

TEST(RowMessageBuilder, MinimalUpdateTakesKeysFromTheBeforeImage) {
  // UPDATE shop.item SET price = 1.1 WHERE id = 7 with binlog_row_image=MINIMAL.
  RowMessageBuilder builder;
  const Row row;
  std::vector<Cell> before(5), after(5);
  before[0] = Row::value(row.id);
  after[3] = Row::value(row.price);
  EXPECT_EQ(text(builder.update(itemTable(), before, after, kTimes)),
            R"({"type":"row_update","database":"shop","table_name":"item","keys":{"id":7},)"
            R"("before_values":{},"after_values":{"price":1.1},)"
            R"("timestamp":1700000005,"binlog_timestamp":1700000000})");
}

TEST(RowMessageBuilder, DeleteWithKeyCarriesKeysOnly) {
  RowMessageBuilder builder;
  const Row row;
  EXPECT_EQ(text(builder.remove(itemTable(), row.cells(), kTimes)),
            R"({"type":"row_delete","database":"shop","table_name":"item","keys":{"id":7},)"
            R"("timestamp":1700000005,"binlog_timestamp":1700000000})");
}

TEST(RowMessageBuilder, DeleteWithoutKeyCarriesTheBeforeImage) {
  RowMessageBuilder builder;
  TableMap table = itemTable();
  table.primary_key.clear();
  const Row row;
  auto cells = row.cells();
  cells.resize(2);
  table.columns.resize(2);
  EXPECT_EQ(
      text(builder.remove(table, cells, kTimes)),
      R"({"type":"row_delete","database":"shop","table_name":"item","keys":{},)"
      R"("values":{"id":7,"name":"pen"},"timestamp":1700000005,"binlog_timestamp":1700000000})");
}

TEST(RowMessageBuilder, UndecodableValueIsAnErrorNamingTheColumn) {
  RowMessageBuilder builder;
  TableMap table = itemTable();
  table.columns[1] = named("doc", binlog::MYSQL_TYPE_JSON, 4);
  const Row row;
  auto cells = row.cells();
  const Bytes json = {0x02, 0, 0, 0, 0x0D, 0x00};  // value type 0x0D does not exist
  cells[1] = Row::value(json);
  auto r = builder.insert(table, cells, kTimes);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), StatusCode::Corruption);
  EXPECT_NE(r.status().message().find("unknown value type 0x0D"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("shop.item column doc (JSON)"), std::string::npos)
      << r.status().message();
}

TEST(RowMessageBuilder, KeysFollowColumnOrderWhateverTheKeyOrder) {
  // PRIMARY KEY (name, id): the key lists column 1 before column 0; PRIMARY KEY (id, name) does
  // not.
  RowMessageBuilder builder;
  TableMap table = itemTable();
  const Row row;
  const std::string expected =
      R"({"type":"row_delete","database":"shop","table_name":"item",)"
      R"("keys":{"id":7,"name":"pen"},"timestamp":1700000005,"binlog_timestamp":1700000000})";
  table.primary_key = {1, 0};
  EXPECT_EQ(text(builder.remove(table, row.cells(), kTimes)), expected);
  table.primary_key = {0, 1};
  EXPECT_EQ(text(builder.remove(table, row.cells(), kTimes)), expected);
  // A key column absent from a MINIMAL before image is left out, as any absent column.
  auto cells = row.cells();
  cells[0] = Cell{};
  EXPECT_EQ(text(builder.remove(table, cells, kTimes)),
            R"({"type":"row_delete","database":"shop","table_name":"item","keys":{"name":"pen"},)"
            R"("timestamp":1700000005,"binlog_timestamp":1700000000})");
}

TEST(RowMessageBuilder, WritesIntoTheCallersBufferAfterWhatItHolds) {
  RowMessageBuilder own;
  const Row row;
  const std::string message = text(own.insert(itemTable(), row.cells(), kTimes));

  RowMessageBuilder builder;
  JsonBuffer block;
  block.raw("earlier line\n");
  builder.writeInto(&block);
  EXPECT_EQ(text(builder.insert(itemTable(), row.cells(), kTimes)), message);
  EXPECT_EQ(text(builder.remove(itemTable(), row.cells(), kTimes)).substr(0, 24),
            R"({"type":"row_delete","da)");
  EXPECT_EQ(block.view().substr(0, 13 + message.size()), "earlier line\n" + message);

  // A failing message leaves the block as it was.
  TableMap table = itemTable();
  table.columns[1] = named("doc", binlog::MYSQL_TYPE_JSON, 4);
  auto cells = row.cells();
  const Bytes json = {0x02, 0, 0, 0, 0x0D, 0x00};  // value type 0x0D does not exist
  cells[1] = Row::value(json);
  const std::string before_failure(block.view());
  EXPECT_FALSE(builder.insert(table, cells, kTimes).isOk());
  EXPECT_EQ(block.view(), before_failure);

  // Back to its own buffer: the block is no longer touched.
  builder.writeInto(nullptr);
  EXPECT_EQ(text(builder.insert(itemTable(), row.cells(), kTimes)), message);
  EXPECT_EQ(block.view(), before_failure);
}

TEST(RowMessageBuilder, HeartbeatHasTypeAndTimestamp) {
  RowMessageBuilder builder;
  EXPECT_EQ(builder.heartbeat(1700000005), R"({"type":"heartbeat","timestamp":1700000005})");
}

TEST(RowMessageBuilder, BuilderIsReusableAcrossMessages) {
  RowMessageBuilder builder;
  const Row row;
  const std::string first = text(builder.insert(itemTable(), row.cells(), kTimes));
  (void)builder.heartbeat(1);
  EXPECT_EQ(text(builder.insert(itemTable(), row.cells(), kTimes)), first);
}

TEST(RowMessageBuilder, CarriesTheCoordinateAndGtidWhenGiven) {
  RowMessageBuilder builder;
  const Row row;
  RowOrigin origin = kTimes;
  origin.file = "mysql-bin.000042";
  origin.event_end = 1234;
  origin.row = 3;
  origin.gtid = "0-1-77";
  const std::string body = text(builder.insert(itemTable(), row.cells(), origin));
  EXPECT_NE(
      body.find(
          R"("binlog_timestamp":1700000000,"position":{"file":"mysql-bin.000042","pos":1234,"row":3},"gtid":"0-1-77"})"),
      std::string::npos)
      << body;
}

TEST(RowMessageBuilder, AnotherTableGetsItsOwnNames) {
  RowMessageBuilder builder;
  const Row row;
  const TableMap first = itemTable();
  TableMap second = itemTable();
  second.columns[0].name = "sku";
  (void)text(builder.remove(first, row.cells(), kTimes));
  EXPECT_NE(text(builder.remove(second, row.cells(), kTimes)).find(R"("keys":{"sku":7})"),
            std::string::npos);
  EXPECT_NE(text(builder.remove(first, row.cells(), kTimes)).find(R"("keys":{"id":7})"),
            std::string::npos);
}

TEST(RowMessageBuilder, NamesNeedingEscapesAreEscaped) {
  RowMessageBuilder builder;
  TableMap table = itemTable();
  table.database = "sh\"op";
  table.table = "it\nem";
  table.columns[0].name = "i\\d";
  const Row row;
  EXPECT_EQ(text(builder.remove(table, row.cells(), kTimes)),
            R"({"type":"row_delete","database":"sh\"op","table_name":"it\nem","keys":{"i\\d":7},)"
            R"("timestamp":1700000005,"binlog_timestamp":1700000000})");
}

TEST(RowMessageBuilder, ATableMapChangedInPlaceGetsItsNewNamesOncePrepared) {
  // The builder prepares the escaped names once per table map; a map at the same address whose
  // names changed (a reused address, or a schema completed in place) must not keep the old ones
  // once prepare() was called, as RowsFormatter does per event.
  RowMessageBuilder builder;
  TableMap table = itemTable();
  const Row row;
  (void)text(builder.remove(table, row.cells(), kTimes));
  table.columns[0].name = "item_id";
  table.table = "items";
  builder.prepare(table);
  EXPECT_EQ(text(builder.remove(table, row.cells(), kTimes)),
            R"({"type":"row_delete","database":"shop","table_name":"items","keys":{"item_id":7},)"
            R"("timestamp":1700000005,"binlog_timestamp":1700000000})");
  table.database = "store";
  builder.prepare(table);
  EXPECT_NE(text(builder.remove(table, row.cells(), kTimes)).find(R"("database":"store")"),
            std::string::npos);
}

// A shared map is pinned by the builder: another map, even with other names at first sight of the
// same shape, gets its own names; the same one keeps them.
TEST(RowMessageBuilder, SharedTableMapsArePreparedOncePerMap) {
  RowMessageBuilder builder;
  const Row row;
  auto first = std::make_shared<const TableMap>(itemTable());
  builder.prepare(first);
  EXPECT_NE(text(builder.remove(*first, row.cells(), kTimes)).find(R"("keys":{"id":7})"),
            std::string::npos);
  TableMap renamed = itemTable();
  renamed.columns[0].name = "item_id";
  auto second = std::make_shared<const TableMap>(std::move(renamed));
  builder.prepare(second);
  EXPECT_NE(text(builder.remove(*second, row.cells(), kTimes)).find(R"("keys":{"item_id":7})"),
            std::string::npos);
  builder.prepare(first);
  EXPECT_NE(text(builder.remove(*first, row.cells(), kTimes)).find(R"("keys":{"id":7})"),
            std::string::npos);
  // A plain reference after a shared one is compared by its names again.
  TableMap plain = itemTable();
  plain.table = "other";
  builder.prepare(plain);
  EXPECT_NE(text(builder.remove(plain, row.cells(), kTimes)).find(R"("table_name":"other")"),
            std::string::npos);
}

// The origin fields are prepared once and reused while they repeat: every change must still show.
TEST(RowMessageBuilder, EachRowCarriesItsOwnOrigin) {
  RowMessageBuilder builder;
  const Row row;
  const TableMap table = itemTable();
  auto tail = [&](const RowOrigin& origin) {
    const std::string message = text(builder.remove(table, row.cells(), origin));
    return message.substr(message.find(R"(,"timestamp")"));
  };
  RowOrigin origin{.binlog_timestamp = 10,
                   .publish_timestamp = 20,
                   .file = "bin.000001",
                   .event_end = 300,
                   .row = 0,
                   .gtid = "0-1-5"};
  EXPECT_EQ(
      tail(origin),
      R"(,"timestamp":20,"binlog_timestamp":10,"position":{"file":"bin.000001","pos":300,"row":0},"gtid":"0-1-5"})");
  origin.row = 1;
  origin.event_end = 400;
  EXPECT_EQ(
      tail(origin),
      R"(,"timestamp":20,"binlog_timestamp":10,"position":{"file":"bin.000001","pos":400,"row":1},"gtid":"0-1-5"})");
  origin.gtid = "0-1-6";
  origin.binlog_timestamp = 11;
  EXPECT_EQ(
      tail(origin),
      R"(,"timestamp":20,"binlog_timestamp":11,"position":{"file":"bin.000001","pos":400,"row":1},"gtid":"0-1-6"})");
  origin.file = "bin\"2";
  origin.publish_timestamp = 21;
  origin.gtid = "";
  EXPECT_EQ(
      tail(origin),
      R"(,"timestamp":21,"binlog_timestamp":11,"position":{"file":"bin\"2","pos":400,"row":1}})");
  origin.file = "";
  origin.gtid = "0-1-7";
  EXPECT_EQ(tail(origin), R"(,"timestamp":21,"binlog_timestamp":11,"gtid":"0-1-7"})");
}

}  // namespace
}  // namespace mm::message
