// mysql::SnapshotReader against the real server (MariaDB; docs/design.md §13): the table map it
// describes is the TABLE_MAP the server logs (binlog_row_metadata = FULL), column by column; the
// rows it reads render, through message::RowMessageBuilder, into the very messages the binlog's
// own rows render into; chunks continue exactly after their last key (a case-insensitive text key
// included); a unique NOT NULL key serves as the chunk key; a keyless table over the limit is
// refused with the fix; readKeys reads the rows of message "keys"; and the high watermark is the
// server's binlog position when it is idle.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <mysql.h>

#include <map>
#include <variant>

#include "binlog/event_decoder.h"
#include "binlog/rows_event.h"
#include "message/row_message_builder.h"
#include "mysql/binary_logs.h"
#include "mysql/binlog_stream.h"
#include "mysql/information_schema.h"
#include "mysql/snapshot_key.h"
#include "mysql/snapshot_reader.h"
#include "support/every_type_cases.h"
#include "support/live_monitor_test.h"

namespace mm::test {
namespace {

class SnapshotReaderLive : public LiveMonitorTest {
 protected:
  void SetUp() override {
    LiveMonitorTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
      return;
    }
    if (std::string_view(mysql_get_server_info(sql_.handle())).find("MariaDB") ==
        std::string_view::npos) {
      GTEST_SKIP() << "the snapshot's exact watermark is MariaDB's consistent snapshot";
    }
    mysql::mysqlLibraryInit();
    options_.host = env_.mysql_host;
    options_.port = env_.mysql_port;
    options_.user = env_.mysql_user;  // the monitor's own grants: SELECT, REPLICATION CLIENT
    options_.password = env_.mysql_password;
    reader_ = std::make_unique<mysql::SnapshotReader>(options_);
  }

  binlog::Position binlogEnd() {
    auto rows = mysql::binlogStatus(sql_);
    EXPECT_TRUE(rows.isOk() && !rows->empty()) << rows.status().toString();
    if (!rows.isOk() || rows->empty()) {
      return {};
    }
    return {(*rows)[0][0].value_or(""), std::stoull((*rows)[0][1].value_or("0"))};
  }

  mysql::SnapshotTable describe(const std::string& table) {
    auto described = reader_->describe({database_, table});
    EXPECT_TRUE(described.isOk()) << described.status().toString();
    return described.isOk() ? *described : mysql::SnapshotTable{};
  }

  // Table c keyed by (INT, VARCHAR utf8mb4_general_ci), holding `rows` ("(1,'a'),..."), described.
  mysql::SnapshotTable caseInsensitiveKeyTable(const std::string& rows) {
    run(fmt::format("CREATE TABLE {}.c (id INT, name VARCHAR(10) CHARACTER SET utf8mb4 COLLATE "
                    "utf8mb4_general_ci, PRIMARY KEY (id, name))",
                    database_));
    run(fmt::format("INSERT INTO {}.c VALUES {}", database_, rows));
    return describe("c");
  }

  // Every row of `table`, read in chunks of `limit` rows; the chunk sizes in `sizes`.
  std::vector<std::string> readAll(const mysql::SnapshotTable& table, size_t limit,
                                   std::vector<size_t>* sizes = nullptr) {
    std::vector<std::string> rows;
    std::string after;
    for (int guard = 0; guard < 100; ++guard) {
      auto chunk = reader_->readChunk(table, after, limit);
      EXPECT_TRUE(chunk.isOk()) << chunk.status().toString();
      if (!chunk.isOk()) {
        break;
      }
      if (sizes != nullptr) {
        sizes->push_back(chunk->rows.size());
      }
      for (const auto& row : chunk->rows) {
        rows.push_back(render(*table.map, row));
      }
      if (chunk->end_of_table) {
        break;
      }
      EXPECT_FALSE(chunk->last_key.empty());
      after = chunk->last_key;
    }
    return rows;
  }

  // The row_insert message of a row: the same builder and origin for binlog and snapshot rows.
  std::string render(const binlog::TableMap& map, const std::vector<binlog::Cell>& cells) {
    auto message = builder_.insert(map, cells, message::RowOrigin{});
    EXPECT_TRUE(message.isOk()) << message.status().toString();
    return message.isOk() ? std::string(*message) : "";
  }

