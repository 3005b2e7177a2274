// Every binlog fixture listed in the shared MANIFEST.md, split with BinlogFile and decoded event by
// event with EventDecoder; every row of every rows event walked with RowImageReader and decodeCell.
//
// What the decoder cannot do yet is not skipped silently: each file lists the failures it expects
// (event types reported Unsupported, values decodeCell refuses, damage in malformed files), and
// the test fails when the behaviour changes in either direction. Facts come from the MANIFEST
// ("Expected contents") and docs/binlog-format.md §8.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "binlog/binlog_file.h"
#include "binlog/column_type.h"
#include "binlog/event_decoder.h"
#include "binlog/event_type.h"
#include "binlog/table_schema.h"
#include "support/cell_text.h"
#include "support/fixtures.h"

namespace mm::binlog {
namespace {

// One decoded row image: rendered values, "NULL", or "-" for a column the image does not log.
using Image = std::vector<std::string>;

struct RowChange {
  std::string table;  // db.table
  RowsKind kind = RowsKind::Write;
  Image before;  // UPDATE and DELETE
  Image after;   // WRITE and UPDATE
};

struct DecodeFailure {
  uint64_t offset = 0;
  uint8_t type = 0;
  Status status;
};

struct FixtureWalk {
  Status split_error;  // BinlogFile::open / next() failure, ok when the file ends cleanly
  std::map<int, int> type_counts;
  std::vector<DecodeFailure> failures;
  std::vector<RowChange> rows;
  std::map<std::string, int> undecoded_values;     // column type name -> values decodeValue refused
  std::vector<std::string> row_errors;             // RowImageReader failures
  std::vector<std::string> gtids;                  // text of every MySQL and MariaDB GTID event
  std::vector<std::string> previous_gtids;         // PREVIOUS_GTIDS sets, as text
  std::vector<std::vector<std::string>> payloads;  // inner event types of each TRANSACTION_PAYLOAD
  std::vector<std::string> rows_queries;           // ROWS_QUERY / ANNOTATE_ROWS texts
  std::vector<uint64_t> xids;
};

Image decodeImage(const TableMap& table, const std::vector<Cell>& cells, FixtureWalk& walk) {
  Image image;
  for (size_t i = 0; i < cells.size(); ++i) {
    switch (cells[i].state) {
      case Cell::State::Absent: image.push_back("-"); break;
      case Cell::State::Null: image.push_back("NULL"); break;
      case Cell::State::Value: {
        CellValue value;
        Status st = decodeCell(table.columns[i], cells[i], value);
        if (st.isOk()) {
          image.push_back(test::renderCellValue(value));
        } else {
          const std::string type(columnTypeName(table.columns[i].real_type));
          ++walk.undecoded_values[type + " " + std::string(statusCodeName(st.code()))];
          image.push_back("<" + type + ">");
        }
        break;
      }
    }
  }
  return image;
}

// What a MANIFEST's CREATE TABLE says and a 5.6 binlog (no charset metadata) does not: gh-ost's
// samplet.b is a TINYBLOB, binary. The live monitor learns it from information_schema.
std::optional<TableMap> withStatedSchema(const TableMap& map) {
  if (map.database != "test" || map.table != "samplet" || map.columns.size() != 4) {
    return std::nullopt;
  }
  TableSchema schema;
  for (const char* name : {"id", "license", "name", "b"}) {
    schema.columns.emplace_back().name = name;
  }
  schema.columns[0].is_primary_key = true;
  schema.columns[0].key_ordinal = 1;
  schema.columns[3].is_binary = true;
  auto completed = completeTableMap(map, schema);
  EXPECT_TRUE(completed.isOk()) << completed.status().toString();
  return completed.isOk() ? std::optional<TableMap>(*completed) : std::nullopt;
}

void walkRows(const RowsEvent& rows, FixtureWalk& walk) {
  const std::optional<TableMap> stated = withStatedSchema(*rows.table);
  const TableMap& table = stated ? *stated : *rows.table;
  RowImageReader reader(rows.header, table);
  std::vector<Cell> cells;
  while (!reader.done()) {
    RowChange change;
    change.table = table.database + "." + table.table;
    change.kind = rows.header.kind;
    const int images = rows.header.kind == RowsKind::Update ? 2 : 1;
    for (int i = 0; i < images; ++i) {
      Status st = reader.next(cells);
      if (!st.isOk()) {
        walk.row_errors.push_back(st.toString());
        return;
      }
      Image image = decodeImage(table, cells, walk);
      if (rows.header.kind == RowsKind::Write || (rows.header.kind == RowsKind::Update && i == 1)) {
        change.after = std::move(image);
      } else {
        change.before = std::move(image);
      }
    }
    walk.rows.push_back(std::move(change));
  }
}

// Records what one decoded event says; rows events are walked row by row.
void noteEvent(const DecodedEvent& decoded, FixtureWalk& walk) {
  if (const auto* rows = std::get_if<RowsEvent>(&decoded.body)) {
    walkRows(*rows, walk);
  } else if (const auto* gtid = std::get_if<MysqlGtidEvent>(&decoded.body)) {
    walk.gtids.push_back(gtid->anonymous ? "ANONYMOUS" : gtid->text());
  } else if (const auto* mariadb_gtid = std::get_if<MariadbGtidEvent>(&decoded.body)) {
    walk.gtids.push_back(mariadb_gtid->text());
  } else if (const auto* previous = std::get_if<PreviousGtidsEvent>(&decoded.body)) {
    walk.previous_gtids.push_back(previous->text());
  } else if (const auto* query = std::get_if<RowsQueryEvent>(&decoded.body)) {
    walk.rows_queries.emplace_back(query->query);
  } else if (const auto* xid = std::get_if<uint64_t>(&decoded.body)) {
    walk.xids.push_back(*xid);
  }
}

// The inner events of a TRANSACTION_PAYLOAD, decoded as the stream would decode them.
void walkPayload(EventDecoder& decoder, const TransactionPayloadEvent& payload, uint64_t offset,
                 FixtureWalk& walk) {
  TransactionPayloadReader inner(payload);
  std::vector<std::string>& types = walk.payloads.emplace_back();
  while (true) {
    auto next = inner.next();
    if (!next.isOk()) {
      walk.failures.push_back({offset, TRANSACTION_PAYLOAD_EVENT, next.status()});
      return;
    }
    if (!next->has_value()) {
      return;
    }
    const std::span<const uint8_t> event = **next;
    types.emplace_back(eventTypeName(event[4]));
    auto decoded = decoder.decodeInner(event);
    if (!decoded.isOk()) {
      walk.failures.push_back({offset, event[4], decoded.status()});
      continue;
    }
    noteEvent(*decoded, walk);
  }
}

FixtureWalk walkFixture(const std::vector<uint8_t>& bytes) {
  FixtureWalk walk;
  auto file = BinlogFile::open(bytes);
  if (!file.isOk()) {
    walk.split_error = file.status();
    return walk;
  }
  EventDecoder decoder;
  while (true) {
    const uint64_t offset = file->offset();
    auto next = file->next();
    if (!next.isOk()) {
      walk.split_error = next.status();
      return walk;
    }
    if (!next->has_value()) {
      return walk;
    }
    const std::span<const uint8_t> event = **next;
    const uint8_t type = event[4];
    ++walk.type_counts[type];
    auto decoded = decoder.decode(event);
    if (!decoded.isOk()) {
      walk.failures.push_back({offset, type, decoded.status()});
      continue;
    }
    if (const auto* payload = std::get_if<TransactionPayloadEvent>(&decoded->body)) {
      walkPayload(decoder, *payload, offset, walk);
    } else {
      noteEvent(*decoded, walk);
    }
  }
}

std::string join(const Image& image) {
  std::string out;
  for (size_t i = 0; i < image.size(); ++i) {
    out.append(i == 0 ? "" : "|").append(image[i]);
  }
  return out;
}

// "W db.t 1|a", "D db.t 1|a", "U db.t 1|a -> 1|b": one line per row change.
std::string describe(const RowChange& row) {
  switch (row.kind) {
    case RowsKind::Write: return "W " + row.table + " " + join(row.after);
    case RowsKind::Delete: return "D " + row.table + " " + join(row.before);
    case RowsKind::Update:
      return "U " + row.table + " " + join(row.before) + " -> " + join(row.after);
  }
  return "?";
}

std::vector<std::string> describeAll(const FixtureWalk& walk) {
  std::vector<std::string> out;
  for (const RowChange& row : walk.rows) {
    out.push_back(describe(row));
  }
  return out;
}

// ---- the MANIFEST ----

std::string readManifest() {
  std::ifstream in(std::string(MM_SHARED_FIXTURES_DIR) + "/MANIFEST.md");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> splitCells(const std::string& line) {
  std::vector<std::string> cells;
  size_t start = 2;  // after "| "
  while (true) {
    const size_t end = line.find(" | ", start);
    if (end == std::string::npos) {
      cells.push_back(line.substr(start, line.rfind(" |") - start));
      return cells;
    }
    cells.push_back(line.substr(start, end - start));
    start = end + 3;
  }
}

// The fixture table: file -> "Event types seen" as type -> count ("2:QUERY×111, 4:ROTATE×1").
std::map<std::string, std::map<int, int>> manifestEventTypes() {
  std::map<std::string, std::map<int, int>> out;
  std::istringstream in(readManifest());
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| ", 0) != 0) {
      continue;
    }
    const auto cells = splitCells(line);
    if (cells.size() < 11 || cells[0].find('/') == std::string::npos ||
        cells[0].find(' ') != std::string::npos) {
      continue;
    }
    std::map<int, int>& counts = out[cells[0]];
    std::istringstream types(cells[8]);
    std::string item;
    while (std::getline(types, item, ',')) {
      const size_t colon = item.find(':');
      const size_t times = item.find("×");
      if (colon == std::string::npos || times == std::string::npos) {
        continue;  // "(none parsed)"
      }
      counts[std::stoi(item.substr(0, colon))] +=
          std::stoi(item.substr(times + std::string("×").size()));
    }
  }
  return out;
}

// ---- expectations per file ----

struct ExpectedFailure {
  uint8_t type;
  StatusCode code;
  std::string message;  // a part of the message
  int count;
};

struct FixtureExpectation {
  std::string file;
  std::string
      split_error;  // part of BinlogFile's error when the file is damaged; empty = clean end
  std::vector<ExpectedFailure> failures;
  std::map<std::string, int> undecoded;  // "TYPE Code" -> values decodeValue refused
  int rows = 0;                          // row changes decoded
};

// gtest prints parameters on failure; the file name is what matters.
void PrintTo(const FixtureExpectation& e, std::ostream* os) { *os << e.file; }

const std::string kUnsupportedEvent = "is not supported and not flagged ignorable";

// Event types the decoder reports as Unsupported. Each stops a live stream, by design (§2: never
// drop a data event silently); the fixtures keep them visible. (Statement-based LOAD DATA, §2 rows
// 6-12, 17, 18, decodes to a LoadDataEvent that the transaction tracker reports instead.)
ExpectedFailure unsupported(uint8_t type) {
  return {type, StatusCode::Unsupported,
          std::string(eventTypeName(type)) + " (type " + std::to_string(type) + ") " +
              kUnsupportedEvent,
          1};
}

const std::vector<FixtureExpectation>& expectations() {
  static const std::vector<FixtureExpectation> kAll = {
      {"canal/mysql-bin.000001", "", {}, {}, 95},
      {"canal/mysql-bin.000002", "", {}, {}, 1},
      // Committed through a UTF-8 re-encoding: starts EF BF BD 62 69 6E.
      {"canal/tsdb/mysql-bin.000001",
       "not a binlog file: the magic bytes FE 62 69 6E are missing",
       {},
       {},
       0},
      {"canal/tsdb/mysql-bin.000002", "", {}, {}, 1},
      {"canal/tsdb/mysql-bin.000003", "", {}, {}, 21},
      {"gh-ost/mysql-bin.000066", "", {}, {}, 20},
      {"gh-ost/mysql-bin.000070", "", {}, {}, 20},
      {"go-mysql/tcb-eval002c-bin.003320", "", {}, {}, 17},
      // The Aurora type-100 padding event is flagged IGNORABLE and skipped.
      {"mysql-binlog-connector-java/mysql-bin.aurora-padding", "", {}, {}, 0},
      {"mysql-binlog-connector-java/mysql-bin.checksum-crc32", "", {}, {}, 63},
      {"mysql-binlog-connector-java/mysql-bin.checksum-none", "", {}, {}, 36},
      {"mysql-binlog-connector-java/mysql-bin.compressed", "", {}, {}, 1},
      {"mysql-binlog-connector-java/mysql-bin.sakila.gz", "", {}, {}, 47273},
      {"mysql-binlog-connector-rust/mysql-bin.000057", "", {}, {}, 3},
      {"mysql-binlog-connector-rust/mysql-bin.000080", "", {}, {}, 7},
      {"mysql-cdc-rs/5.7/03_stop/log.bin", "", {}, {}, 0},
      {"mysql-cdc-rs/5.7/05_intvar/log.bin", "", {}, {}, 0},
      {"mysql-cdc-rs/5.7/13_rand/log.bin", "", {}, {}, 0},
      {"mysql-cdc-rs/5.7/14_user_var/log.bin", "", {}, {}, 0},
      {"mysql-cdc-rs/5.7/17_18_load/log.bin", "", {}, {}, 0},
      {"mysql-cdc-rs/5.7/29_row_query/log.bin", "", {}, {}, 1},
      {"mysql-cdc-rs/5.7/31_update_rows_v2/log.bin", "", {}, {}, 1},
      {"mysql-cdc-rs/5.7/32_delete_rows_v2/log.bin", "", {}, {}, 2},
      {"mysql-cdc-rs/5.7/33_35_gtid_prev_gtid/log.bin", "", {}, {}, 1},
      {"mysql-cdc-rs/5.7/34_anonymous_gtid/log.bin", "", {}, {}, 1},
      {"mysql-cdc-rs/8.0/02_query/binlog.000001", "", {}, {}, 0},
      {"mysql-cdc-rs/8.0/02_query_bigger/binlog.000733", "", {}, {}, 14},
      {"mysql-cdc-rs/8.0/19_30_Table_map_event_Write_rows_log_event/binlog.000018", "", {}, {}, 1},
      {"mysql-cdc-rs/8.0/31_update_rows_v2/binlog.000001", "", {}, {}, 2},
      {"mysql-cdc-rs/8.0/32_delete_rows_v2/binlog.000001", "", {}, {}, 3},
      {"rust-mysql-common/binlog-invisible-columns.000001", "", {}, {}, 3},
      {"rust-mysql-common/binlog_56_gtid_reserved_word.000001", "", {}, {}, 1},
      {"rust-mysql-common/binlog_savepoint.000001", "", {}, {}, 0},
      {"rust-mysql-common/binlog_transaction.000001", "", {}, {}, 0},
      {"rust-mysql-common/binlog_transaction_previous_GTID_no_tag.000001", "", {}, {}, 0},
      {"rust-mysql-common/binlog_transaction_with_GTID.000001", "", {}, {}, 0},
      {"rust-mysql-common/binlog_transaction_with_GTID_TAG.000001", "", {}, {}, 1},
      {"rust-mysql-common/binlog_transaction_with_anonymous_GTID.000001", "", {}, {}, 0},
      // 14 bytes: the magic and 10 bytes of a header.
      {"rust-mysql-common/binlog_truncated_event.000001",
       "file ends inside the event header at offset 4 (10 bytes left)",
       {},
       {},
       0},
      // The file ends 9 bytes into the PREVIOUS_GTIDS header.
      {"rust-mysql-common/binlog_truncated_prev_gtid_event.000001",
       "file ends inside the event header at offset 120 (9 bytes left)",
       {},
       {},
       0},
      {"rust-mysql-common/bug11747887-bin.000003", "", {}, {}, 0},
      {"rust-mysql-common/bug16266.000001", "", {}, {}, 0},
      {"rust-mysql-common/bug27213339-bin.000001", "", {}, {}, 0},
      {"rust-mysql-common/bug32407.001", "", {}, {}, 2},
      {"rust-mysql-common/bug33029-slave-relay-bin.000001", "", {}, {}, 0},
      {"rust-mysql-common/bug40482-bin.000001", "", {}, {}, 0},
      // The relay log's broken QUERY event (size 171): its lengths run past its end.
      {"rust-mysql-common/corrupt-relay-bin.000624",
       "",
       {{QUERY_EVENT, StatusCode::Corruption, "QUERY_EVENT: truncated", 1}},
       {},
       0},
      {"rust-mysql-common/json-opaque.binlog", "", {}, {}, 8},
      // The PARTIAL_UPDATE_ROWS event's 6 rows (§3.4) were logged with binlog_row_image=MINIMAL:
      // the before images lack the documents, so the diffs cannot be applied (an Unsupported error
      // naming the fix); every other column of those rows decodes.
      {"rust-mysql-common/json.binlog.000001", "", {}, {{"JSON Unsupported", 6}}, 18},
      {"rust-mysql-common/mariadb-bin.000001", "", {}, {}, 2},
      {"rust-mysql-common/master-bin.000001", "", {}, {}, 0},
      {"rust-mysql-common/minimal_row_metadata.000001", "", {}, {}, 1},
      {"rust-mysql-common/mysql-enum-string-set.000001", "", {}, {}, 3},
      {"rust-mysql-common/mysql_type_bit.000001", "", {}, {}, 1},
      {"rust-mysql-common/rpl_atomic_ddl_rollback_full.000001", "", {}, {}, 0},
      {"rust-mysql-common/rpl_atomic_ddl_rollback_table.000001", "", {}, {}, 0},
      {"rust-mysql-common/rpl_atomic_ddl_rollback_view.000001", "", {}, {}, 0},
      {"rust-mysql-common/rpl_cross_version_default_utf8mb4_collation.000001", "", {}, {}, 0},
      {"rust-mysql-common/rpl_unfiltered_hidden_gcol.000001", "", {}, {}, 1},
      {"rust-mysql-common/slave-relay-bin.000001", "", {}, {}, 0},
      {"rust-mysql-common/time_issue.000001", "", {}, {}, 1},
      {"rust-mysql-common/transaction_compression.000001", "", {}, {}, 1},
      {"rust-mysql-common/update-full-row.binlog", "", {}, {}, 7},
      {"rust-mysql-common/update-partial-row.binlog", "", {}, {}, 7},
      {"rust-mysql-common/vector.binlog", "", {}, {}, 10},
      // A 5.2.2 development build that numbered TABLE_MAP 16 and the rows events 17-19: its "XID"
      // events hold table maps, and its type-19 event is a rows event, not a TABLE_MAP.
      {"rust-mysql-common/ver_5_1-wl2325_r.001",
       "",
       {{XID_EVENT, StatusCode::Corruption, "XID_EVENT: 11 unexpected bytes after the xid", 3},
        // Its FORMAT_DESCRIPTION gives EXECUTE_LOAD_QUERY a post-header shorter than QUERY's.
        {EXECUTE_LOAD_QUERY_EVENT, StatusCode::Corruption, "post-header truncated", 1},
        {TABLE_MAP_EVENT, StatusCode::Corruption, "invalid column count 0", 1}},
       {},
       0},
      // Pre-GA rows events (5.1.0-5.1.15) are rejected (§2).
      {"rust-mysql-common/ver_5_1-wl2325_s.001",
       "",
       {unsupported(PRE_GA_WRITE_ROWS_EVENT), unsupported(PRE_GA_UPDATE_ROWS_EVENT),
        unsupported(PRE_GA_DELETE_ROWS_EVENT)},
       {},
       0},
      {"rust-mysql-common/ver_5_1_23.001", "", {}, {}, 5},
      {"rust-mysql-common/ver_trunk_row_v2.001", "", {}, {}, 5},
      {"rust-mysql-common/write-full-row.binlog", "", {}, {}, 7},
      {"rust-mysql-common/write-partial-row.binlog", "", {}, {}, 7},
  };
  return kAll;
}

// Decodes one fixture and caches the walk: several tests look at the same file.
const FixtureWalk* fixture(const std::string& file) {
  static std::map<std::string, FixtureWalk> cache;
  auto it = cache.find(file);
  if (it == cache.end()) {
    auto path = test::fixturePath(file);
    if (!path) {
      return nullptr;
    }
    const std::vector<uint8_t> bytes = test::readFileBytes(*path);
    it = cache.emplace(file, walkFixture(bytes)).first;
  }
  return &it->second;
}

#define MM_REQUIRE_WALK(var, file)                                                             \
  const FixtureWalk* var = fixture(file);                                                      \
  if (var == nullptr) {                                                                        \
    GTEST_SKIP() << "shared fixture " << (file) << " not found under " MM_SHARED_FIXTURES_DIR; \
  }

TEST(BinlogFixtures, EveryManifestFileHasAnExpectation) {
  const auto manifest = manifestEventTypes();
  if (manifest.empty()) {
    GTEST_SKIP() << "MANIFEST.md not found under " MM_SHARED_FIXTURES_DIR;
  }
  std::set<std::string> expected;
  for (const auto& e : expectations()) {
    expected.insert(e.file);
  }
  for (const auto& [file, types] : manifest) {
    EXPECT_TRUE(expected.count(file)) << file << " is in MANIFEST.md but has no expectation here";
  }
  for (const auto& file : expected) {
    EXPECT_TRUE(manifest.count(file)) << file << " has an expectation but is not in MANIFEST.md";
  }
  EXPECT_EQ(manifest.size(), 71u);
}

class EveryFixture : public ::testing::TestWithParam<FixtureExpectation> {};

TEST_P(EveryFixture, SplitsDecodesAndWalksEveryRow) {
  const FixtureExpectation& e = GetParam();
  MM_REQUIRE_WALK(walk, e.file);
  // The split sees the event types the MANIFEST lists (its own header walk).
  const auto manifest = manifestEventTypes();
  ASSERT_TRUE(manifest.count(e.file));
  EXPECT_EQ(walk->type_counts, manifest.at(e.file));

  if (e.split_error.empty()) {
    EXPECT_TRUE(walk->split_error.isOk()) << walk->split_error.toString();
  } else {
    EXPECT_EQ(walk->split_error.code(), StatusCode::Corruption);
    EXPECT_NE(walk->split_error.message().find(e.split_error), std::string::npos)
        << walk->split_error.message();
  }

  std::vector<int> matched(e.failures.size(), 0);
  for (const DecodeFailure& f : walk->failures) {
    bool expected = false;
    for (size_t i = 0; i < e.failures.size(); ++i) {
      const ExpectedFailure& x = e.failures[i];
      if (x.type == f.type && x.code == f.status.code() &&
          f.status.message().find(x.message) != std::string::npos) {
        ++matched[i];
        expected = true;
        break;
      }
    }
    EXPECT_TRUE(expected) << "unexpected failure at offset " << f.offset << ": "
                          << f.status.toString();
  }
  for (size_t i = 0; i < e.failures.size(); ++i) {
    EXPECT_EQ(matched[i], e.failures[i].count) << "expected failure: " << e.failures[i].message;
  }
  EXPECT_EQ(walk->undecoded_values, e.undecoded);
  EXPECT_TRUE(walk->row_errors.empty()) << walk->row_errors.front();
  EXPECT_EQ(static_cast<int>(walk->rows.size()), e.rows);
}

// A gtest name from the parameter's fixture file ("gh-ost/mysql-bin.000066" ->
// gh_ost_mysql_bin_000066).
template <typename Param>
std::string fixtureTestName(const ::testing::TestParamInfo<Param>& param_info) {
  std::string name = param_info.param.file;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      c = '_';
    }
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Manifest, EveryFixture, ::testing::ValuesIn(expectations()),
                         fixtureTestName<FixtureExpectation>);

