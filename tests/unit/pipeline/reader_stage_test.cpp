// The reader stage against a scripted EventSource: what it does when the server refuses the
// saved position, under each [mysql] on_position_lost policy.
#include "pipeline/reader_stage.h"

#include <deque>

#include <gtest/gtest.h>

#include "binlog/binlog_file.h"
#include "support/fixtures.h"

namespace mm::pipeline {
namespace {

// Refuses the first position it is opened at, as a server whose binlog was purged does, and ends
// the script at any later open.
class PurgedSource final : public mysql::EventSource {
 public:
  Status open(const binlog::Position& start) override {
    opened.push_back(start);
    position_lost_ = false;  // as BinlogStream: the flag describes the last open's outcome
    if (opened.size() > 1) {
      return Status::invalidArgument("end of script");
    }
    return Status::ok();
  }
  Result<std::span<const uint8_t>> next() override {
    position_lost_ = true;
    return Status::protocol("error 1236: Could not find first log file name in binary log index file");
  }
  void interrupt() override {}
  bool checksumBeforeFormatDescription() const override { return true; }
  bool positionLost() const override { return position_lost_; }
  Result<binlog::Position> currentPosition() override { return binlog::Position{"mysql-bin.000009", 342}; }

  std::vector<binlog::Position> opened;

 private:
  bool position_lost_ = false;
};

std::vector<SourceItem> drain(BoundedQueue<SourceItem>& queue) {
  std::vector<SourceItem> items;
  while (auto item = queue.pop(std::stop_token{})) {
    items.push_back(std::move(*item));
  }
  return items;
}

TEST(ReaderStage, LostPositionFailsByDefault) {
  PurgedSource source;
  BoundedQueue<SourceItem> queue(16, 1 << 20);
  ReaderStage reader(source, queue, ReaderOptions{});
  const Status status = reader.run(checkpoint::Checkpoint{"mysql-bin.000001", 1234, 2}, std::stop_token{});
  EXPECT_EQ(status.code(), StatusCode::Protocol);
  EXPECT_NE(status.message().find("1236"), std::string::npos);
  EXPECT_TRUE(drain(queue).empty()) << "nothing may be published past a lost position";
  EXPECT_EQ(source.opened.size(), 1u) << "a lost position is not retried";
}

TEST(ReaderStage, LostPositionWithCurrentPolicyQueuesOneGapAndResumesThere) {
  PurgedSource source;
  BoundedQueue<SourceItem> queue(16, 1 << 20);
  ReaderOptions options;
  options.on_position_lost = PositionLostPolicy::ResumeAtCurrent;
  ReaderStage reader(source, queue, options);
  const Status status = reader.run(checkpoint::Checkpoint{"mysql-bin.000001", 1234, 2}, std::stop_token{});
  EXPECT_EQ(status.message(), "end of script");

  const auto items = drain(queue);
  ASSERT_EQ(items.size(), 1u);
  const auto* gap = std::get_if<PositionGap>(&items[0]);
  ASSERT_NE(gap, nullptr);
  EXPECT_EQ(gap->from, (checkpoint::Checkpoint{"mysql-bin.000001", 1234, 0}));
  EXPECT_EQ(gap->to, (checkpoint::Checkpoint{"mysql-bin.000009", 342, 0}));
  ASSERT_EQ(source.opened.size(), 2u);
  EXPECT_EQ(source.opened[1], (binlog::Position{"mysql-bin.000009", 342}));
  EXPECT_EQ(reader.stats().position_gaps, 1u);
}

// Replays the events of a binlog file, then ends the script.
class FileSource final : public mysql::EventSource {
 public:
  explicit FileSource(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}
  Status open(const binlog::Position&) override {
    auto file = binlog::BinlogFile::open(bytes_);
    if (!file.isOk()) {
      return file.status();
    }
    file_.emplace(*file);
    return Status::ok();
  }
  Result<std::span<const uint8_t>> next() override {
    auto event = file_->next();
    if (!event.isOk()) {
      return event.status();
    }
    if (!event->has_value()) {
      return Status::invalidArgument("end of file");
    }
    return **event;
  }
  void interrupt() override {}
  bool checksumBeforeFormatDescription() const override { return false; }
  bool positionLost() const override { return false; }
  Result<binlog::Position> currentPosition() override { return binlog::Position{"x", 4}; }

 private:
  std::vector<uint8_t> bytes_;
  std::optional<binlog::BinlogFile> file_;
};

TEST(ReaderStage, CompressedTransactionStopsTheStreamInsteadOfLosingItsRows) {
  MM_REQUIRE_FIXTURE(bytes, "mysql-binlog-connector-java/mysql-bin.compressed");
  FileSource source(bytes);
  BoundedQueue<SourceItem> queue(1024, 1 << 24);
  ReaderStage reader(source, queue, ReaderOptions{});
  const Status status = reader.run(checkpoint::Checkpoint{"mysql-bin.compressed", 4, 0}, std::stop_token{});
  EXPECT_EQ(status.code(), StatusCode::Unsupported) << status.toString();
  EXPECT_NE(status.message().find("binlog_transaction_compression"), std::string::npos) << status.toString();
}

}  // namespace
}  // namespace mm::pipeline