  mysql::ConnectionOptions options_;
  std::unique_ptr<mysql::SnapshotReader> reader_;
  message::RowMessageBuilder builder_;
};

// What the binlog holds for one table between two positions: its TABLE_MAP, completed from the
// schema as the monitor completes it, and its inserted rows rendered as row_insert messages.
struct LoggedTable {
  std::shared_ptr<const binlog::TableMap> map;
  std::vector<std::string> inserts;
};

void readLogged(const mysql::ConnectionOptions& options, uint32_t server_id,
                const binlog::Position& from, const binlog::Position& to,
                const binlog::TableSchema& schema, message::RowMessageBuilder& builder,
                LoggedTable& logged) {
  mysql::BinlogStream stream({options, server_id, 1});
  Status opened = stream.open({from});
  ASSERT_TRUE(opened.isOk()) << opened.toString();
  binlog::EventDecoder decoder(
      {.checksum_before_format_description = stream.checksumBeforeFormatDescription()});
  for (;;) {
    auto bytes = stream.next();
    ASSERT_TRUE(bytes.isOk()) << bytes.status().toString();
    auto event = decoder.decode(*bytes);
    ASSERT_TRUE(event.isOk()) << event.status().toString();
    if (auto* map = std::get_if<binlog::TableMapEvent>(&event->body)) {
      auto completed = binlog::completeTableMap(*map->table, schema);
      ASSERT_TRUE(completed.isOk()) << completed.status().toString();
      logged.map = std::make_shared<const binlog::TableMap>(std::move(*completed));
    } else if (auto* rows = std::get_if<binlog::RowsEvent>(&event->body)) {
      ASSERT_TRUE(logged.map != nullptr);
      binlog::RowImageReader reader(rows->header, *rows->table);
      std::vector<binlog::Cell> cells;
      while (!reader.done()) {
        ASSERT_TRUE(reader.next(cells).isOk());
        auto message = builder.insert(*logged.map, cells, message::RowOrigin{});
        ASSERT_TRUE(message.isOk()) << message.status().toString();
        logged.inserts.emplace_back(*message);
      }
    }
    if (event->header.log_pos >= to.offset) {
      return;
    }
  }
}

void expectSameColumns(const binlog::TableMap& logged, const binlog::TableMap& described) {
  ASSERT_EQ(described.columns.size(), logged.columns.size());
  for (size_t i = 0; i < logged.columns.size(); ++i) {
    const binlog::TableMapColumn& l = logged.columns[i];
    const binlog::TableMapColumn& d = described.columns[i];
    SCOPED_TRACE(fmt::format("column {} `{}`", i, l.name));
    EXPECT_EQ(d.name, l.name);
    EXPECT_EQ(d.type, l.type);
    EXPECT_EQ(d.real_type, l.real_type);
    EXPECT_EQ(d.metadata, l.metadata);
    EXPECT_EQ(d.nullable, l.nullable);
    EXPECT_EQ(d.has_signedness, l.has_signedness);
    EXPECT_EQ(d.is_unsigned, l.is_unsigned);
    EXPECT_EQ(d.collation, l.collation);
    EXPECT_EQ(d.members, l.members);
    EXPECT_EQ(d.value_width, l.value_width);
    EXPECT_EQ(d.value_prefix, l.value_prefix);
    EXPECT_EQ(d.is_json, l.is_json);
  }
  EXPECT_EQ(described.has_column_names, logged.has_column_names);
  EXPECT_EQ(described.has_primary_key, logged.has_primary_key);
  EXPECT_EQ(described.primary_key, logged.primary_key);
}

TEST_F(SnapshotReaderLive, EveryTypeIsDescribedAndReadAsTheBinlogLogsIt) {
  run("SET GLOBAL binlog_row_metadata = FULL");
  run(fmt::format("CREATE TABLE {}.every ({}) DEFAULT CHARSET utf8mb4", database_,
                  everyTypeColumns()));
  // Zero dates need a non-strict sql_mode; TIMESTAMP literals are read in UTC.
  run("SET SESSION sql_mode = '', time_zone = '+00:00'");
  const binlog::Position from = binlogEnd();
  const auto [names, literals] = everyTypeRow();
  run(fmt::format("INSERT INTO {}.every ({}) VALUES ({})", database_, names, literals));
  run(fmt::format("INSERT INTO {}.every {}", database_, kEveryTypeZeroRow));
  const binlog::Position to = binlogEnd();

  mysql::InformationSchema information_schema(options_);
  auto schema = information_schema.lookup(database_, "every");
  ASSERT_TRUE(schema.isOk()) << schema.status().toString();
  LoggedTable logged;
  readLogged(options_, serverId(), from, to, *schema, builder_, logged);
  ASSERT_NE(logged.map, nullptr);
  ASSERT_EQ(logged.inserts.size(), 2u);

  const mysql::SnapshotTable table = describe("every");
  ASSERT_NE(table.map, nullptr);
  EXPECT_TRUE(binlog::checkColumnTypes(*table.map, *schema).isOk());
  expectSameColumns(*logged.map, *table.map);
  EXPECT_FALSE(table.keyless);

  auto chunk = reader_->readChunk(table, "", 10);
  ASSERT_TRUE(chunk.isOk()) << chunk.status().toString();
  ASSERT_EQ(chunk->rows.size(), 2u);
  EXPECT_TRUE(chunk->end_of_table);
  EXPECT_EQ(chunk->last_key, mysql::encodeKeyText({"2"}));
  // The server is idle: the consistent snapshot is at its end of binlog.
  EXPECT_EQ(chunk->high_watermark, to);
  // The chunk's cells stay valid when it is moved.
  const mysql::SnapshotChunk moved = std::move(*chunk);
  for (size_t i = 0; i < 2; ++i) {
    const std::string got = render(*table.map, moved.rows[i]);
    EXPECT_EQ(got.size(), logged.inserts[i].size()) << "row " << i + 1;
    for (size_t at = 0; at < std::max(got.size(), logged.inserts[i].size()); at += 300) {
      ASSERT_EQ(got.substr(at, 300), logged.inserts[i].substr(at, 300))
          << "row " << i + 1 << " at " << at;
    }
  }
}

TEST_F(SnapshotReaderLive, ChunksContinueExactlyAfterTheirLastKey) {
  run(fmt::format("CREATE TABLE {}.n (id INT PRIMARY KEY, v INT)", database_));
  run(fmt::format("INSERT INTO {}.n VALUES (1,1),(2,2),(3,3),(4,4),(5,5),(6,6),(7,7)", database_));
  std::vector<size_t> sizes;
  const auto rows = readAll(describe("n"), 3, &sizes);
  EXPECT_EQ(sizes, (std::vector<size_t>{3, 3, 1}));
  ASSERT_EQ(rows.size(), 7u);
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_NE(rows[i].find(fmt::format(R"("values":{{"id":{},"v":{}}})", i + 1, i + 1)),
              std::string::npos)
        << rows[i];
  }

