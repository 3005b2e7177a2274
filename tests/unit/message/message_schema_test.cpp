// docs/message.schema.json against the messages the code builds: every row of every shared binlog
// fixture through RowsFormatter (the live pipeline's and `decode`'s formatter, so every column
// type the fixtures hold), heartbeats, gaps, the snapshot's three messages, and the optional
// position/gtid fields. The schema must
// also refuse what breaks the contract, or it would prove nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "binlog/binlog_file.h"
#include "binlog/column_type.h"
#include "binlog/event_decoder.h"
#include "binlog/gtid_events.h"
#include "message/gap_message.h"
#include "message/row_change.h"
#include "message/row_message_builder.h"
#include "message/rows_formatter.h"
#include "message/snapshot_message.h"
#include "support/fixtures.h"
#include "support/message_schema.h"

namespace mm::message {
namespace {

using test::MessageSchema;

std::unique_ptr<MessageSchema> loadSchema() {
  auto schema = MessageSchema::load();
  EXPECT_TRUE(schema.isOk()) << schema.status().toString();
  return schema.isOk() ? std::move(*schema) : nullptr;
}

// What formatting every rows event of the fixtures gave. Each file's messages are validated up to
// kSamplePerTable per table and type: sakila's 47,000 inserts of a few tables would otherwise
// dominate the run time and add no column type.
constexpr size_t kSamplePerTable = 100;

struct FixtureMessages {
  size_t files = 0;
  std::map<std::string, size_t> per_type;  // row_insert -> messages validated
  std::set<std::string> column_types;      // of the columns in messages that validated
  size_t with_gtid = 0;                    // validated messages carrying a "gtid"
  std::vector<std::string> schema_failures;
};

class FixtureFormatter {
 public:
  FixtureFormatter(const MessageSchema& schema, FixtureMessages& out)
      : schema_(schema), out_(out) {}

  // Formats the rows events of one file. Damaged files and values the decoder refuses stop at the
  // damage (the fixture tests pin those); what was formatted before still counts.
  void walk(const std::string& path) {
    const std::vector<uint8_t> bytes = test::readFileBytes(path);
    auto file = binlog::BinlogFile::open(bytes);
    if (!file.isOk()) {
      return;  // not a binlog (a relay-log index, a text file)
    }
    ++out_.files;
    sampled_.clear();
    file_name_ = path.substr(path.find_last_of('/') + 1);
    gtid_.clear();
    binlog::EventDecoder decoder;
    for (;;) {
      const uint64_t offset = file->offset();
      auto raw = file->next();
      if (!raw.isOk() || !raw->has_value()) {
        return;
      }
      auto event = decoder.decode(**raw);
      if (!event.isOk()) {
        continue;
      }
      // Messages carry the end of their rows event (a compressed transaction's: its own).
      event_end_ = offset + event->header.event_size;
      if (auto* payload = std::get_if<binlog::TransactionPayloadEvent>(&event->body)) {
        binlog::TransactionPayloadReader inner(*payload);
        for (auto next = inner.next(); next.isOk() && next->has_value(); next = inner.next()) {
          if (auto inner_event = decoder.decodeInner(**next); inner_event.isOk()) {
            format(*inner_event);
          }
        }
      } else {
        format(*event);
      }
    }
  }

 private:
  void format(const binlog::DecodedEvent& event) {
    if (auto* gtid = std::get_if<binlog::MysqlGtidEvent>(&event.body)) {
      gtid_ = gtid->text();  // empty for an anonymous transaction: no "gtid" field
    } else if (auto* mariadb_gtid = std::get_if<binlog::MariadbGtidEvent>(&event.body)) {
      gtid_ = mariadb_gtid->text();
    }
    auto* rows = std::get_if<binlog::RowsEvent>(&event.body);
    if (rows == nullptr) {
      return;
    }
    const binlog::TableMap table = withPositionalNames(*rows->table);
    const char* type = rows->header.kind == binlog::RowsKind::Write    ? "row_insert"
                       : rows->header.kind == binlog::RowsKind::Update ? "row_update"
                                                                       : "row_delete";
    size_t& sampled = sampled_[table.database + "." + table.table + " " + type];
    const RowOrigin origin{event.header.timestamp, 1764108000, file_name_, event_end_, 0, gtid_};
    (void)formatter_.format(rows->header, table, origin, [&](uint64_t, std::string_view body) {
      if (++sampled > kSamplePerTable) {
        return Status::ok();
      }
      Status valid = schema_.validate(body);
      if (!valid.isOk()) {
        out_.schema_failures.push_back(valid.message());
        return Status::ok();
      }
      ++out_.per_type[type];
      out_.with_gtid += gtid_.empty() ? 0 : 1;
      for (const auto& column : table.columns) {
        out_.column_types.insert(std::string(binlog::columnTypeName(column.real_type)));
      }
      return Status::ok();
    });
  }

