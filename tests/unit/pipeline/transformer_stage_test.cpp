// The transformer stage over a recorded binlog (MariaDB 10.5, FULL row metadata, two one-row
// transactions): the message id and checkpoint each item carries, with and without the delay
// buffer. And over hand-made items: a table named from the schema history is named anew after a
// DDL.
#include "pipeline/transformer_stage.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <vector>

#include <gtest/gtest.h>

#include "binlog/column_type.h"
#include "common/document_store.h"
#include "pipeline/reader_stage.h"
#include "schema/schema_history.h"
#include "support/fake_table_schema_source.h"
#include "support/file_event_source.h"
#include "support/fixtures.h"

namespace mm::pipeline {
namespace {

constexpr const char* kFixture = "rust-mysql-common/mariadb-bin.000001";

// What the reader hands on for the whole file.
std::vector<SourceItem> readAll(std::vector<uint8_t> bytes) {
  test::FileSource source(std::move(bytes));
  BoundedQueue<SourceBatch> queue(1024, 1 << 24);
  metrics::Stats stats;
  ReaderStage reader(source, queue, stats, systemClock(), ReaderOptions{});
  EXPECT_EQ(
      reader.run(checkpoint::Checkpoint{"mariadb-bin.000001", 4, 0}, std::stop_token{}).message(),
      "end of file");
  std::vector<SourceBatch> batches;
  while (queue.popAllFor(batches, 1024, std::chrono::milliseconds{0}) > 0) {
  }
  std::vector<SourceItem> items;
  for (SourceBatch& batch : batches) {
    std::move(batch.begin(), batch.end(), std::back_inserter(items));
  }
  return items;
}

// Runs the transformer over `items`, all queued at once, its output appended to `published`.
Status transform(std::vector<SourceItem> items, DelayBuffer* delay, schema::SchemaHistory* history,
                 std::vector<PublishItem>& published, const std::string& state_path = "") {
  BoundedQueue<SourceBatch> in(1024, 1 << 24);
  EXPECT_TRUE(in.push(std::move(items), 1, std::stop_token{}));
  in.close();
  BoundedQueue<PublishBatch> out(1024, 1 << 24);
  SystemClock clock;
  const message::RoutingKeyTemplate routing;
  metrics::Stats stats;
  TransformerStage transformer(in, out, history, delay, clock, routing, stats);
  transformer.setStatePath(state_path);
  Status status = transformer.run(std::stop_token{});
  while (auto batch = out.popFor(std::chrono::milliseconds{0})) {
    for (PublishItem& item : *batch) {
      published.push_back(std::move(item));
    }
  }
  return status;
}

// The transformer's output for `items`, which it must take without an error.
std::vector<PublishItem> transformAll(std::vector<SourceItem> items, DelayBuffer* delay,
                                      schema::SchemaHistory* history = nullptr) {
  std::vector<PublishItem> published;
  Status status = transform(std::move(items), delay, history, published);
  EXPECT_TRUE(status.isOk()) << status.toString();
  return published;
}

std::vector<checkpoint::Checkpoint> transactionEnds(const std::vector<SourceItem>& items) {
  std::vector<checkpoint::Checkpoint> ends;
  for (const SourceItem& item : items) {
    if (const auto* end = std::get_if<TransactionEnd>(&item)) {
      ends.push_back(*end->next);
    }
  }
  return ends;
}

// Each row message moves the checkpoint to its row (rows_done within its transaction); the mark
// behind the transaction's last row moves it past the transaction. So it is with the delay buffer.
void expectRowsThenMarks(DelayBuffer* delay) {
  MM_REQUIRE_FIXTURE(bytes, kFixture);
  std::vector<SourceItem> items = readAll(bytes);
  const std::vector<checkpoint::Checkpoint> ends = transactionEnds(items);
  ASSERT_EQ(ends.size(), 2u);
  std::vector<checkpoint::Checkpoint> starts;
  for (const SourceItem& item : items) {
    if (const auto* rows = std::get_if<RowsItem>(&item)) {
      starts.push_back(*rows->txn_start);
    }
  }
  ASSERT_EQ(starts.size(), 2u);
  EXPECT_EQ(starts[1], ends[0]) << "a transaction starts where the one before ended";
  const std::vector<PublishItem> published = transformAll(std::move(items), delay);
  ASSERT_EQ(published.size(), 4u) << "message, mark, message, mark";
  for (size_t i = 0; i < 2; ++i) {
    const PublishItem& message = published[2 * i];
    const PublishItem& mark = published[2 * i + 1];
    ASSERT_TRUE(message.isMessage());
    EXPECT_EQ(message.messageId().substr(0, 19), "mariadb-bin.000001:");
    checkpoint::Checkpoint row = starts[i];
    row.rows_done = 1;
    EXPECT_EQ(message.after(), row);
    EXPECT_FALSE(mark.isMessage());
    EXPECT_EQ(mark.after(), ends[i]);
  }
}

TEST(TransformerStage, RowMessagesCarryTheirRowsCheckpointAndMarksTheTransactionsEnd) {
  expectRowsThenMarks(nullptr);
}

TEST(TransformerStage, TheDelayBufferKeepsTheCheckpoints) {
  metrics::Stats stats;
  DelayBuffer delay(std::chrono::milliseconds{1}, 100, stats);
  expectRowsThenMarks(&delay);
}

// A binlog without column names (binlog_row_metadata=MINIMAL) keeps the same TABLE_MAP bytes across
// a RENAME COLUMN, so the decoder hands out the same shared map before and after it: the
// transformer must name the second row from the schema after the DDL, not from what it completed
// for that map before.
TEST(TransformerStage, ASharedTableMapIsNamedAnewAfterADdl) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("mm-transformer-ddl-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  test::FakeTableSchemaSource catalog;
  binlog::TableSchema t;
  t.columns = {test::schemaColumn("id", "int", false), test::schemaColumn("qty", "smallint")};
  t.unique_keys = {{"PRIMARY", {"id"}}};
  catalog.set({"shop", "item"}, t);
  DirectoryDocuments documents(dir.string());
  schema::SchemaHistory history({"schema_history", {"shop"}}, documents, catalog);
  ASSERT_TRUE(history.capture({"bin.000001", 4}).isOk());

  auto map = std::make_shared<binlog::TableMap>();
  map->database = "shop";
  map->table = "item";
  map->columns.resize(2);
  map->columns[0].type = map->columns[0].real_type = binlog::MYSQL_TYPE_LONG;
  map->columns[1].type = map->columns[1].real_type = binlog::MYSQL_TYPE_SHORT;
  const std::shared_ptr<const binlog::TableMap> shared = map;
  // One row (7, 5): null bitmap, INT, SMALLINT.
  const std::vector<uint8_t> present = {0x03};
  const std::vector<uint8_t> row = {0x00, 0x07, 0, 0, 0, 0x05, 0x00};
  auto rowsItem = [&](uint64_t txn_start, uint64_t event_end) {
    binlog::RowsEvent event;
    event.header.kind = binlog::RowsKind::Write;
    event.header.width = 2;
    event.header.present = binlog::ColumnBitmap(present, 2);
    event.header.rows = row;
    event.table = shared;
    return RowsItem{{},
                    std::move(event),
                    std::make_shared<const checkpoint::Checkpoint>(
                        checkpoint::Checkpoint{"bin.000001", txn_start, 0}),
                    event_end,
                    1,
                    0,
                    ""};
  };
  std::vector<SourceItem> items;
  items.emplace_back(rowsItem(100, 200));
  items.emplace_back(
      SchemaChange{"ALTER TABLE item RENAME COLUMN qty TO quantity", "shop", "bin.000001", 300});
  items.emplace_back(rowsItem(400, 500));
  const std::vector<PublishItem> published = transformAll(std::move(items), nullptr, &history);
  std::filesystem::remove_all(dir);
  ASSERT_EQ(published.size(), 2u);
  EXPECT_NE(published[0].body().find(R"("values":{"id":7,"qty":5})"), std::string::npos)
      << published[0].body();
  EXPECT_NE(published[1].body().find(R"("values":{"id":7,"quantity":5})"), std::string::npos)
      << published[1].body();
}

// A table whose TABLE_MAP logged everything (binlog_row_metadata=FULL): shop.item (id INT primary
// key, qty SMALLINT), and a rows event of `rows` rows (7, 5) in the transaction at `txn_start`.
// `image` keeps the row bytes the event views.
RowsItem fullMetadataRows(uint64_t txn_start, uint64_t event_end, int rows, uint64_t skip_rows,
                          std::vector<uint8_t>& image) {
  auto map = std::make_shared<binlog::TableMap>();
  map->database = "shop";
  map->table = "item";
  map->has_column_names = map->has_primary_key = true;
  map->primary_key = {0};
  map->columns.resize(2);
  map->columns[0].type = map->columns[0].real_type = binlog::MYSQL_TYPE_LONG;
  map->columns[1].type = map->columns[1].real_type = binlog::MYSQL_TYPE_SHORT;
  map->columns[0].name = "id";
  map->columns[1].name = "qty";
  for (auto& column : map->columns) {
    column.has_signedness = true;
  }
  static const std::vector<uint8_t> kPresent = {0x03};
  const std::vector<uint8_t> row = {0x00, 0x07, 0,   0,
                                    0,    0x05, 0x00};  // null bitmap, INT 7, SMALLINT 5
  for (int i = 0; i < rows; ++i) {
    image.insert(image.end(), row.begin(), row.end());
  }
  binlog::RowsEvent event;
  event.header.kind = binlog::RowsKind::Write;
  event.header.width = 2;
  event.header.present = binlog::ColumnBitmap(kPresent, 2);
  event.header.rows = image;
  event.table = std::move(map);
  return RowsItem{{},
                  std::move(event),
                  std::make_shared<const checkpoint::Checkpoint>(
                      checkpoint::Checkpoint{"bin.000001", txn_start, 0}),
                  event_end,
                  1,
                  skip_rows,
                  ""};
}

// The transaction at bin.000001:100 (one rows event of `rows` rows, none when 0) ends at 300, and
// a restart resumed inside it with `rows_done`.
Status transformResumed(int rows, uint64_t rows_done, std::vector<PublishItem>& published) {
  std::vector<uint8_t> image;
  std::vector<SourceItem> items;
  if (rows > 0) {
    items.emplace_back(fullMetadataRows(100, 200, rows, rows_done, image));
  }
  items.emplace_back(TransactionEnd{
      std::make_shared<const checkpoint::Checkpoint>(checkpoint::Checkpoint{"bin.000001", 300, 0}),
      std::make_shared<const checkpoint::Checkpoint>(
          checkpoint::Checkpoint{"bin.000001", 100, rows_done})});
  return transform(std::move(items), nullptr, nullptr, published,
                   "state file /var/lib/mysql-monitor/position");
}

TEST(TransformerStage, ARestartInsideATransactionSkipsTheRowsDone) {
  std::vector<PublishItem> published;
  Status status = transformResumed(3, 2, published);
  ASSERT_TRUE(status.isOk()) << status.toString();
  ASSERT_EQ(published.size(), 2u) << "the third row, then the transaction's end";
  EXPECT_EQ(published[0].messageId(), "bin.000001:200:2");
  EXPECT_EQ(published[0].after(), (checkpoint::Checkpoint{"bin.000001", 100, 3}));
  EXPECT_FALSE(published[1].isMessage());
  // All rows done: the checkpoint was saved before the transaction's end mark; nothing to publish.
  published.clear();
  ASSERT_TRUE(transformResumed(3, 3, published).isOk());
  ASSERT_EQ(published.size(), 1u);
  EXPECT_FALSE(published[0].isMessage());
}

// Issue 16, item 8: rows_done beyond the transaction skipped it whole, silently.
TEST(TransformerStage, RowsDoneBeyondTheResumedTransactionIsCorruption) {
  std::vector<PublishItem> published;
  Status status = transformResumed(2, 5, published);
  EXPECT_EQ(status.code(), StatusCode::Corruption);
  EXPECT_NE(status.message().find(
                "state file /var/lib/mysql-monitor/position resumes inside the transaction at "
                "bin.000001:100 with rows_done=5, but that transaction holds 2 rows of the "
                "published tables"),
            std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("Edit it to rows_done=0"), std::string::npos) << status.message();
  EXPECT_TRUE(std::none_of(published.begin(), published.end(),
                           [](const PublishItem& p) { return p.isMessage(); }));
  // A transaction without rows (a DDL) holds none.
  Status empty = transformResumed(0, 1, published);
  EXPECT_EQ(empty.code(), StatusCode::Corruption);
  EXPECT_NE(empty.message().find("with rows_done=1, but that transaction holds 0 rows:"),
            std::string::npos)
      << empty.message();
}

}  // namespace
}  // namespace mm::pipeline
