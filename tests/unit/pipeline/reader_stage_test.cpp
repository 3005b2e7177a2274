// The reader stage against a scripted EventSource: what it does when the server refuses the
// saved position, under each [mysql] on_position_lost policy; and over recorded binlogs, the
// coordinates and GTIDs it hands on (compressed transactions included).
#include "pipeline/reader_stage.h"

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <iterator>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "binlog/binlog_file.h"
#include "support/fake_clock.h"
#include "support/file_event_source.h"
#include "support/fixtures.h"

namespace mm::pipeline {
namespace {

using test::FileSource;

// Refuses the first position it is opened at, as a server whose binlog was purged does, and ends
// the script at any later open.
class PurgedSource final : public mysql::EventSource {
 public:
  Status open(const mysql::StreamStart& start) override {
    opened.push_back(start.position);
    position_lost_ = false;  // as BinlogStream: the flag describes the last open's outcome
    if (opened.size() > 1) {
      return Status::invalidArgument("end of script");
    }
    return Status::ok();
  }
  Result<std::span<const uint8_t>> next() override {
    position_lost_ = true;
    return Status::protocol(
        "error 1236: Could not find first log file name in binary log index file");
  }
  void interrupt() override {}
  bool checksumBeforeFormatDescription() const override { return true; }
  bool positionLost() const override { return position_lost_; }
  Result<mysql::StreamStart> currentPosition() override {
    return mysql::StreamStart{binlog::Position{"mysql-bin.000009", 342}, "0-1-77"};
  }

  std::vector<binlog::Position> opened;

 private:
  bool position_lost_ = false;
};

// Moves the items of the batches queued within `timeout` to the end of `items`; how many.
size_t takeItems(BoundedQueue<SourceBatch>& queue, std::vector<SourceItem>& items,
                 std::chrono::milliseconds timeout) {
  std::vector<SourceBatch> batches;
  queue.popAllFor(batches, SIZE_MAX, timeout);
  const size_t before = items.size();
  for (SourceBatch& batch : batches) {
    std::move(batch.begin(), batch.end(), std::back_inserter(items));
  }
  return items.size() - before;
}

std::vector<SourceItem> drain(BoundedQueue<SourceBatch>& queue) {
  std::vector<SourceItem> items;
  while (takeItems(queue, items, std::chrono::milliseconds{0}) > 0) {
  }
  return items;
}

TEST(ReaderStage, LostPositionFailsByDefault) {
  metrics::Stats stats;
  test::FakeClock clock;
  PurgedSource source;
  BoundedQueue<SourceBatch> queue(16, 1 << 20);
  ReaderStage reader(source, queue, stats, clock, ReaderOptions{});
  const Status status =
      reader.run(checkpoint::Checkpoint{"mysql-bin.000001", 1234, 2}, std::stop_token{});
  EXPECT_EQ(status.code(), StatusCode::Protocol);
  EXPECT_NE(status.message().find("1236"), std::string::npos);
  EXPECT_TRUE(drain(queue).empty()) << "nothing may be published past a lost position";
  EXPECT_EQ(source.opened.size(), 1u) << "a lost position is not retried";
}

TEST(ReaderStage, LostPositionWithCurrentPolicyQueuesOneGapAndResumesThere) {
  metrics::Stats stats;
  test::FakeClock clock;
  PurgedSource source;
  BoundedQueue<SourceBatch> queue(16, 1 << 20);
  ReaderOptions options;
  options.on_position_lost = PositionLostPolicy::ResumeAtCurrent;
  ReaderStage reader(source, queue, stats, clock, options);
  const Status status =
      reader.run(checkpoint::Checkpoint{"mysql-bin.000001", 1234, 2}, std::stop_token{});
  EXPECT_EQ(status.message(), "end of script");

  const auto items = drain(queue);
  ASSERT_EQ(items.size(), 1u);
  const auto* gap = std::get_if<PositionGap>(&items[0]);
  ASSERT_NE(gap, nullptr);
  EXPECT_EQ(gap->from, (checkpoint::Checkpoint{"mysql-bin.000001", 1234, 0}));
  EXPECT_EQ(gap->to, (checkpoint::Checkpoint{"mysql-bin.000009", 342, 0, "0-1-77"}));
  ASSERT_EQ(source.opened.size(), 2u);
  EXPECT_EQ(source.opened[1], (binlog::Position{"mysql-bin.000009", 342}));
  EXPECT_EQ(metrics::get(stats.position_gaps), 1u);
}

// A live server gone quiet: serves a file's events, then waits in next() until interrupted.
class QuietAfterFileSource final : public mysql::EventSource {
 public:
  explicit QuietAfterFileSource(std::vector<uint8_t> bytes) : file_source_(std::move(bytes)) {}
  Status open(const mysql::StreamStart& start) override { return file_source_.open(start); }
  Result<std::span<const uint8_t>> next() override {
    auto event = file_source_.next();
    if (event.isOk() || event.status().message() != "end of file") {
      return event;
    }
    std::unique_lock lock(mutex_);
    interrupted_cv_.wait(lock, [&] { return interrupted_; });
    return Status::cancelled("interrupted");
  }
  void interrupt() override {
    std::lock_guard lock(mutex_);
    interrupted_ = true;
    interrupted_cv_.notify_all();
  }
  bool checksumBeforeFormatDescription() const override { return false; }
  bool positionLost() const override { return false; }
  Result<mysql::StreamStart> currentPosition() override { return file_source_.currentPosition(); }