// ---- values the MANIFEST states ----

TEST(BinlogFixtures, GoMysqlDecimalsMatchTheServersSelectOutput) {
  MM_REQUIRE_WALK(walk, "go-mysql/tcb-eval002c-bin.003320");
  // The MANIFEST's "go-mysql decimal rows" table: id, literal, then the 11 DECIMAL columns.
  std::istringstream in(readManifest());
  std::string line;
  bool in_section = false;
  int checked = 0;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) {
      in_section = line.find("go-mysql decimal rows") != std::string::npos;
      continue;
    }
    if (!in_section || line.rfind("| ", 0) != 0) {
      continue;
    }
    const auto cells = splitCells(line);
    if (cells.size() != 13 || !std::isdigit(static_cast<unsigned char>(cells[0][0]))) {
      continue;
    }
    const int id = std::stoi(cells[0]);
    ASSERT_LE(id, static_cast<int>(walk->rows.size()));
    const Image& row = walk->rows[id - 1].after;
    ASSERT_EQ(row.size(), 14u);  // id, 11 DECIMALs, prec, scale
    EXPECT_EQ(row[0], cells[0]);
    for (size_t c = 0; c < 11; ++c) {
      EXPECT_EQ(row[1 + c], cells[2 + c]) << "row " << id << " DECIMAL column " << c;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 17);
}

