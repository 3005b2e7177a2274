// FileSource: an EventSource that replays a binlog file's events, for stage tests over recorded
// binlogs. Header-only so it needs no build change.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "binlog/binlog_file.h"
#include "mysql/event_source.h"

namespace mm::test {

// Replays the events of a binlog file from its start at every open, then ends the script. With
// `cut_after` > 0, the first connection fails (Io) after that many events.
class FileSource final : public mysql::EventSource {
 public:
  explicit FileSource(std::vector<uint8_t> bytes, size_t cut_after = 0)
      : bytes_(std::move(bytes)), cut_after_(cut_after) {}
  Status open(const mysql::StreamStart& start) override {
    opened.push_back(start);
    auto file = binlog::BinlogFile::open(bytes_);
    if (!file.isOk()) {
      return file.status();
    }
    file_.emplace(*file);
    return Status::ok();
  }
  Result<std::span<const uint8_t>> next() override {
    if (cut_after_ > 0 && opened.size() == 1 && served_++ == cut_after_) {
      return Status::io("connection cut by the test");
    }
    auto event = file_->next();
    if (!event.isOk()) {
      return event.status();
    }
    if (!event->has_value()) {
      return Status::invalidArgument("end of file");
    }
    return **event;
  }
  // A file's events are all there: the reader never waits for more (so it marks no idle point,
  // TransactionTracker::passIdle), as with a server that streams a backlog.
  bool inputReady() override { return true; }
  void interrupt() override {}
  bool checksumBeforeFormatDescription() const override { return false; }
  bool positionLost() const override { return false; }
  Result<mysql::StreamStart> currentPosition() override {
    return mysql::StreamStart{binlog::Position{"x", 4}};
  }

  std::vector<mysql::StreamStart> opened;

 private:
  std::vector<uint8_t> bytes_;
  size_t cut_after_;
  size_t served_ = 0;
  std::optional<binlog::BinlogFile> file_;
};

}  // namespace mm::test
