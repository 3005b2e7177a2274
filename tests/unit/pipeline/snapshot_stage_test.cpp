// The snapshot worker (pipeline/snapshot_stage.h) against a fake SnapshotSource and a fake
// transformer that gives each chunk a verdict: the items it hands on per table and chunk, the
// progress each carries (what a restart continues from), a re-read, a restart after a DDL that
// changed the table's columns, a table that cannot be read, throttling, cancel, and resuming
// saved progress.
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "pipeline/snapshot_stage.h"
#include "support/fake_clock.h"

namespace mm::pipeline {
namespace {

using Kind = SnapshotEvent::Kind;
using Outcome = ChunkFeedback::Outcome;

// Tables of integer keys 1..rows; a chunk after key "N" holds the next keys.
class FakeSource final : public mysql::SnapshotSource {
 public:
  std::map<std::string, uint64_t> rows;  // "db.table" -> row count; absent = no such table
  int describes = 0;
  std::vector<std::string> afters;       // the `after` of every readChunk, in order
  int extra_column_after_describes = 0;  // from this describe on, the table has one more column

  Result<std::vector<binlog::TableName>> listTables(const std::vector<std::string>&) override {
    std::vector<binlog::TableName> out;
    for (const auto& [name, count] : rows) {
      out.push_back({name.substr(0, name.find('.')), name.substr(name.find('.') + 1)});
    }
    return out;
  }
  Result<mysql::SnapshotTable> describe(const binlog::TableName& table) override {
    ++describes;
    if (!rows.contains(table.database + "." + table.table)) {
      return Status::invalidArgument("no table " + table.table);
    }
    auto map = std::make_shared<binlog::TableMap>();
    map->database = table.database;
    map->table = table.table;
    map->columns.resize(
        extra_column_after_describes != 0 && describes >= extra_column_after_describes ? 2 : 1);
    map->primary_key = {0};
    mysql::SnapshotTable out;
    out.name = table;
    out.map = map;
    out.estimated_rows = rows[table.database + "." + table.table];
    return out;
  }
  Result<mysql::SnapshotChunk> readChunk(const mysql::SnapshotTable& table, std::string_view after,
                                         size_t limit) override {
    afters.emplace_back(after);
    const uint64_t total = rows[table.name.database + "." + table.name.table];
    const uint64_t first = after.empty() ? 1 : std::stoull(std::string(after)) + 1;
    mysql::SnapshotChunk chunk;
    uint64_t key = first;
    for (; key <= total && chunk.rows.size() < limit; ++key) {
      chunk.rows.emplace_back(table.map->columns.size());
    }
    chunk.last_key = chunk.rows.empty() ? "" : std::to_string(key - 1);
    chunk.end_of_table = chunk.rows.size() < limit;
    chunk.high_watermark = {"bin.000001", 100};
    return chunk;
  }
  Result<mysql::SnapshotChunk> readKeys(const mysql::SnapshotTable&,
                                        const std::vector<std::string>&) override {
    return mysql::SnapshotChunk{};
  }
};

struct Handed {
  Kind kind;
  std::string table;
  uint64_t rows = 0;  // ChunkRows: rows; TableStart/End: count
  std::shared_ptr<const checkpoint::SnapshotProgress> progress;
};

// Runs the worker until it has handed on `Finished` (or `max_items` items); `verdict` decides each
// chunk's outcome (by the number of chunks seen so far).
class Harness {
 public:
  FakeSource source;
  SnapshotControl control;
  test::FakeClock clock;
  metrics::Stats stats;
  SnapshotOptions options;
  std::function<Outcome(int chunk_index)> verdict = [](int) { return Outcome::Emitted; };