  // A case-insensitive text key: 'B' sorts between 'a' and 'c', which a bytewise bound would miss.
  const mysql::SnapshotTable c = caseInsensitiveKeyTable("(1,'c'),(1,'a'),(2,'a'),(1,'B'),(0,'z')");
  EXPECT_EQ(c.map->primary_key, (std::vector<uint32_t>{0, 1}));
  std::vector<std::string> keys;
  for (const std::string& row : readAll(c, 1)) {
    const size_t at = row.find(R"("keys":)");
    keys.push_back(row.substr(at, row.find('}', at) - at + 1));
  }
  EXPECT_EQ(keys, (std::vector<std::string>{
                      R"("keys":{"id":0,"name":"z"})", R"("keys":{"id":1,"name":"a"})",
                      R"("keys":{"id":1,"name":"B"})", R"("keys":{"id":1,"name":"c"})",
                      R"("keys":{"id":2,"name":"a"})"}));
  EXPECT_EQ(readAll(c, 2).size(), 5u);
}

// A chunk after a composite key starts where the key is: the server reads about the chunk's rows,
// not the whole index up to the bound (which made a table's chunks quadratic: MariaDB does not
// range-scan a row comparison `(a, b) > (x, y)`). Counted with the server's handler reads.
TEST_F(SnapshotReaderLive, AChunkAfterACompositeKeyReadsOnlyItsRows) {
  run(fmt::format("CREATE TABLE {}.w (a INT, b VARCHAR(12), v INT, PRIMARY KEY (a, b))",
                  database_));
  run(fmt::format("INSERT INTO {0}.w SELECT seq DIV 100, CONCAT('k', seq), seq FROM "
                  "{0}.seq_1_to_20000",
                  database_));
  const mysql::SnapshotTable w = describe("w");
  auto handlerReads = [&] {
    auto rows = sql_.query("SHOW GLOBAL STATUS LIKE 'Handler_read_%'");
    EXPECT_TRUE(rows.isOk()) << rows.status().toString();
    uint64_t total = 0;
    for (const auto& row : rows.isOk() ? *rows : std::vector<mysql::Row>{}) {
      total += std::stoull(row[1].value_or("0"));
    }
    return total;
  };
  const uint64_t before = handlerReads();
  auto chunk = reader_->readChunk(w, mysql::encodeKeyText({"199", "k19950"}), 10);
  const uint64_t reads = handlerReads() - before;
  ASSERT_TRUE(chunk.isOk()) << chunk.status().toString();
  ASSERT_EQ(chunk->rows.size(), 10u);
  EXPECT_NE(render(*w.map, chunk->rows[0]).find(R"("keys":{"a":199,"b":"k19951"})"),
            std::string::npos);
  EXPECT_LT(reads, 2000u) << "handler reads for a 10-row chunk at the end of 20,000 rows";
}