constexpr size_t kPngSize = 137;

TEST(BinlogFixtures, GhostMinimalAndFullImagesOfTheSameStatements) {
  MM_REQUIRE_WALK(minimal, "gh-ost/mysql-bin.000066");
  MM_REQUIRE_WALK(full, "gh-ost/mysql-bin.000070");
  const std::string png_marker = "<PNG>";
  auto rows = [&](const FixtureWalk* w) {
    auto out = describeAll(*w);
    for (auto& r : out) {  // the PNG (binary: hex), checked below, shortened here
      for (size_t at = r.find("0x89504e47"); at != std::string::npos;
           at = r.find("0x89504e47", at)) {
        r.replace(at, 2 + 2 * kPngSize, png_marker);
      }
    }
    return out;
  };
  // binlog_row_image=MINIMAL: before images hold the PK, after images the changed columns only.
  EXPECT_EQ(rows(minimal),
            (std::vector<std::string>{"W test.samplet 1|1|a|-",
                                      "W test.samplet 2|2|extended|-",
                                      "W test.samplet 3|3|extended|-",
                                      "W test.samplet 4|4|transaction|-",
                                      "W test.samplet 5|5|transaction|-",
                                      "W test.samplet 6|6|transaction|-",
                                      "U test.samplet 5|-|-|- -> -|-|update|-",
                                      "D test.samplet 2|-|-|-",
                                      "U test.samplet 4|-|-|- -> 2|4|replaced 2,4|NULL",
                                      "W test.samplet 7|7|7|<PNG>",
                                      "W test.samplet 8|8|8|-",
                                      "D test.samplet 7|-|-|-",
                                      "D test.samplet 8|-|-|-",
                                      "W test.samplet 9|9|9|-",
                                      "U test.samplet 9|-|-|- -> -|-|update 9|<PNG>",
                                      "U test.samplet 9|-|-|- -> -|-|update 9b|-",
                                      "D test.samplet 3|-|-|-",
                                      "W test.samplet 10|10|10|-",
                                      "U test.samplet 5|-|-|- -> -|-|update 5,6|-",
                                      "U test.samplet 6|-|-|- -> -|-|update 5,6|-"}));
  // binlog_row_image=FULL: every image has all 4 columns, b NULL unless set.
  EXPECT_EQ(rows(full), (std::vector<std::string>{
                            "W test.samplet 1|1|a|NULL",
                            "W test.samplet 2|2|extended|NULL",
                            "W test.samplet 3|3|extended|NULL",
                            "W test.samplet 4|4|transaction|NULL",
                            "W test.samplet 5|5|transaction|NULL",
                            "W test.samplet 6|6|transaction|NULL",
                            "U test.samplet 5|5|transaction|NULL -> 5|5|update|NULL",
                            "D test.samplet 2|2|extended|NULL",
                            "U test.samplet 4|4|transaction|NULL -> 2|4|replaced 2,4|NULL",
                            "W test.samplet 7|7|7|<PNG>",
                            "W test.samplet 8|8|8|NULL",
                            "D test.samplet 7|7|7|<PNG>",
                            "D test.samplet 8|8|8|NULL",
                            "W test.samplet 9|9|9|NULL",
                            "U test.samplet 9|9|9|NULL -> 9|9|update 9|<PNG>",
                            "U test.samplet 9|9|update 9|<PNG> -> 9|9|update 9b|<PNG>",
                            "D test.samplet 3|3|extended|NULL",
                            "W test.samplet 10|10|10|NULL",
                            "U test.samplet 5|5|update|NULL -> 5|5|update 5,6|NULL",
                            "U test.samplet 6|6|transaction|NULL -> 6|6|update 5,6|NULL"}));
  // b of id 7: the PNG 89504E47...AE426082. The MANIFEST calls it 67 bytes, but the TINYBLOB's
  // length byte in both files is 0x89 = 137 and the value ends exactly with the IEND chunk.
  const std::string& png = full->rows[9].after[3];
  ASSERT_EQ(png.size(), 2 + 2 * kPngSize);
  EXPECT_EQ(png.substr(0, 18), "0x89504e470d0a1a0a");
  EXPECT_EQ(png.substr(png.size() - 24), "0000000049454e44ae426082");
}