 private:
  FileSource file_source_;
  std::mutex mutex_;
  std::condition_variable interrupted_cv_;
  bool interrupted_ = false;
};

// Items go over in batches, but never stay behind while the reader waits for a quiet server: every
// transaction read is in the queue before the next event arrives.
TEST(ReaderStage, HandsEverythingOnBeforeWaitingForAQuietServer) {
  metrics::Stats stats;
  test::FakeClock clock;
  MM_REQUIRE_FIXTURE(bytes, "mysql-binlog-connector-rust/mysql-bin.000057");
  // What the reader hands on when the source ends instead (the run's end flushes).
  FileSource ending(bytes);
  BoundedQueue<SourceBatch> all(1024, 1 << 24);
  EXPECT_EQ(ReaderStage(ending, all, stats, clock, ReaderOptions{})
                .run(checkpoint::Checkpoint{"mysql-bin.000057", 4, 0}, std::stop_token{})
                .message(),
            "end of file");
  const std::vector<SourceItem> expected = drain(all);
  ASSERT_GT(expected.size(), 3u);
  auto rowsIn = [](const std::vector<SourceItem>& items) {
    return std::count_if(items.begin(), items.end(),
                         [](const SourceItem& i) { return std::holds_alternative<RowsItem>(i); });
  };
  auto lastEnd = [](const std::vector<SourceItem>& items) -> checkpoint::Checkpoint {
    for (auto it = items.rbegin(); it != items.rend(); ++it) {
      if (const auto* end = std::get_if<TransactionEnd>(&*it)) {
        return *end->next;
      }
    }
    return {};
  };

  QuietAfterFileSource quiet(bytes);
  BoundedQueue<SourceBatch> queue(1024, 1 << 24);
  ReaderStage reader(quiet, queue, stats, clock, ReaderOptions{});
  Status ended;
  std::jthread running([&](std::stop_token stop) {
    ended = reader.run(checkpoint::Checkpoint{"mysql-bin.000057", 4, 0}, stop);
  });
  // Everything, the last transaction's end included, arrives while the reader waits. (Waiting,
  // it may also mark where it is between transactions: TransactionTracker::passIdle.)
  std::vector<SourceItem> received;
  while (rowsIn(received) < rowsIn(expected) || lastEnd(received) != lastEnd(expected)) {
    if (takeItems(queue, received, std::chrono::seconds{5}) == 0) {
      break;
    }
  }
  EXPECT_EQ(rowsIn(received), rowsIn(expected))
      << "items held back while the reader waits for the server";
  EXPECT_EQ(lastEnd(received), lastEnd(expected));
  ASSERT_FALSE(received.empty());
  EXPECT_TRUE(std::holds_alternative<TransactionEnd>(received.back()));
  running.request_stop();
  running.join();
  EXPECT_TRUE(ended.isOk()) << ended.toString();
}

// MySQL 8.0.31 with GTIDs and binlog_transaction_compression=ON: a DDL, then two compressed
// transactions, the second with two rows events (MANIFEST).
TEST(ReaderStage, HandsOnCompressedTransactionsWithTheirGtidsAndTheGtidSet) {
  metrics::Stats stats;
  test::FakeClock clock;
  MM_REQUIRE_FIXTURE(bytes, "mysql-binlog-connector-rust/mysql-bin.000057");
  FileSource source(bytes);
  BoundedQueue<SourceBatch> queue(1024, 1 << 24);
  ReaderStage reader(source, queue, stats, clock, ReaderOptions{});
  const Status status =
      reader.run(checkpoint::Checkpoint{"mysql-bin.000057", 4, 0}, std::stop_token{});
  EXPECT_EQ(status.message(), "end of file");

  const std::string uuid = "76f3e7be-6720-11ed-9cad-0242ac110002";
  std::vector<const RowsItem*> rows;
  std::vector<checkpoint::Checkpoint> ends;
  std::vector<const checkpoint::Checkpoint*> shared_ends;
  const auto items = drain(queue);
  for (const SourceItem& item : items) {
    if (const auto* r = std::get_if<RowsItem>(&item)) {
      rows.push_back(r);
    } else if (const auto* end = std::get_if<TransactionEnd>(&item)) {
      ends.push_back(*end->next);
      shared_ends.push_back(end->next.get());
    }
  }
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]->gtid, uuid + ":12");
  EXPECT_EQ(rows[0]->txn_start->offset, 378u) << "a transaction starts at its GTID event";
  EXPECT_EQ(rows[0]->event_end, 651u) << "inner events end where their payload ends";
  EXPECT_EQ(rows[0]->txn_start->gtid_set, uuid + ":1-11");
  EXPECT_EQ(rows[0]->event.table->table, "b");
  for (const RowsItem* second : {rows[1], rows[2]}) {
    EXPECT_EQ(second->gtid, uuid + ":13");
    EXPECT_EQ(second->txn_start->offset, 651u);
    EXPECT_EQ(second->event_end, 1283u);
    EXPECT_EQ(second->event.table->table, "test_table_3");
  }
  EXPECT_EQ(rows[1]->event.header.kind, binlog::RowsKind::Update);
  EXPECT_EQ(rows[2]->event.header.kind, binlog::RowsKind::Write);
  ASSERT_EQ(ends.size(), 3u) << "the DDL and both compressed transactions end";
  // One checkpoint object per transaction: the end of one is the start its successor's rows carry.
  EXPECT_EQ(rows[0]->txn_start.get(), shared_ends[0]);
  EXPECT_EQ(rows[1]->txn_start.get(), shared_ends[1]);
  EXPECT_EQ(rows[2]->txn_start.get(), rows[1]->txn_start.get());
  EXPECT_EQ(ends[0], (checkpoint::Checkpoint{"mysql-bin.000057", 378, 0, uuid + ":1-11"}));
  EXPECT_EQ(ends[1], (checkpoint::Checkpoint{"mysql-bin.000057", 651, 0, uuid + ":1-12"}));
  EXPECT_EQ(ends[2], (checkpoint::Checkpoint{"mysql-bin.000057", 1283, 0, uuid + ":1-13"}));
}