TEST_F(SnapshotReaderLive, AUniqueNotNullKeyIsTheChunkKey) {
  run(fmt::format("CREATE TABLE {}.u (x INT NULL, code VARCHAR(10) NOT NULL, UNIQUE KEY "
                  "maybe (x), UNIQUE KEY code (code))",
                  database_));
  run(fmt::format("INSERT INTO {}.u VALUES (NULL,'d'),(NULL,'b'),(3,'a'),(4,'c')", database_));
  const mysql::SnapshotTable u = describe("u");
  EXPECT_FALSE(u.keyless);
  EXPECT_EQ(u.map->primary_key, (std::vector<uint32_t>{1}));
  std::vector<size_t> sizes;
  const auto rows = readAll(u, 3, &sizes);
  EXPECT_EQ(sizes, (std::vector<size_t>{3, 1}));
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_NE(rows[0].find(R"("values":{"x":3,"code":"a"})"), std::string::npos) << rows[0];
  EXPECT_NE(rows[3].find(R"("values":{"x":null,"code":"d"})"), std::string::npos) << rows[3];
}

TEST_F(SnapshotReaderLive, AKeylessTableIsReadInOnePassUpToItsLimit) {
  run(fmt::format("CREATE TABLE {}.k (a INT, b INT NULL, UNIQUE KEY (b))", database_));
  run(fmt::format("INSERT INTO {}.k VALUES (1,NULL),(1,NULL),(2,2),(3,3),(4,4)", database_));
  const mysql::SnapshotTable k = describe("k");
  EXPECT_TRUE(k.keyless);
  auto whole = reader_->readChunk(k, "", 5);
  ASSERT_TRUE(whole.isOk()) << whole.status().toString();
  EXPECT_EQ(whole->rows.size(), 5u);
  EXPECT_TRUE(whole->end_of_table);
  auto refused = reader_->readChunk(k, "", 4);
  ASSERT_EQ(refused.status().code(), StatusCode::InvalidArgument) << refused.status().toString();
  const std::string message = refused.status().message();
  for (const std::string& part : {database_ + ".k", std::string("5 rows"),
                                  std::string("primary key"), std::string("keyless_max_rows")}) {
    EXPECT_NE(message.find(part), std::string::npos) << part << " in: " << message;
  }
}

TEST_F(SnapshotReaderLive, ReadKeysReadsTheRowsOfMessageKeys) {
  const mysql::SnapshotTable c = caseInsensitiveKeyTable("(1,'a'),(1,'B'),(2,'\xC3\xA9')");
  auto chunk = reader_->readKeys(
      c, {R"({"id":1,"name":"B"})", R"({"id":2,"name":"\u00e9"})", R"({"id":9,"name":"a"})"});
  ASSERT_TRUE(chunk.isOk()) << chunk.status().toString();
  ASSERT_EQ(chunk->rows.size(), 2u);
  EXPECT_TRUE(chunk->end_of_table);
  EXPECT_EQ(chunk->last_key, "");
  EXPECT_EQ(chunk->high_watermark, binlogEnd());
  EXPECT_NE(render(*c.map, chunk->rows[0]).find(R"("keys":{"id":1,"name":"B"})"),
            std::string::npos);
  EXPECT_NE(render(*c.map, chunk->rows[1]).find("\"keys\":{\"id\":2,\"name\":\"\xC3\xA9\"}"),
            std::string::npos);

  // Temporal, DECIMAL and binary keys as a message writes them.
  run(fmt::format("CREATE TABLE {}.t (d DATETIME(3), n DECIMAL(5,2), ts TIMESTAMP(0) NOT NULL, "
                  "b VARBINARY(4), PRIMARY KEY (d, n, ts, b))",
                  database_));
  run("SET SESSION time_zone = '+00:00'");
  run(fmt::format("INSERT INTO {}.t VALUES ('2024-01-01 00:00:00.500', -12.5, "
                  "'2038-01-19 03:14:07', x'00FF'), ('2024-01-01 00:00:00', 1, "
                  "'2038-01-19 03:14:07', x'00FF')",
                  database_));
  const mysql::SnapshotTable t = describe("t");
  // Their chunk bounds too: two chunks of one row each, then the end.
  EXPECT_EQ(readAll(t, 1).size(), 2u);
  const std::string keys = R"({"d":"2024-01-01T00:00:00.500","n":"-12.50",)"
                           R"("ts":"2038-01-19T03:14:07Z","b":"AP8="})";
  auto by_keys = reader_->readKeys(t, {keys});
  ASSERT_TRUE(by_keys.isOk()) << by_keys.status().toString();
  ASSERT_EQ(by_keys->rows.size(), 1u);
  EXPECT_NE(render(*t.map, by_keys->rows[0]).find(R"("keys":)" + keys), std::string::npos)
      << render(*t.map, by_keys->rows[0]);
  auto missing = reader_->readKeys(t, {R"({"d":"2024-01-01T00:00:00.500"})"});
  EXPECT_EQ(missing.status().code(), StatusCode::InvalidArgument);
}

}  // namespace
}  // namespace mm::test