struct StatedRows {
  std::string file;
  std::vector<std::string> rows;  // describe() of every row change, in order
};

void PrintTo(const StatedRows& s, std::ostream* os) { *os << s.file; }

class FixtureRows : public ::testing::TestWithParam<StatedRows> {};

TEST_P(FixtureRows, MatchTheManifest) {
  MM_REQUIRE_WALK(walk, GetParam().file);
  EXPECT_EQ(describeAll(*walk), GetParam().rows);
}

const std::string kDigits100 = [] {
  std::string s;
  for (int i = 0; i < 10; ++i) {
    s += "0123456789";
  }
  return s;
}();

// Row values stated by the MANIFEST ("Expected contents"); "<TYPE>" marks a value decodeCell
// refuses, counted in the file's expectation above.
INSTANTIATE_TEST_SUITE_P(
    Manifest, FixtureRows,
    ::testing::Values(
        StatedRows{"mysql-cdc-rs/5.7/29_row_query/log.bin", {"W default.boxercrab 1|hahhhhhhhhh"}},
        StatedRows{"mysql-cdc-rs/5.7/31_update_rows_v2/log.bin",
                   {"U default.boxercrab 1|abc|abc|abc|abc|abc|1|2|3.0000 -> "
                    "1|xd|xd|xd|xd|xd|4|4|4.0000"}},
        StatedRows{"mysql-cdc-rs/5.7/32_delete_rows_v2/log.bin",
                   {"W default.boxercrab 1|abcde", "D default.boxercrab 1|abcde"}},
        StatedRows{"mysql-cdc-rs/5.7/33_35_gtid_prev_gtid/log.bin",
                   {"W default.boxercrab 1|abcde"}},
        StatedRows{"mysql-cdc-rs/5.7/34_anonymous_gtid/log.bin", {"W default.boxercrab 1|abcde"}},
        StatedRows{"mysql-cdc-rs/8.0/19_30_Table_map_event_Write_rows_log_event/binlog.000018",
                   {"W test.int_table 1|11|111|1111|11111|1"}},
        StatedRows{"mysql-cdc-rs/8.0/31_update_rows_v2/binlog.000001",
                   {"W test.int_table 1|11|111|1111|11111|1",
                    "U test.int_table 1|11|111|1111|11111|1 -> 1|22|222|1111|11111|1"}},
        StatedRows{"mysql-cdc-rs/8.0/32_delete_rows_v2/binlog.000001",
                   {"W test.int_table 1|11|111|1111|11111|1",
                    "U test.int_table 1|11|111|1111|11111|1 -> 1|22|222|1111|11111|1",
                    "D test.int_table 1|22|222|1111|11111|1"}},
        // DELETE/INSERT of 12 on a.b, then INSERT INTO emoji VALUES (2, '') with an empty value.
        StatedRows{"mysql-binlog-connector-rust/mysql-bin.000080",
                   {"D a.b 12", "D a.b 12", "D a.b 12", "D a.b 12", "W a.b 12", "W a.b 12",
                    "W a.emoji 2|"}},
        // f1..f6 = (1, 2, -3, "4", 0x05, 6000000000); (NULL, NULL, -33, "44", "U", NULL); update.
        StatedRows{"rust-mysql-common/binlog-invisible-columns.000001",
                   {"W mysql.t1 1|2|-3|4|0x05|6000000000", "W mysql.t1 NULL|NULL|-33|44|0x55|NULL",
                    "U mysql.t1 NULL|NULL|-33|44|0x55|NULL -> 111|222|-333|444|0x55|NULL"}},
        StatedRows{"rust-mysql-common/binlog_56_gtid_reserved_word.000001",
                   {"W test.GENERATED 65"}},
        // MINIMAL image: columns 1 and 3 absent; column 4 INT UNSIGNED from SIGNEDNESS metadata.
        StatedRows{"rust-mysql-common/minimal_row_metadata.000001",
                   {"W noria.t1 1|-|a|-|3230202323"}},
        StatedRows{"rust-mysql-common/mysql_type_bit.000001", {"W mysql.foo 4|foo|32"}},
        // The hidden generated column of the functional index is absent from the row.
        StatedRows{"rust-mysql-common/rpl_unfiltered_hidden_gcol.000001", {"W test.t 1|-|1"}},
        StatedRows{"rust-mysql-common/time_issue.000001", {"W noria.t -507:48:27"}},
        // Six inserts, an UPDATE adding 1 to every age, then the PARTIAL_UPDATE_ROWS event's six
        // MINIMAL rows (before image: the key; after image: the diff and the generated columns).
        StatedRows{
            "rust-mysql-common/json.binlog.000001",
            {"W mysql.t 1|{\"age\":24,\"data\":\"xxxxxxxxxx\",\"name\":\"Joe\"}|Joe|24",
             "W mysql.t 2|{\"age\":32,\"data\":\"yyyyyyyyyy\",\"name\":\"Sue\"}|Sue|32",
             "W mysql.t 3|{\"age\":40,\"data\":\"zzzzzzzzzz\",\"name\":\"Pete\"}|Pete|40",
             "W mysql.t 4|{\"age\":24,\"data\":\"xxxxxxxxxx\",\"name\":\"Joe\"}|Joe|24",
             "W mysql.t 5|{\"age\":32,\"data\":\"yyyyyyyyyy\",\"name\":\"Sue\"}|Sue|32",
             "W mysql.t 6|{\"age\":40,\"data\":\"zzzzzzzzzz\",\"name\":\"Pete\"}|Pete|40",
             "U mysql.t 1|{\"age\":24,\"data\":\"xxxxxxxxxx\",\"name\":\"Joe\"}|Joe|24 -> "
             "1|{\"age\":25,\"data\":\"xxxxxxxxxx\",\"name\":\"Joe\"}|Joe|25",
             "U mysql.t 2|{\"age\":32,\"data\":\"yyyyyyyyyy\",\"name\":\"Sue\"}|Sue|32 -> "
             "2|{\"age\":33,\"data\":\"yyyyyyyyyy\",\"name\":\"Sue\"}|Sue|33",
             "U mysql.t 3|{\"age\":40,\"data\":\"zzzzzzzzzz\",\"name\":\"Pete\"}|Pete|40 -> "
             "3|{\"age\":41,\"data\":\"zzzzzzzzzz\",\"name\":\"Pete\"}|Pete|41",
             "U mysql.t 4|{\"age\":24,\"data\":\"xxxxxxxxxx\",\"name\":\"Joe\"}|Joe|24 -> "
             "4|{\"age\":25,\"data\":\"xxxxxxxxxx\",\"name\":\"Joe\"}|Joe|25",
             "U mysql.t 5|{\"age\":32,\"data\":\"yyyyyyyyyy\",\"name\":\"Sue\"}|Sue|32 -> "
             "5|{\"age\":33,\"data\":\"yyyyyyyyyy\",\"name\":\"Sue\"}|Sue|33",
             "U mysql.t 6|{\"age\":40,\"data\":\"zzzzzzzzzz\",\"name\":\"Pete\"}|Pete|40 -> "
             "6|{\"age\":41,\"data\":\"zzzzzzzzzz\",\"name\":\"Pete\"}|Pete|41",
             "U mysql.t 1|-|-|- -> -|<JSON>|Joe|26", "U mysql.t 2|-|-|- -> -|<JSON>|Sue|34",
             "U mysql.t 3|-|-|- -> -|<JSON>|Pete|42", "U mysql.t 4|-|-|- -> -|<JSON>|Joe|26",
             "U mysql.t 5|-|-|- -> -|<JSON>|Sue|34", "U mysql.t 6|-|-|- -> -|<JSON>|Pete|42"}},
        // MySQL 9.0.1 opaque JSON values, as MySQL prints them (DECIMAL a bare number).
        StatedRows{"rust-mysql-common/json-opaque.binlog",
                   {R"(W foo.test {"a":"base64:type15:VQ=="})", R"(W foo.test {"b":"2012-03-18"})",
                    R"(W foo.test {"c":"2012-03-18 11:30:45.000000"})",
                    R"(W foo.test {"c":"87:31:46.654321"})", R"(W foo.test {"d":123.456})",
                    R"(W foo.test {"e":9.00})", R"(W foo.test {"e":[0,1,true,false]})",
                    R"(W foo.test {"e":null})"}},
        // MariaDB 10.5: event is a binary column (collation 63) holding {"foo":1}.
        StatedRows{"rust-mysql-common/mariadb-bin.000001",
                   {"W toddy_test.outbox 62|foo|JSON|0x7b22666f6f223a317d|2022-04-20T22:18:04Z",
                    "W toddy_test.outbox 63|foo|JSON|0x7b22666f6f223a317d|2022-04-20T22:19:55Z"}}),
    fixtureTestName<StatedRows>);

