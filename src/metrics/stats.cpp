#include "metrics/stats.h"

namespace mm::metrics {

void Stats::setReadFile(std::string_view file) {
  std::lock_guard lock(mutex_);
  read_file_ = file;
}

std::string Stats::readFile() const {
  std::lock_guard lock(mutex_);
  return read_file_;
}

void Stats::noteFileCreated(std::string_view file, int64_t created_unix) {
  std::lock_guard lock(mutex_);
  file_created_.insert_or_assign(std::string(file), created_unix);
  // Binlog names carry a zero-padded sequence number, so the smallest name is the oldest file.
  while (file_created_.size() > kMaxKnownFiles) {
    file_created_.erase(file_created_.begin());
  }
}

std::optional<int64_t> Stats::fileCreated(std::string_view file) const {
  std::lock_guard lock(mutex_);
  auto it = file_created_.find(file);
  if (it == file_created_.end()) {
    return std::nullopt;
  }
  return it->second;
}

void Stats::setCheckpoint(SavedCheckpoint checkpoint) {
  std::lock_guard lock(mutex_);
  checkpoint_ = std::move(checkpoint);
}

std::optional<SavedCheckpoint> Stats::checkpoint() const {
  std::lock_guard lock(mutex_);
  return checkpoint_;
}

void Stats::setServerState(ServerBinlogState state) {
  std::lock_guard lock(mutex_);
  server_ = std::move(state);
}

std::optional<ServerBinlogState> Stats::serverState() const {
  std::lock_guard lock(mutex_);
  return server_;
}

}  // namespace mm::metrics
