#include "pipeline/snapshot_control.h"

#include <random>

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace mm::pipeline {

SnapshotControl::Answer SnapshotControl::request(std::vector<binlog::TableName> tables) {
  std::lock_guard lock(mutex_);
  if (!published_) {
    return {Outcome::Unavailable,
            "the monitor takes no snapshot requests now (it is starting, stopping or not "
            "streaming)",
            ""};
  }
  if (status_.running || pending_) {
    return {Outcome::Busy,
            fmt::format("snapshot {} is running ({} of {} tables done); cancel it first",
                        pending_ ? pending_->id : status_.id, status_.tables_done,
                        status_.tables_total),
            ""};
  }
  for (const auto& t : tables) {
    if (t.database.empty() || t.table.empty()) {
      return {Outcome::Invalid, "a table is named DATABASE.TABLE", ""};
    }
    if (!published_(t)) {
      return {Outcome::Invalid,
              fmt::format("{}.{} is not published ([mysql] database, tables, exclude_tables)",
                          t.database, t.table),
              ""};
    }
  }
  Request request{newSnapshotId(std::chrono::duration_cast<std::chrono::seconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count()),
                  std::move(tables)};
  Answer answer{
      Outcome::Accepted,
      fmt::format("snapshot {} accepted ({})", request.id,
                  request.tables.empty() ? std::string("every published table")
                                         : fmt::format("{} table(s)", request.tables.size())),
      request.id};
  pending_ = std::move(request);
  cancel_requested_ = false;
  return answer;
}

bool SnapshotControl::cancel() {
  std::lock_guard lock(mutex_);
  if (pending_) {
    pending_.reset();
    return true;
  }
  if (!status_.running) {
    return false;
  }
  cancel_requested_ = true;
  return true;
}

SnapshotStatus SnapshotControl::status() const {
  std::lock_guard lock(mutex_);
  if (pending_) {
    // Accepted and not yet taken: already the running one for whoever asks (a request is Busy).
    SnapshotStatus pending;
    pending.running = true;
    pending.id = pending_->id;
    return pending;
  }
  return status_;
}

void SnapshotControl::attach(std::function<bool(const binlog::TableName&)> published) {
  std::lock_guard lock(mutex_);
  published_ = std::move(published);
}

void SnapshotControl::detach() {
  std::lock_guard lock(mutex_);
  published_ = nullptr;
  pending_.reset();
  status_.running = false;
}

std::optional<SnapshotControl::Request> SnapshotControl::takeRequest() {
  std::lock_guard lock(mutex_);
  std::optional<Request> request = std::move(pending_);
  pending_.reset();
  if (request) {
    // Running from now on: a second request is Busy even before the worker's first update.
    status_ = SnapshotStatus{};
    status_.running = true;
    status_.id = request->id;
  }
  return request;
}

bool SnapshotControl::takeCancel() {
  std::lock_guard lock(mutex_);
  const bool requested = cancel_requested_;
  cancel_requested_ = false;
  return requested;
}

void SnapshotControl::update(const SnapshotStatus& status) {
  std::lock_guard lock(mutex_);
  status_ = status;
}

std::string newSnapshotId(int64_t unix_seconds) {
  static std::mt19937 random{std::random_device{}()};
  static std::mutex mutex;
  uint32_t suffix = 0;
  {
    std::lock_guard lock(mutex);
    suffix = random() & 0xffff;
  }
  const std::time_t t = unix_seconds;
  return fmt::format("{:%Y%m%dT%H%M%SZ}-{:04x}", fmt::gmtime(t), suffix);
}

}  // namespace mm::pipeline