TEST(BinlogFixtures, EnumStringSetRowsWithLongCharAndMembers) {
  MM_REQUIRE_WALK(walk, "rust-mysql-common/mysql-enum-string-set.000001");
  ASSERT_EQ(walk->rows.size(), 3u);
  const Image& inserted = walk->rows[0].after;
  ASSERT_EQ(inserted.size(), 5u);
  EXPECT_EQ(inserted[0], kDigits100);  // CHAR(128) utf8mb4: 2-byte length prefix
  // The MANIFEST says "a 300-char digit string" for VARCHAR(300); the logged length is 0x012A =
  // 298.
  EXPECT_EQ(inserted[1].size(), 298u);
  EXPECT_EQ(inserted[1].find_first_not_of("0123456789"), std::string::npos);
  EXPECT_EQ(inserted[2], "var1");
  EXPECT_EQ(inserted[3], "one,three");
  EXPECT_EQ(inserted[4], "0123456789");
  EXPECT_EQ(walk->rows[1].before, inserted);
  EXPECT_EQ(walk->rows[1].after, (Image{"field1", "field_2", "variant2", "two,four", inserted[1]}));
  EXPECT_EQ(walk->rows[2].kind, RowsKind::Delete);
  EXPECT_EQ(walk->rows[2].before, walk->rows[1].after);
}