// MariaDB 10.5: GTID_LIST at the file start, then GTID events open the transactions.
TEST(ReaderStage, FollowsMariadbGtidsFromTheFilesGtidList) {
  metrics::Stats stats;
  test::FakeClock clock;
  MM_REQUIRE_FIXTURE(bytes, "rust-mysql-common/mariadb-bin.000001");
  FileSource source(bytes);
  BoundedQueue<SourceBatch> queue(4096, 1 << 26);
  ReaderStage reader(source, queue, stats, clock, ReaderOptions{});
  const Status status =
      reader.run(checkpoint::Checkpoint{"mariadb-bin.000001", 4, 0}, std::stop_token{});
  EXPECT_EQ(status.message(), "end of file");
  std::string last_gtid;
  std::string last_set;
  size_t rows = 0;
  for (const SourceItem& item : drain(queue)) {
    if (const auto* r = std::get_if<RowsItem>(&item)) {
      ++rows;
      EXPECT_FALSE(r->gtid.empty()) << "every MariaDB transaction has a GTID";
      last_gtid = r->gtid;
    } else if (const auto* end = std::get_if<TransactionEnd>(&item)) {
      last_set = end->next->gtid_set;
    }
  }
  ASSERT_GT(rows, 0u);
  EXPECT_FALSE(last_set.empty()) << "the GTID_LIST makes the set known";
  EXPECT_NE(last_set.find(last_gtid), std::string::npos) << last_set << " lacks " << last_gtid;
}