  const MessageSchema& schema_;
  FixtureMessages& out_;
  RowsFormatter formatter_;
  std::map<std::string, size_t> sampled_;  // "db.table row_insert" -> messages seen in this file
  std::string file_name_;
  uint64_t event_end_ = 0;
  std::string gtid_;  // of the transaction being read
};

TEST(MessageSchema, EveryRowOfEveryFixtureValidates) {
  auto schema = loadSchema();
  ASSERT_NE(schema, nullptr);
  if (!std::filesystem::exists(MM_SHARED_FIXTURES_DIR)) {
    GTEST_SKIP() << "shared fixtures not found under " MM_SHARED_FIXTURES_DIR;
  }
  FixtureMessages messages;
  FixtureFormatter formatter(*schema, messages);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(MM_SHARED_FIXTURES_DIR)) {
    if (entry.is_regular_file()) {
      formatter.walk(entry.path().string());
    }
  }
  EXPECT_TRUE(messages.schema_failures.empty())
      << messages.schema_failures.size()
      << " messages fail the schema; first: " << messages.schema_failures.front();
  EXPECT_GE(messages.files, 60u);
  EXPECT_GT(messages.per_type["row_insert"], 500u);
  EXPECT_GT(messages.per_type["row_update"], 10u);
  EXPECT_GT(messages.per_type["row_delete"], 10u);
  EXPECT_GT(messages.with_gtid, 10u) << "MySQL and MariaDB GTIDs must be in validated messages";
  // Every column type the fixtures hold (binlog/column_type.cpp names); they have no GEOMETRY,
  // which tests/integration/message_schema_test.cpp covers on the real server.
  for (const char* type : {"TINYINT", "SMALLINT", "MEDIUMINT",     "INT",       "BIGINT",
                           "FLOAT",   "DOUBLE",   "DECIMAL",       "BIT",       "YEAR",
                           "DATE",    "DATETIME", "DATETIME(old)", "TIMESTAMP", "TIMESTAMP(old)",
                           "TIME",    "CHAR",     "VARCHAR",       "BLOB",      "ENUM",
                           "SET",     "JSON",     "VECTOR"}) {
    EXPECT_TRUE(messages.column_types.count(type))
        << "no validated message has a " << type << " column";
  }
}

TEST(MessageSchema, HeartbeatAndGapValidate) {
  auto schema = loadSchema();
  ASSERT_NE(schema, nullptr);
  RowMessageBuilder builder;
  EXPECT_TRUE(schema->validate(builder.heartbeat(1764108000)).isOk());
  const std::string gap = gapMessage("mysql-bin.000003:4", "mysql-bin.000009:120", 1764108000);
  Status status = schema->validate(gap);
  EXPECT_TRUE(status.isOk()) << status.toString();
}

// The snapshot's messages as the monitor builds them (docs/design.md §13): snapshot_start and
// snapshot_end from snapshot_message.h, a row_snapshot from RowMessageBuilder::renderSnapshot.
TEST(MessageSchema, SnapshotStartRowSnapshotAndSnapshotEndValidate) {
  auto schema = loadSchema();
  ASSERT_NE(schema, nullptr);
  const SnapshotTableFacts facts{"20261205T011500Z-3f9a", "shop", "item"};
  for (const std::string& body : {snapshotStartMessage(facts, 1200, 1764108000),
                                  snapshotEndMessage(facts, 1187, 1764108090)}) {
    Status status = schema->validate(body);
    EXPECT_TRUE(status.isOk()) << status.toString();
  }
  auto table = std::make_shared<binlog::TableMap>();
  table->database = "shop";
  table->table = "item";
  table->columns.resize(3);
  table->columns[0].name = "id";
  table->columns[1].name = "name";
  table->columns[2].name = "tags";
  RowChange row;
  row.table = table;
  row.keys.append(0, "7");
  row.values.append(0, "7");
  row.values.append(1, "\"pen\"");
  row.values.append(2, "[\"a\",\"c\"]");
  row.origin.binlog_timestamp = 1764108000;
  row.origin.file = "mysql-bin.000042";
  row.origin.event_end = 91234;
  row.origin.row = 3;
  row.origin.gtid = "0-1-42";
  RowMessageBuilder builder;
  const std::string snapshot_row(builder.renderSnapshot(row, facts.snapshot_id, 1764108005));
  Status status = schema->validate(snapshot_row);
  EXPECT_TRUE(status.isOk()) << status.toString();
  EXPECT_NE(snapshot_row.find(R"("type":"row_snapshot")"), std::string::npos) << snapshot_row;
  EXPECT_NE(snapshot_row.find(R"("snapshot_id":"20261205T011500Z-3f9a")"), std::string::npos);
  // The contract is enforced, not just described: each type's required field is required.
  for (
      const auto& [body, says] : std::vector<std::pair<std::string, std::string>>{
          {R"({"type":"snapshot_start","database":"shop","table_name":"item","estimated_rows":1,"timestamp":1})",
           "(missing: snapshot_id)"},
          {R"({"type":"row_snapshot","database":"shop","table_name":"item","keys":{},"values":{},"timestamp":1,"binlog_timestamp":1})",
           "(missing: snapshot_id)"},
          {R"({"type":"snapshot_end","database":"shop","table_name":"item","snapshot_id":"x","rows":-1,"timestamp":1})",
           "field '#/rows' fails 'minimum'"}}) {
    Status refused = schema->validate(body);
    ASSERT_FALSE(refused.isOk()) << body;
    EXPECT_NE(refused.message().find(says), std::string::npos) << refused.message();
  }
}

constexpr const char* kInsert =
    R"({"type":"row_insert","database":"shop","table_name":"item","keys":{"id":7},)"
    R"("values":{"id":7,"name":"pen","tags":["a","c"],"doc":{"k":[1,true,null]},"price":1.1},)"
    R"("timestamp":1764108005,"binlog_timestamp":1764108000)";

std::string insertWith(const std::string& extra) { return std::string(kInsert) + extra + "}"; }

TEST(MessageSchema, PositionAndGtidAreOptionalTypedFields) {
  auto schema = loadSchema();
  ASSERT_NE(schema, nullptr);
  EXPECT_TRUE(schema->validate(insertWith("")).isOk());
  const std::string position = R"(,"position":{"file":"mysql-bin.000042","pos":91234,"row":3})";
  for (const char* gtid :
       {"", R"(,"gtid":"0-1-42")", R"(,"gtid":"3e11fa47-71ca-11e1-9e33-c80aa9429562:23")",
        R"(,"gtid":"3e11fa47-71ca-11e1-9e33-c80aa9429562:blue_1:23")"}) {
    Status status = schema->validate(insertWith(position + gtid));
    EXPECT_TRUE(status.isOk()) << status.toString();
  }
}

// Each break of the contract, and the words validate() must use for it.
struct Broken {
  std::string body;
  std::string says;
};

TEST(MessageSchema, RefusesMessagesThatBreakTheContractAndSaysWhy) {
  auto schema = loadSchema();
  ASSERT_NE(schema, nullptr);
  const std::vector<Broken> cases = {
      {R"({"type":"row_insert","database":"shop","table_name":"item","values":{},"timestamp":1,"binlog_timestamp":1})",
       "row_insert message: field '#' fails 'required' of schema node '#' (missing: keys)"},
      {R"({"type":"row_update","database":"shop","table_name":"item","keys":{},"after_values":{},"timestamp":1})",
       "(missing: before_values, binlog_timestamp)"},
      {insertWith(R"(,"extra":1)"), "field '#/extra' fails 'additionalProperties'"},
      {insertWith(R"(,"gtid":"latest")"), "field '#/gtid' fails 'pattern'"},
      {insertWith(R"(,"position":{"file":"mysql-bin.000042","pos":-1,"row":0})"),
       "field '#/position/pos' fails 'minimum'"},
      {insertWith(R"(,"position":{"file":"mysql-bin.000042","pos":4})"), "(missing: row)"},
      {R"({"type":"heartbeat","timestamp":"now"})", "field '#/timestamp' fails 'type'"},
      {R"({"type":"gap","from":"mysql-bin.000003","to":"mysql-bin.000009:120","timestamp":1})",
       "field '#/from' fails 'pattern'"},
      {R"({"type":"row_upsert","timestamp":1})", "field '#/type' fails 'enum'"},
      {R"({"type":"heartbeat","timestamp":1)", "not JSON"},
  };
  for (const Broken& c : cases) {
    Status status = schema->validate(c.body);
    ASSERT_FALSE(status.isOk()) << c.body;
    EXPECT_EQ(status.code(), StatusCode::InvalidArgument);
    EXPECT_NE(status.message().find(c.says), std::string::npos) << status.message();
  }
}

TEST(MessageSchema, MissingSchemaFileIsAnErrorNamingIt) {
  auto schema = MessageSchema::load("/nonexistent/message.schema.json");
  ASSERT_FALSE(schema.isOk());
  EXPECT_NE(schema.status().message().find("/nonexistent/message.schema.json"), std::string::npos);
}

}  // namespace
}  // namespace mm::message