TEST(BinlogFixtures, QueryBiggerFirstRowMatchesMariadbBinlog) {
  MM_REQUIRE_WALK(walk, "mysql-cdc-rs/8.0/02_query_bigger/binlog.000733");
  ASSERT_FALSE(walk->rows.empty());
  EXPECT_EQ(describe(walk->rows[0]),
            "W test.LINEITEM 1234567890111|1235111|13711|888878711|99.911|76.11|888.1|109.1|code|Y|"
            "1990-08-01|1990-06-01|1990-01-01|test@test.com|test|com");
}

TEST(BinlogFixtures, SakilaRowsPerTableAndFilmOne) {
  MM_REQUIRE_WALK(walk, "mysql-binlog-connector-java/mysql-bin.sakila.gz");
  std::map<std::string, int> per_table;
  for (const RowChange& row : walk->rows) {
    EXPECT_EQ(row.kind, RowsKind::Write);
    ++per_table[row.table];
  }
  EXPECT_EQ(per_table, (std::map<std::string, int>{{"sakila.actor", 200},
                                                   {"sakila.address", 603},
                                                   {"sakila.category", 16},
                                                   {"sakila.city", 600},
                                                   {"sakila.country", 109},
                                                   {"sakila.customer", 599},
                                                   {"sakila.film", 1000},
                                                   {"sakila.film_actor", 5462},
                                                   {"sakila.film_category", 1000},
                                                   {"sakila.film_text", 1000},
                                                   {"sakila.inventory", 4581},
                                                   {"sakila.language", 6},
                                                   {"sakila.payment", 16049},
                                                   {"sakila.rental", 16044},
                                                   {"sakila.staff", 2},
                                                   {"sakila.store", 2}}));
  const auto film = std::find_if(walk->rows.begin(), walk->rows.end(),
                                 [](const RowChange& r) { return r.table == "sakila.film"; });
  ASSERT_NE(film, walk->rows.end());
  // 5.5 logs no ENUM/SET members: rating is ENUM index 2 ("PG"), special_features SET 0b1100.
  EXPECT_EQ(
      join(film->after),
      "1|ACADEMY DINOSAUR|A Epic Drama of a Feminist And a Mad Scientist who must Battle a Teacher "
      "in The "
      "Canadian Rockies|2006|1|NULL|6|0.99|86|20.99|2|12|2006-02-15T04:03:42Z");  // old TIMESTAMP
                                                                                  // 1139976222
}

