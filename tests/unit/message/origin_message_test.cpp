// The origin message format (message/message_format.h): each value as the Python monitor rendered
// it, the two rules where it went wrong, and its bodies, against the recorded messages in
// ../shared/fixtures/origin/messages.jsonl (the values are the ones of changes.sql).
#include <gtest/gtest.h>

#include "binlog/column_type.h"
#include "binlog/column_value.h"
#include "binlog/value_encoder.h"
#include "message/origin_message.h"
#include "message/origin_value.h"
#include "message/row_message_builder.h"
#include "support/sql_values.h"

namespace mm::message {
namespace {

using binlog::Cell;
using binlog::SqlValue;
using binlog::TableMap;
using binlog::TableMapColumn;

constexpr uint32_t kUtf8mb4 = 45;

TableMapColumn column(std::string name, uint8_t type, uint16_t metadata = 0,
                      uint32_t collation = 0) {
  TableMapColumn c;
  c.type = c.real_type = type;
  c.metadata = metadata;
  c.collation = collation;
  c.name = std::move(name);
  return c;
}

using test::bytesValue;
using test::temporal;
using test::timeValue;
using test::unsignedValue;

// The origin's JSON of `value` in `c`, or "native" when it declines.
std::string origin(const TableMapColumn& c, const SqlValue& value) {
  std::string encoded;
  Status status = binlog::encodeValue(c, value, encoded);
  EXPECT_TRUE(status.isOk()) << status.toString();
  binlog::CellValue decoded;
  status = binlog::decodeValue(
      c, {reinterpret_cast<const uint8_t*>(encoded.data()), encoded.size()}, decoded);
  EXPECT_TRUE(status.isOk()) << status.toString();
  std::string out;
  return appendOriginValue(c, decoded, out) ? out : "native";
}

TEST(OriginValue, NumbersAsPythonHeldThem) {
  SqlValue v;
  v.kind = SqlValue::Kind::Float;
  v.f = 1.1f;
  EXPECT_EQ(origin(column("f", binlog::MYSQL_TYPE_FLOAT, 4), v), "1.100000023841858");
  v.kind = SqlValue::Kind::Double;
  v.d = 1.7976931348623157e308;
  EXPECT_EQ(origin(column("d", binlog::MYSQL_TYPE_DOUBLE, 8), v), "1.7976931348623157e+308");
  v.kind = SqlValue::Kind::Unsigned;
  v.u = 18446744073709551615u;
  TableMapColumn big = column("u", binlog::MYSQL_TYPE_LONGLONG);
  big.is_unsigned = true;
  EXPECT_EQ(origin(big, v), "18446744073709551615");
  v.kind = SqlValue::Kind::Signed;
  v.i = INT64_MIN;
  EXPECT_EQ(origin(column("i", binlog::MYSQL_TYPE_LONGLONG), v), "-9223372036854775808");
}

TEST(OriginValue, BitsAreAStringOfTheColumnsWidth) {
  EXPECT_EQ(origin(column("b5", binlog::MYSQL_TYPE_BIT, 5), bytesValue("\x15")), R"("10101")");
  EXPECT_EQ(origin(column("b5", binlog::MYSQL_TYPE_BIT, 5), bytesValue("\x01")), R"("00001")");
  EXPECT_EQ(origin(column("b1", binlog::MYSQL_TYPE_BIT, 1), bytesValue("\x00")), R"("0")");
  EXPECT_EQ(origin(column("b10", binlog::MYSQL_TYPE_BIT, 0x0102), bytesValue("\x02\x01")),
            R"("1000000001")");
}

TEST(OriginValue, DatesAndTimesInPythonsFormat) {
  const auto date = column("d", binlog::MYSQL_TYPE_DATE);
  EXPECT_EQ(origin(date, temporal(2024, 2, 29)), R"("2024-02-29")");
  EXPECT_EQ(origin(date, temporal(0, 0, 0)), "null");
  const auto dt0 = column("dt", binlog::MYSQL_TYPE_DATETIME2, 0);
  const auto dt6 = column("dt6", binlog::MYSQL_TYPE_DATETIME2, 6);
  EXPECT_EQ(origin(dt0, temporal(9999, 12, 31, 23, 59, 59)), R"("9999-12-31T23:59:59")");
  EXPECT_EQ(origin(dt0, temporal(0, 0, 0)), "null");
  EXPECT_EQ(origin(dt6, temporal(2024, 2, 29, 13, 45, 10, 123456)),
            R"("2024-02-29T13:45:10.123456")");
  EXPECT_EQ(origin(dt6, temporal(2025, 1, 1, 0, 0, 0, 500000)), R"("2025-01-01T00:00:00.500000")");
  EXPECT_EQ(origin(dt6, temporal(2024, 1, 1)), R"("2024-01-01T00:00:00")");  // zero fraction
  const auto time = column("t", binlog::MYSQL_TYPE_TIME2, 0);
  EXPECT_EQ(origin(time, timeValue(false, 9, 5, 0)), R"("9:05:00")");
  EXPECT_EQ(origin(time, timeValue(false, 100, 0, 0)), R"("4 days, 4:00:00")");
  EXPECT_EQ(origin(time, timeValue(false, 838, 59, 59)), R"("34 days, 22:59:59")");
  EXPECT_EQ(origin(time, timeValue(true, 1, 0, 0)), R"("-1 day, 23:00:00")");
}

// Where the origin published a wrong value, the right one in its format (issue 20).
TEST(OriginValue, WrongValuesOfTheOriginAreRightInItsFormat) {
  const auto time = column("t", binlog::MYSQL_TYPE_TIME2, 0);
  EXPECT_EQ(origin(time, timeValue(true, 12, 34, 56)), R"("-1 day, 11:25:04")");
  EXPECT_EQ(origin(time, timeValue(true, 0, 0, 1)), R"("-1 day, 23:59:59")");
  EXPECT_EQ(origin(time, timeValue(true, 838, 59, 59)), R"("-35 days, 1:00:01")");
  const auto ts3 = column("ts3", binlog::MYSQL_TYPE_TIMESTAMP2, 3);
  EXPECT_EQ(origin(ts3, temporal(2024, 2, 29, 13, 45, 10, 123000)),
            R"("2024-02-29T13:45:10.123000")");
  EXPECT_EQ(origin(ts3, temporal(2024, 1, 1, 0, 0, 0, 500000)), R"("2024-01-01T00:00:00.500000")");
  const auto ts = column("ts", binlog::MYSQL_TYPE_TIMESTAMP2, 0);
  EXPECT_EQ(origin(ts, temporal(2038, 1, 19, 3, 14, 7)), R"("2038-01-19T03:14:07")");
  EXPECT_EQ(origin(ts, temporal(0, 0, 0)), "null");  // the origin wrote 1970-01-01T00:00:00
  EXPECT_EQ(origin(column("y", binlog::MYSQL_TYPE_YEAR), unsignedValue(0)), "0");  // was 1900
  EXPECT_EQ(origin(column("y", binlog::MYSQL_TYPE_YEAR), unsignedValue(2155)), "2155");
}

TEST(OriginValue, TextBinaryAndMariadbJsonAreStrings) {
  EXPECT_EQ(origin(column("v", binlog::MYSQL_TYPE_VARCHAR, 400, kUtf8mb4), bytesValue("café 🎉")),
            R"("caf\u00e9 \ud83c\udf89")");
  EXPECT_EQ(origin(column("b", binlog::MYSQL_TYPE_BLOB, 2, binlog::kBinaryCollation),
                   bytesValue("blob text é")),
            R"("blob text \u00e9")");
  TableMapColumn json = column("j", binlog::MYSQL_TYPE_BLOB, 4, kUtf8mb4);
  json.is_json = true;
  EXPECT_EQ(origin(json, bytesValue(R"({"k": [1, 2.5, "é"], "n": null})")),
            R"("{\"k\": [1, 2.5, \"\u00e9\"], \"n\": null}")");
  EXPECT_EQ(origin(json, bytesValue("null")), R"("null")");
}

// Where the origin could not publish at all (it stalled for good), the native rendering.
TEST(OriginValue, ValuesTheOriginCouldNotPublishAreLeftToTheNativeRendering) {
  EXPECT_EQ(origin(column("raw", binlog::MYSQL_TYPE_VARCHAR, 16, binlog::kBinaryCollation),
                   bytesValue(std::string_view("\xFF\x00\xFE", 3))),
            "native");
  EXPECT_EQ(
      origin(column("amount", binlog::MYSQL_TYPE_NEWDECIMAL, (10 << 8) | 2), bytesValue("1234.50")),
      "native");
  TableMapColumn set = column("tags", binlog::MYSQL_TYPE_SET, 1);
  set.members = {"a", "b", "c"};
  EXPECT_EQ(origin(set, unsignedValue(5)), "native");
}

TEST(OriginKey, LongsAndFloatsBecomeStringsAndDatetimesGetASpaceOutsideInserts) {
  TableMapColumn big = column("k_big", binlog::MYSQL_TYPE_LONGLONG);
  big.is_unsigned = true;
  const auto key = [](const TableMapColumn& c, std::string_view json, binlog::RowsKind kind) {
    std::string out;
    appendOriginKey(c, json, kind, out);
    return out;
  };
  EXPECT_EQ(key(big, "18446744073709551615", binlog::RowsKind::Write), R"("18446744073709551615")");
  EXPECT_EQ(key(big, "9223372036854775808", binlog::RowsKind::Delete), R"("9223372036854775808")");
  EXPECT_EQ(key(big, "9223372036854775807", binlog::RowsKind::Write), "9223372036854775807");
  EXPECT_EQ(key(big, "7", binlog::RowsKind::Update), "7");
  const auto dt = column("k_dt", binlog::MYSQL_TYPE_DATETIME2);
  EXPECT_EQ(key(dt, R"("2024-01-02T03:04:05")", binlog::RowsKind::Write),
            R"("2024-01-02T03:04:05")");
  EXPECT_EQ(key(dt, R"("2024-06-07T08:09:10")", binlog::RowsKind::Update),
            R"("2024-06-07 08:09:10")");
  EXPECT_EQ(
      key(column("f", binlog::MYSQL_TYPE_FLOAT), "1.100000023841858", binlog::RowsKind::Write),
      R"("1.10000002384")");
  EXPECT_EQ(key(column("d", binlog::MYSQL_TYPE_DATE), R"("2024-01-02")", binlog::RowsKind::Delete),
            R"("2024-01-02")");
}

// ogold_db.cpk of changes.sql lines 21-23.
struct CpkRow {
  std::string k_int, k_big, k_dt, val;
  std::vector<Cell> cells() const {
    auto cell = [](const std::string& b) {
      return Cell{Cell::State::Value, {reinterpret_cast<const uint8_t*>(b.data()), b.size()}};
    };
    return {cell(k_int), cell(k_big), cell(k_dt), cell(val)};
  }
};

TableMap cpkTable() {
  TableMap t;
  t.database = "ogold_db";
  t.table = "cpk";
  t.columns = {column("k_int", binlog::MYSQL_TYPE_LONG),
               column("k_big", binlog::MYSQL_TYPE_LONGLONG),
               column("k_dt", binlog::MYSQL_TYPE_DATETIME2, 0),
               column("val", binlog::MYSQL_TYPE_VARCHAR, 80, kUtf8mb4)};
  t.columns[1].is_unsigned = true;
  t.has_column_names = t.has_primary_key = true;
  t.primary_key = {0, 1, 2};
  return t;
}

CpkRow cpkRow(const TableMap& t, int32_t k_int, const SqlValue& k_dt) {
  CpkRow row;
  EXPECT_TRUE(binlog::encodeValue(t.columns[0], test::signedValue(k_int), row.k_int).isOk());
  EXPECT_TRUE(
      binlog::encodeValue(t.columns[1], unsignedValue(18446744073709551615u), row.k_big).isOk());
  EXPECT_TRUE(binlog::encodeValue(t.columns[2], k_dt, row.k_dt).isOk());
  EXPECT_TRUE(binlog::encodeValue(t.columns[3], bytesValue("big"), row.val).isOk());
  return row;
}

constexpr RowOrigin kTimes{.binlog_timestamp = 1796391767, .publish_timestamp = 1796391768};

// Line 21's second row and lines 22-23: the key changes, and the delete is of the new key.
class OriginMessage : public ::testing::Test {
 protected:
  void SetUp() override { builder.setFormat(MessageFormat::Origin); }
  const TableMap t = cpkTable();
  RowMessageBuilder builder;
  const CpkRow before = cpkRow(t, 1, temporal(2024, 1, 2, 3, 4, 5));
  const CpkRow after = cpkRow(t, 2, temporal(2024, 6, 7, 8, 9, 10));
};

TEST_F(OriginMessage, BodiesCarryTheOriginsFieldsInPythonsSpelling) {
  auto insert = builder.insert(t, before.cells(), kTimes);
  ASSERT_TRUE(insert.isOk()) << insert.status().toString();
  EXPECT_EQ(*insert,
            R"({"type": "row_insert", "table_name": "cpk", "keys": {"k_int": 1, )"
            R"("k_big": "18446744073709551615", "k_dt": "2024-01-02T03:04:05"}, "values": )"
            R"({"k_int": 1, "k_big": 18446744073709551615, "k_dt": "2024-01-02T03:04:05", )"
            R"("val": "big"}, "binlog_timestamp": 1796391767, "timestamp": 1796391768})");
  EXPECT_EQ(builder.lastKeys(),
            R"({"k_int": 1, "k_big": "18446744073709551615", "k_dt": "2024-01-02T03:04:05"})");
  // An update's keys are the row's after it, with str()'s space in the DATETIME.
  auto update = builder.update(t, before.cells(), after.cells(), kTimes);
  ASSERT_TRUE(update.isOk()) << update.status().toString();
  EXPECT_EQ(*update, R"({"type": "row_update", "table_name": "cpk", "keys": {"k_int": 2, )"
                     R"("k_big": "18446744073709551615", "k_dt": "2024-06-07 08:09:10"}, )"
                     R"("before_values": {"k_int": 1, "k_dt": "2024-01-02T03:04:05"}, )"
                     R"("after_values": {"k_int": 2, "k_dt": "2024-06-07T08:09:10"}, )"
                     R"("binlog_timestamp": 1796391767, "timestamp": 1796391768})");
  auto remove = builder.remove(t, after.cells(), kTimes);
  ASSERT_TRUE(remove.isOk()) << remove.status().toString();
  EXPECT_EQ(*remove, R"({"type": "row_delete", "table_name": "cpk", "keys": {"k_int": 2, )"
                     R"("k_big": "18446744073709551615", "k_dt": "2024-06-07 08:09:10"}, )"
                     R"("binlog_timestamp": 1796391767, "timestamp": 1796391768})");
  const RowMessageLayout layout = builder.lastLayout();
  EXPECT_EQ(remove->substr(layout.tail_begin), R"(, "binlog_timestamp": 1796391767, )"
                                               R"("timestamp": 1796391768})");
}

TEST_F(OriginMessage, ADelayedChangeRendersTheSameBody) {
  const std::string direct(*builder.update(t, before.cells(), after.cells(), kTimes));
  RowChange change;
  ASSERT_TRUE(
      builder.encode(binlog::RowsKind::Update, t, before.cells(), after.cells(), change).isOk());
  change.kind = binlog::RowsKind::Update;
  change.table = std::make_shared<const TableMap>(t);
  change.origin.binlog_timestamp = kTimes.binlog_timestamp;
  EXPECT_EQ(builder.render(change, kTimes.publish_timestamp), direct);
}

TEST_F(OriginMessage, HeartbeatAndItsId) {
  EXPECT_EQ(originHeartbeatMessage(1796391992),
            R"({"timestamp": 1796391992, "type": "heartbeat"})");
  EXPECT_EQ(originHeartbeatId(1796391992.0734), "hb-1796391992.07");
  EXPECT_EQ(builder.heartbeat(5), R"({"timestamp": 5, "type": "heartbeat"})");
}

}  // namespace
}  // namespace mm::message