// resume_by = gtid: the stream opens after the checkpoint's GTID set and, after a lost link,
// reopens after the GTIDs of the transactions it completed since.
TEST(ReaderStage, OpensAndReopensByGtidSetWhenConfigured) {
  metrics::Stats stats;
  test::FakeClock clock;
  MM_REQUIRE_FIXTURE(bytes, "mysql-binlog-connector-rust/mysql-bin.000057");
  const std::string uuid = "76f3e7be-6720-11ed-9cad-0242ac110002";
  // FDE, PREVIOUS_GTIDS, GTID 11, DDL, GTID 12, payload 12, GTID 13: cut inside transaction 13.
  FileSource source(bytes, 7);
  BoundedQueue<SourceBatch> queue(1024, 1 << 24);
  ReaderOptions options;
  options.resume_by_gtid = true;
  // Ten seconds of backoff, in fake time: the wait is the clock's.
  options.min_reconnect_backoff = std::chrono::seconds(10);
  ReaderStage reader(source, queue, stats, clock, options);
  const Status status = reader.run(checkpoint::Checkpoint{"mysql-bin.000057", 4, 0, uuid + ":1-10"},
                                   std::stop_token{});
  EXPECT_EQ(status.message(), "end of file");
  ASSERT_EQ(source.opened.size(), 2u);
  EXPECT_EQ(source.opened[0].gtid_set, uuid + ":1-10");
  EXPECT_EQ(source.opened[1].gtid_set, uuid + ":1-12") << "reopens after what it completed";
  EXPECT_EQ(source.opened[1].position, (binlog::Position{"mysql-bin.000057", 651}))
      << "and knows the position too, for resuming by position";
  EXPECT_EQ(metrics::get(stats.source_reconnects), 1u);
  EXPECT_EQ(clock.waits(), 1) << "the backoff waits on the stage's clock";
  EXPECT_GE(clock.waited(), std::chrono::seconds(5)) << "half the backoff at least (jitter)";
}

TEST(ReaderStage, OpensByPositionByDefault) {
  metrics::Stats stats;
  test::FakeClock clock;
  MM_REQUIRE_FIXTURE(bytes, "mysql-binlog-connector-rust/mysql-bin.000057");
  FileSource source(bytes);
  BoundedQueue<SourceBatch> queue(1024, 1 << 24);
  ReaderStage reader(source, queue, stats, clock, ReaderOptions{});
  (void)reader.run(
      checkpoint::Checkpoint{"mysql-bin.000057", 4, 0, "76f3e7be-6720-11ed-9cad-0242ac110002:1-10"},
      std::stop_token{});
  ASSERT_EQ(source.opened.size(), 1u);
  EXPECT_FALSE(source.opened[0].byGtid());
  EXPECT_EQ(source.opened[0].position, (binlog::Position{"mysql-bin.000057", 4}));
}

}  // namespace
}  // namespace mm::pipeline