TEST(BinlogFixtures, TableMapOptionalMetadataFromMariadb) {
  // mariadb-bin.000001 (10.5.15, FULL): names, PK, collations [-, 45, 45, 63, -].
  MM_REQUIRE_FIXTURE(bytes, "rust-mysql-common/mariadb-bin.000001");
  auto file = BinlogFile::open(bytes);
  ASSERT_TRUE(file.isOk());
  EventDecoder decoder;
  std::shared_ptr<const TableMap> table;
  while (true) {
    auto next = file->next();
    ASSERT_TRUE(next.isOk()) << next.status().toString();
    if (!next->has_value()) {
      break;
    }
    auto decoded = decoder.decode(**next);
    ASSERT_TRUE(decoded.isOk()) << decoded.status().toString();
    if (const auto* map = std::get_if<TableMapEvent>(&decoded->body)) {
      table = map->table;
      break;
    }
  }
  ASSERT_NE(table, nullptr);
  std::vector<std::string> names;
  std::vector<uint32_t> collations;
  for (const auto& c : table->columns) {
    names.push_back(c.name);
    collations.push_back(c.collation);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"id", "topic", "event_type", "event", "created"}));
  EXPECT_EQ(collations, (std::vector<uint32_t>{0, 45, 45, 63, 0}));
  EXPECT_EQ(table->primary_key, (std::vector<uint32_t>{0}));
  EXPECT_TRUE(table->has_column_names);
}

TEST(BinlogFixtures, VectorRowsAreArraysOfFloats) {
  MM_REQUIRE_WALK(walk, "rust-mysql-common/vector.binlog");
  // The first WRITE_ROWS on foo: (1, [1.1,2.2,3.3]) and (2, [1,-1,0]), float32 shortest text.
  ASSERT_GE(walk->rows.size(), 2u);
  EXPECT_EQ(walk->rows[0].after, (Image{"1", "[1.1,2.2,3.3]"}));
  EXPECT_EQ(walk->rows[1].after, (Image{"2", "[1,-1,0]"}));
}

TEST(BinlogFixtures, UpstreamEventCounts) {
  // Totals the upstream tests assert: 303 (checksum-crc32), 191 (checksum-none), 1462 (sakila),
  // 5 (compressed), 8 (000057), 37 (000080).
  const std::pair<const char*, int> totals[] = {
      {"mysql-binlog-connector-java/mysql-bin.checksum-crc32", 303},
      {"mysql-binlog-connector-java/mysql-bin.checksum-none", 191},
      {"mysql-binlog-connector-java/mysql-bin.sakila.gz", 1462},
      {"mysql-binlog-connector-java/mysql-bin.compressed", 5},
      {"mysql-binlog-connector-rust/mysql-bin.000057", 8},
      {"mysql-binlog-connector-rust/mysql-bin.000080", 37},
  };
  for (const auto& [file, total] : totals) {
    MM_REQUIRE_WALK(walk, file);
    int sum = 0;
    for (const auto& [type, count] : walk->type_counts) {
      sum += count;
    }
    EXPECT_EQ(sum, total) << file;
  }
}

// ---- compressed transactions, GTIDs, statements ----