  std::vector<Handed> run(std::shared_ptr<const checkpoint::SnapshotProgress> resume = nullptr,
                          bool first_start = true, size_t max_items = 1000) {
    BoundedQueue<SourceBatch> queue(16, 1 << 24);
    ChunkFeedback feedback;
    SnapshotStage stage(source, queue, feedback, control, TableFilterOptions{}, stats, clock,
                        options);
    std::jthread worker([&](std::stop_token stop) { (void)stage.run(resume, first_start, stop); });
    std::vector<Handed> handed;
    int chunks = 0;
    while (handed.size() < max_items) {
      auto batch = queue.popFor(std::chrono::milliseconds(5000));
      if (!batch) {
        ADD_FAILURE() << "the worker handed on nothing for 5 s";
        break;
      }
      const SnapshotEvent& event = *std::get<SnapshotItem>(batch->front()).event;
      if (event.kind == Kind::ChunkOpen) {
        continue;
      }
      handed.push_back({event.kind, event.table.table,
                        event.kind == Kind::ChunkRows ? event.rows.rows.size() : event.count,
                        event.progress});
      if (event.kind == Kind::ChunkRows) {
        const Outcome outcome = verdict(chunks++);
        feedback.report(event.chunk,
                        {outcome, outcome == Outcome::Emitted ? event.rows.rows.size() : 0});
      }
      if (event.kind == Kind::Finished) {
        break;
      }
    }
    worker.request_stop();
    queue.close();
    return handed;
  }
};

std::string kinds(const std::vector<Handed>& handed) {
  std::string out;
  for (const auto& h : handed) {
    static const char* names[] = {"start", "open", "rows", "end", "finished"};
    out += (out.empty() ? "" : " ") + std::string(names[static_cast<int>(h.kind)]);
    if (h.kind == Kind::ChunkRows) {
      out += ":" + std::to_string(h.rows);
    }
  }
  return out;
}

TEST(SnapshotStage, InitialSnapshotReadsEveryTableChunkByChunkWithItsProgress) {
  Harness h;
  h.source.rows = {{"shop.a", 5}, {"shop.b", 2}};
  h.options.mode = SnapshotOptions::Mode::Initial;
  h.options.chunk_rows = 2;
  const std::vector<Handed> handed = h.run();
  EXPECT_EQ(kinds(handed), "start rows:2 rows:2 rows:1 end start rows:2 rows:0 end finished");
  // After a chunk is confirmed, a restart continues after its last key.
  ASSERT_EQ(handed.size(), 10u);
  EXPECT_EQ(handed[2].progress->after_key, "4");
  EXPECT_EQ(handed[2].progress->rows_done, 4u);
  EXPECT_EQ(handed[2].progress->tables.size(), 2u);
  EXPECT_TRUE(handed[2].progress->table_started);
  // After snapshot_end: the next table, from its start.
  EXPECT_EQ(handed[4].rows, 5u);
  ASSERT_EQ(handed[4].progress->tables.size(), 1u);
  EXPECT_EQ(handed[4].progress->tables[0].table, "b");
  EXPECT_EQ(handed[4].progress->after_key, "");
  EXPECT_TRUE(handed.back().progress->tables.empty()) << "the end clears the saved progress";
  EXPECT_EQ(metrics::get(h.stats.snapshot_rows), 7u);
  EXPECT_EQ(h.control.status().rows_total, 7u);
  EXPECT_FALSE(h.control.status().running);
}

TEST(SnapshotStage, NeverModeWaitsForARequest) {
  Harness h;
  h.source.rows = {{"shop.a", 1}};
  auto answer = h.control.request({});
  EXPECT_EQ(answer.outcome, SnapshotControl::Outcome::Unavailable) << "no worker attached yet";
  std::thread requester([&] {
    while (h.control.request({{"shop", "a"}}).outcome != SnapshotControl::Outcome::Accepted) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  const std::vector<Handed> handed = h.run(nullptr, /*first_start=*/false);
  requester.join();
  EXPECT_EQ(kinds(handed), "start rows:1 end finished");
}

TEST(SnapshotStage, AChunkTheStreamCouldNotCorrectIsReadAgainFromTheSameKey) {
  Harness h;
  h.source.rows = {{"shop.a", 3}};
  h.options.mode = SnapshotOptions::Mode::Initial;
  h.options.chunk_rows = 2;
  h.verdict = [](int chunk) { return chunk == 1 ? Outcome::Reread : Outcome::Emitted; };
  const std::vector<Handed> handed = h.run();
  EXPECT_EQ(kinds(handed), "start rows:2 rows:1 rows:1 end finished");
  EXPECT_EQ(h.source.afters, (std::vector<std::string>{"", "2", "2"}));
}

TEST(SnapshotStage, ADdlThatChangedTheColumnsStartsTheTableOver) {
  Harness h;
  h.source.rows = {{"shop.a", 3}};
  h.source.extra_column_after_describes = 2;
  h.options.mode = SnapshotOptions::Mode::Initial;
  h.options.chunk_rows = 2;
  h.verdict = [](int chunk) { return chunk == 1 ? Outcome::Restart : Outcome::Emitted; };
  const std::vector<Handed> handed = h.run();
  EXPECT_EQ(kinds(handed), "start rows:2 rows:1 start rows:2 rows:1 end finished");
  EXPECT_EQ(h.source.afters, (std::vector<std::string>{"", "2", "", "2"}));
}

TEST(SnapshotStage, ATableThatCannotBeReadIsSkippedAndReported) {
  Harness h;
  h.source.rows = {{"shop.b", 1}};
  h.options.mode = SnapshotOptions::Mode::Initial;
  std::thread requester;
  const std::vector<Handed> handed = [&] {
    // A request naming a table that does not exist, then one that does.
    return h.run(std::make_shared<const checkpoint::SnapshotProgress>(
        checkpoint::SnapshotProgress{"S", {{"shop", "gone"}, {"shop", "b"}}, "", 0, false}));
  }();
  EXPECT_EQ(kinds(handed), "start rows:1 end finished");
  ASSERT_EQ(h.control.status().errors.size(), 1u);
  EXPECT_NE(h.control.status().errors[0].find("shop.gone"), std::string::npos);
}

TEST(SnapshotStage, SavedProgressContinuesAfterTheLastConfirmedKey) {
  Harness h;
  h.source.rows = {{"shop.a", 5}};
  h.options.chunk_rows = 2;
  const std::vector<Handed> handed = h.run(std::make_shared<const checkpoint::SnapshotProgress>(
      checkpoint::SnapshotProgress{"S7", {{"shop", "a"}}, "2", 2, true}));
  EXPECT_EQ(kinds(handed), "rows:2 rows:1 end finished") << "no second snapshot_start";
  EXPECT_EQ(h.source.afters.front(), "2");
  EXPECT_EQ(handed[2].rows, 5u) << "snapshot_end counts the rows before the restart too";
}

TEST(SnapshotStage, MaxRowsPerSecondPacesTheChunks) {
  Harness h;
  h.source.rows = {{"shop.a", 100}};
  h.options.mode = SnapshotOptions::Mode::Initial;
  h.options.chunk_rows = 10;
  h.options.max_rows_per_second = 20;
  (void)h.run();
  // 100 rows at 20 rows/s: the waits span 5 s of (fake) time.
  EXPECT_GE(h.clock.waited(), std::chrono::seconds(5));
}

}  // namespace
}  // namespace mm::pipeline