TEST(BinlogFixtures, CompressedTransactionsDecodeTheirInnerEvents) {
  // The MANIFEST's inner event lists (the upstream tests count them; §2.5).
  MM_REQUIRE_WALK(movies, "mysql-binlog-connector-java/mysql-bin.compressed");
  EXPECT_EQ(movies->payloads,
            (std::vector<std::vector<std::string>>{
                {"QUERY_EVENT", "TABLE_MAP_EVENT", "UPDATE_ROWS_EVENT", "XID_EVENT"}}));
  EXPECT_EQ(movies->xids, std::vector<uint64_t>{31});
  ASSERT_EQ(movies->rows.size(), 1u);
  const Image before = {
      "1",
      "Once Upon a Time in the West",
      "1968",
      "Italy",
      "Western",
      "Claudia Cardinale|Charles Bronson|Henry Fonda|Gabriele Ferzetti|Frank Wolff|Al Mulock|"
      "Jason Robards|Woody Strode|Jack Elam|Lionel Stander|Paolo Stoppa|Keenan Wynn|Aldo Sambrell",
      "Sergio Leone",
      "Ennio Morricone",
      "Sergio Leone|Sergio Donati|Dario Argento|Bernardo Bertolucci",
      "Tonino Delli Colli",
      "Paramount Pictures"};
  Image after = before;
  after[4] = "Western|Action";
  EXPECT_EQ(movies->rows[0].table, "demo.movies");
  EXPECT_EQ(movies->rows[0].before, before);
  EXPECT_EQ(movies->rows[0].after, after);

  MM_REQUIRE_WALK(tb1, "rust-mysql-common/transaction_compression.000001");
  EXPECT_EQ(tb1->payloads,
            (std::vector<std::vector<std::string>>{
                {"QUERY_EVENT", "TABLE_MAP_EVENT", "WRITE_ROWS_EVENT", "XID_EVENT"}}));
  EXPECT_EQ(describeAll(*tb1), std::vector<std::string>{"W test.tb1 1"});
  EXPECT_EQ(tb1->xids, std::vector<uint64_t>{462});

  MM_REQUIRE_WALK(two, "mysql-binlog-connector-rust/mysql-bin.000057");
  EXPECT_EQ(two->payloads,
            (std::vector<std::vector<std::string>>{
                {"QUERY_EVENT", "ROWS_QUERY_LOG_EVENT", "TABLE_MAP_EVENT", "WRITE_ROWS_EVENT",
                 "XID_EVENT"},
                {"QUERY_EVENT", "ROWS_QUERY_LOG_EVENT", "TABLE_MAP_EVENT", "UPDATE_ROWS_EVENT",
                 "ROWS_QUERY_LOG_EVENT", "TABLE_MAP_EVENT", "WRITE_ROWS_EVENT", "XID_EVENT"}}));
  ASSERT_EQ(two->rows.size(), 3u);
  EXPECT_EQ(describe(two->rows[0]), "W a.b 1");
  // The insert the MANIFEST lists: id 6666, "product_item_value_2", 2022-11-20, 111,
  // "description_1", TIMESTAMP 1668952412, ENUM #4, SET bit 0x8, "b3" (BINARY(3)), ...
  const Image& insert = two->rows[2].after;
  ASSERT_GE(insert.size(), 9u);
  EXPECT_EQ(Image(insert.begin(), insert.begin() + 9),
            (Image{"6666", "product_item_value_2", "2022-11-20", "111", "description_1",
                   "2022-11-20T13:53:32Z", "4", "8", "0x623300"}));
}

TEST(BinlogFixtures, GtidEventsGiveTheirTextAndPreviousGtidSets) {
  // Tagged GTID (MySQL 9.6, serialization format) and a tagged PREVIOUS_GTIDS: MANIFEST facts.
  MM_REQUIRE_WALK(tagged, "rust-mysql-common/binlog_transaction_with_GTID_TAG.000001");
  EXPECT_EQ(tagged->gtids,
            std::vector<std::string>{"55778904-0299-11f1-b1b8-4ef0c4956feb:mytag:3"});
  EXPECT_EQ(tagged->previous_gtids,
            std::vector<std::string>{"55778904-0299-11f1-b1b8-4ef0c4956feb:1-13,"
                                     "55778904-0299-11f1-b1b8-4ef0c4956feb:mytag:1-2"});
  MM_REQUIRE_WALK(untagged, "rust-mysql-common/binlog_transaction_previous_GTID_no_tag.000001");
  EXPECT_EQ(untagged->previous_gtids,
            std::vector<std::string>{"b9b88c66-0755-11f1-9899-4a9da94c4d71:1-2"});
  // 5.6 GTID events end after the GNO; 8.0 ones carry timestamps and lengths.
  MM_REQUIRE_WALK(mysql56, "rust-mysql-common/binlog_56_gtid_reserved_word.000001");
  ASSERT_EQ(mysql56->gtids.size(), 6u);
  EXPECT_EQ(mysql56->gtids.front(), "11111111-1111-1111-1111-111111111111:1");
  MM_REQUIRE_WALK(mysql80, "mysql-binlog-connector-rust/mysql-bin.000057");
  EXPECT_EQ(mysql80->gtids, (std::vector<std::string>{"76f3e7be-6720-11ed-9cad-0242ac110002:11",
                                                      "76f3e7be-6720-11ed-9cad-0242ac110002:12",
                                                      "76f3e7be-6720-11ed-9cad-0242ac110002:13"}));
  EXPECT_EQ(mysql80->previous_gtids,
            std::vector<std::string>{"76f3e7be-6720-11ed-9cad-0242ac110002:1-10"});
  MM_REQUIRE_WALK(anonymous, "rust-mysql-common/transaction_compression.000001");
  EXPECT_EQ(anonymous->gtids, std::vector<std::string>{"ANONYMOUS"});
  // MariaDB: domain-server-seq, the server from the event header.
  MM_REQUIRE_WALK(mariadb, "rust-mysql-common/mariadb-bin.000001");
  EXPECT_EQ(mariadb->gtids, (std::vector<std::string>{"0-1-1", "0-1-2"}));
}

TEST(BinlogFixtures, RowsQueryAndAnnotateRowsKeepTheStatement) {
  MM_REQUIRE_WALK(mysql, "mysql-cdc-rs/5.7/29_row_query/log.bin");
  EXPECT_EQ(mysql->rows_queries,
            std::vector<std::string>{"INSERT INTO `boxercrab` (`title`) VALUES ('hahhhhhhhhh')"});
  MM_REQUIRE_WALK(mariadb, "rust-mysql-common/mariadb-bin.000001");
  const std::string insert =
      "insert into outbox (topic, event_type, event) values ('foo', 'JSON', '{\"foo\":1}')";
  EXPECT_EQ(mariadb->rows_queries, (std::vector<std::string>{insert, insert}));
}

}  // namespace
}  // namespace mm::binlog
