#include "pipeline/snapshot_stage.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <iterator>

namespace mm::pipeline {
namespace {

// A chunk read again this often in a row (changes the stream cannot correct keep coming) fails
// its table rather than loop for ever.
constexpr int kMaxRereads = 20;
constexpr std::chrono::milliseconds kRequestPoll{200};

std::string tableText(const checkpoint::SnapshotProgress::Table& t) {
  return t.database + "." + t.table;
}

binlog::TableName nameOf(const checkpoint::SnapshotProgress& plan) {
  return {plan.tables.front().database, plan.tables.front().table};
}

bool sameColumns(const binlog::TableMap& a, const binlog::TableMap& b) {
  if (a.columns.size() != b.columns.size() || a.primary_key != b.primary_key) {
    return false;
  }
  for (size_t i = 0; i < a.columns.size(); ++i) {
    const auto& x = a.columns[i];
    const auto& y = b.columns[i];
    if (x.name != y.name || x.type != y.type || x.real_type != y.real_type ||
        x.metadata != y.metadata) {
      return false;
    }
  }
  return true;
}

}  // namespace

void ChunkFeedback::report(uint64_t chunk, Verdict verdict) {
  {
    std::lock_guard lock(mutex_);
    verdicts_[chunk] = verdict;
  }
  changed_.notify_all();
}

std::optional<ChunkFeedback::Verdict> ChunkFeedback::wait(uint64_t chunk, std::stop_token stop) {
  std::unique_lock lock(mutex_);
  if (!changed_.wait(lock, stop, [&] { return verdicts_.count(chunk) != 0; })) {
    return std::nullopt;
  }
  Verdict verdict = verdicts_[chunk];
  verdicts_.erase(verdicts_.begin(), verdicts_.upper_bound(chunk));
  return verdict;
}

Status SnapshotStage::run(std::shared_ptr<const checkpoint::SnapshotProgress> resume,
                          bool first_start, std::stop_token stop) {
  control_.attach(
      [this](const binlog::TableName& t) { return filter_.passes(t.database, t.table); });
  bool running = true;
  if (resume != nullptr && !resume->tables.empty()) {
    spdlog::info("snapshot {}: continuing with {} table(s) at {}", resume->id,
                 resume->tables.size(), tableText(resume->tables.front()));
    running = runSnapshot(*resume, stop);
  } else if (first_start && options_.mode == SnapshotOptions::Mode::Initial) {
    if (auto plan = newPlan(newSnapshotId(unixSeconds(clock_.now())), {}, stop)) {
      running = runSnapshot(std::move(*plan), stop);
    }
  }
  while (running && !stop.stop_requested() && !out_.closed()) {
    if (auto request = control_.takeRequest()) {
      if (auto plan = newPlan(request->id, request->tables, stop)) {
        running = runSnapshot(std::move(*plan), stop);
      }
      continue;
    }
    (void)control_.takeCancel();  // nothing runs: nothing to cancel
    clock_.waitFor(kRequestPoll, stop);
  }
  control_.detach();
  return Status::cancelled("stopped");
}

std::optional<checkpoint::SnapshotProgress> SnapshotStage::newPlan(
    std::string id, const std::vector<binlog::TableName>& named, std::stop_token stop) {
  Progress plan;
  plan.id = std::move(id);
  std::vector<binlog::TableName> tables = named;
  if (tables.empty()) {
    auto listed = retried(
        "list the published tables", [&] { return source_.listTables(filter_options_.databases); },
        stop);
    if (!listed) {
      return std::nullopt;
    }
    if (!listed->isOk()) {
      spdlog::error("snapshot {}: cannot list the tables: {}", plan.id,
                    listed->status().toString());
      return std::nullopt;
    }
    for (const auto& t : **listed) {
      if (filter_.passes(t.database, t.table)) {
        tables.push_back(t);
      }
    }
  }
  for (const auto& t : tables) {
    plan.tables.push_back({t.database, t.table});
  }
  spdlog::info("snapshot {}: {} table(s)", plan.id, plan.tables.size());
  return plan;
}

bool SnapshotStage::runSnapshot(Progress plan, std::stop_token stop) {
  status_ = SnapshotStatus{};
  status_.running = true;
  status_.id = plan.id;
  status_.tables_total = plan.tables.size();
  status_.started_unix = unixSeconds(clock_.now());
  started_ = throttle_start_ = clock_.monotonicNow();
  throttled_rows_ = 0;
  bool cancelled = false;
  while (!plan.tables.empty()) {
    metrics::set<uint64_t>(stats_.snapshot_tables_remaining, plan.tables.size());
    const TableResult result = snapshotTable(plan, stop);
    if (result == TableResult::Stopped) {
      return false;
    }
    if (result == TableResult::Cancelled) {
      cancelled = true;
      break;
    }
    if (result == TableResult::Failed) {  // reported; the snapshot goes on without it
      plan.tables.erase(plan.tables.begin());
      plan.after_key.clear();
      plan.rows_done = 0;
      plan.table_started = false;
    }
    ++status_.tables_done;
  }
  // The progress cleared: a restart does not continue a finished (or cancelled) snapshot.
  auto finished = std::make_shared<SnapshotEvent>();
  finished->kind = SnapshotEvent::Kind::Finished;
  finished->snapshot_id = plan.id;
  Progress done;
  done.id = plan.id;
  finished->progress = std::make_shared<const Progress>(done);
  const bool handed = handOn(std::move(finished), stop);
  metrics::set<uint64_t>(stats_.snapshot_tables_remaining, 0);
  status_.running = false;
  status_.table.clear();
  control_.update(status_);
  spdlog::info("snapshot {} {}: {} rows of {} table(s)", plan.id,
               cancelled ? "cancelled" : "finished", status_.rows_total, status_.tables_done);
  return handed;
}

SnapshotStage::TableResult SnapshotStage::snapshotTable(Progress& plan, std::stop_token stop) {
  const binlog::TableName name = nameOf(plan);
  auto described = retried(
      "describe the table", [&] { return source_.describe(name); }, stop);
  if (!described) {
    return TableResult::Stopped;
  }
  if (!described->isOk()) {
    failTable(plan, described->status());
    return TableResult::Failed;
  }
  mysql::SnapshotTable table = std::move(**described);
  status_.table = tableText(plan.tables.front());
  status_.table_rows_done = plan.rows_done;
  status_.table_estimated_rows = table.estimated_rows;
  report(plan);
  spdlog::info("snapshot {}: table {} (about {} rows){}", plan.id, status_.table,
               table.estimated_rows, plan.after_key.empty() ? "" : ", continuing");
  const TableResult result = readChunks(plan, table, stop);
  if (result == TableResult::Done && !handOnTableEnd(plan, stop)) {
    return TableResult::Stopped;
  }
  return result;
}

namespace {

// Keys an update moved into the published part, to read again (each once).
void addRefreshKeys(checkpoint::SnapshotProgress& plan, std::vector<std::string> keys) {
  for (std::string& key : keys) {
    if (std::find(plan.refresh_keys.begin(), plan.refresh_keys.end(), key) ==
        plan.refresh_keys.end()) {
      plan.refresh_keys.push_back(std::move(key));
    }
  }
}

// A chunk went out as read: the keys it read again are done, or the plan moves past its rows.
// Whether it reached the end of the table.
bool chunkPublished(checkpoint::SnapshotProgress& plan, const std::vector<std::string>& keys,
                    const std::string& last_key, bool end_of_table) {
  if (!keys.empty()) {
    for (const std::string& key : keys) {
      std::erase(plan.refresh_keys, key);
    }
    return false;
  }
  if (!last_key.empty()) {
    plan.after_key = last_key;
  }
  return end_of_table;
}

}  // namespace

SnapshotStage::TableResult SnapshotStage::readChunks(Progress& plan, mysql::SnapshotTable& table,
                                                     std::stop_token stop) {
  int rereads = 0;
  bool done = false;
  next_log_ = plan.rows_done + std::max<uint64_t>(table.estimated_rows / 10, 1);
  while (true) {
    if (control_.takeCancel()) {
      return TableResult::Cancelled;
    }
    if (!plan.table_started && !handOnTableStart(plan, table, stop)) {
      return TableResult::Stopped;
    }
    if (!waitForPublisher(stop)) {
      return TableResult::Stopped;
    }
    // Rows a key change moved into the published part are read again first (by their keys).
    const std::vector<std::string> keys = plan.refresh_keys;
    if (keys.empty() && done) {
      return TableResult::Done;
    }
    ChunkRead read;
    auto verdict = handOnChunk(plan, table, keys.empty() ? nullptr : &keys, read, stop);
    if (!verdict) {
      return stop.stop_requested() || out_.closed() ? TableResult::Stopped : TableResult::Failed;
    }
    addRefreshKeys(plan, std::move(verdict->refresh_keys));
    if (verdict->outcome == ChunkFeedback::Outcome::Reread) {
      if (++rereads > kMaxRereads) {
        failTable(plan, Status::unsupported(fmt::format(
                            "a chunk was read {} times and the stream changed it each time in "
                            "ways it cannot correct (keys moved into it, or a table without a "
                            "key written to): snapshot it when quieter",
                            kMaxRereads)));
        return TableResult::Failed;
      }
      continue;
    }
    if (verdict->outcome == ChunkFeedback::Outcome::Restart) {
      if (auto ended = restartTable(plan, table, stop)) {
        return *ended;
      }
      continue;
    }
    rereads = 0;
    done = chunkPublished(plan, keys, read.last_key, read.end_of_table) || done;
    accountRows(plan, table, verdict->rows, stop);
  }
}

std::optional<SnapshotStage::TableResult> SnapshotStage::restartTable(Progress& plan,
                                                                      mysql::SnapshotTable& table,
                                                                      std::stop_token stop) {
  auto again = retried(
      "describe the table", [&] { return source_.describe(nameOf(plan)); }, stop);
  if (!again || !again->isOk()) {
    if (again) {
      failTable(plan, again->status());
    }
    return again ? TableResult::Failed : TableResult::Stopped;
  }
  if (!sameColumns(*table.map, *(*again)->map)) {
    spdlog::info("snapshot {}: {} changed shape; reading it again from its first row", plan.id,
                 status_.table);
    plan.after_key.clear();
    plan.rows_done = 0;
    plan.table_started = false;
    plan.refresh_keys.clear();
    plan.boundary.clear();
  }
  table = std::move(**again);
  return std::nullopt;
}

void SnapshotStage::accountRows(Progress& plan, const mysql::SnapshotTable& table, uint64_t rows,
                                std::stop_token stop) {
  plan.rows_done += rows;
  status_.table_rows_done = plan.rows_done;
  status_.rows_total += rows;
  report(plan);
  if (plan.rows_done >= next_log_) {
    spdlog::info("snapshot {}: {} at {} of about {} rows", plan.id, status_.table, plan.rows_done,
                 table.estimated_rows);
    next_log_ = plan.rows_done + std::max<uint64_t>(table.estimated_rows / 10, 1);
  }
  throttle(rows, stop);
}

std::optional<ChunkFeedback::Verdict> SnapshotStage::handOnChunk(
    Progress& plan, const mysql::SnapshotTable& table, const std::vector<std::string>* keys,
    ChunkRead& read, std::stop_token stop) {
  const uint64_t chunk = ++next_chunk_;
  auto open = std::make_shared<SnapshotEvent>();
  open->kind = SnapshotEvent::Kind::ChunkOpen;
  open->snapshot_id = plan.id;
  open->table = table.name;
  open->chunk = chunk;
  open->refresh_keys = plan.refresh_keys;
  open->boundary = plan.boundary;
  if (!handOn(std::move(open), stop)) {
    return std::nullopt;
  }
  const size_t limit = table.keyless ? options_.keyless_max_rows : options_.chunk_rows;
  auto rows_read = retried(
      "read a chunk",
      [&] {
        return keys != nullptr ? source_.readKeys(table, *keys)
                               : source_.readChunk(table, plan.after_key, limit);
      },
      stop);
  if (!rows_read) {
    return std::nullopt;
  }
  if (!rows_read->isOk()) {
    failTable(plan, rows_read->status());
    return std::nullopt;
  }
  auto rows = std::make_shared<SnapshotEvent>();
  rows->kind = SnapshotEvent::Kind::ChunkRows;
  rows->snapshot_id = plan.id;
  rows->table = table.name;
  rows->chunk = chunk;
  rows->map = table.map;
  rows->keyless = table.keyless;
  rows->keys_only = keys != nullptr;
  read.end_of_table = (*rows_read)->end_of_table || table.keyless;
  read.last_key = keys != nullptr ? std::string() : (*rows_read)->last_key;
  Progress after = plan;
  if (keys != nullptr) {
    rows->refresh_keys = *keys;
    for (const std::string& key : *keys) {
      std::erase(after.refresh_keys, key);
    }
  } else if (!read.last_key.empty()) {
    after.after_key = read.last_key;
  }
  after.rows_done += (*rows_read)->rows.size();
  rows->progress = std::make_shared<const Progress>(std::move(after));
  rows->rows = std::move(**rows_read);
  metrics::add(stats_.snapshot_chunks);
  if (!handOn(std::move(rows), stop)) {
    return std::nullopt;
  }
  return feedback_.wait(chunk, stop);
}

bool SnapshotStage::handOnTableStart(Progress& plan, const mysql::SnapshotTable& table,
                                     std::stop_token stop) {
  plan.table_started = true;
  auto start = std::make_shared<SnapshotEvent>();
  start->kind = SnapshotEvent::Kind::TableStart;
  start->snapshot_id = plan.id;
  start->table = table.name;
  start->count = table.estimated_rows;
  start->progress = std::make_shared<const Progress>(plan);
  return handOn(std::move(start), stop);
}

bool SnapshotStage::handOnTableEnd(Progress& plan, std::stop_token stop) {
  auto end = std::make_shared<SnapshotEvent>();
  end->kind = SnapshotEvent::Kind::TableEnd;
  end->snapshot_id = plan.id;
  end->table = nameOf(plan);
  end->count = plan.rows_done;
  spdlog::info("snapshot {}: {} done, {} rows", plan.id, status_.table, plan.rows_done);
  plan.tables.erase(plan.tables.begin());
  plan.after_key.clear();
  plan.rows_done = 0;
  plan.table_started = false;
  end->progress = std::make_shared<const Progress>(plan);
  return handOn(std::move(end), stop);
}

void SnapshotStage::failTable(const Progress& plan, const Status& why) {
  const std::string text = fmt::format("{}: {}", tableText(plan.tables.front()), why.toString());
  spdlog::error("snapshot {}: skipping table {}", plan.id, text);
  status_.errors.push_back(text);
  control_.update(status_);
}

bool SnapshotStage::handOn(std::shared_ptr<SnapshotEvent> event, std::stop_token stop) {
  size_t bytes = sizeof(SnapshotEvent);
  for (const auto& row : event->rows.rows) {
    bytes += row.size() * sizeof(binlog::Cell);
    for (const auto& cell : row) {
      bytes += cell.bytes.size();
    }
  }
  SourceBatch batch;
  batch.emplace_back(SnapshotItem{std::move(event)});
  return out_.push(std::move(batch), bytes, stop);
}

template <typename Call>
auto SnapshotStage::retried(std::string_view what, Call call, std::stop_token stop)
    -> std::optional<decltype(call())> {
  auto backoff = std::chrono::milliseconds(500);
  while (!stop.stop_requested() && !out_.closed()) {
    auto result = call();
    if (result.isOk() || (result.status().code() != StatusCode::Io &&
                          result.status().code() != StatusCode::Timeout)) {
      return result;
    }
    spdlog::warn("snapshot: cannot {} ({}); retrying in {} ms", what, result.status().toString(),
                 backoff.count());
    clock_.waitFor(backoff, stop);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(30000));
  }
  return std::nullopt;
}

bool SnapshotStage::waitForPublisher(std::stop_token stop) {
  // The next chunk is read once the messages queued for the publisher are few: memory holds
  // about a chunk, and live changes wait behind a short queue, not behind the whole table.
  constexpr uint64_t kMaxQueuedBytes = 4u << 20;
  constexpr std::chrono::milliseconds kPoll{2};
  while (metrics::get(stats_.publish_queue.bytes) > kMaxQueuedBytes) {
    if (stop.stop_requested() || out_.closed()) {
      return false;
    }
    clock_.waitFor(kPoll, stop);
  }
  return !stop.stop_requested();
}

void SnapshotStage::report(const Progress& plan) {
  (void)plan;
  const double seconds = std::chrono::duration<double>(clock_.monotonicNow() - started_).count();
  status_.rows_per_second = seconds > 0 ? static_cast<double>(status_.rows_total) / seconds : 0;
  control_.update(status_);
}

void SnapshotStage::throttle(uint64_t rows, std::stop_token stop) {
  metrics::add(stats_.snapshot_rows, rows);
  if (options_.max_rows_per_second == 0) {
    return;
  }
  throttled_rows_ += rows;
  const auto due =
      throttle_start_ +
      std::chrono::duration_cast<Clock::MonotonicTime::duration>(
          std::chrono::duration<double>(static_cast<double>(throttled_rows_) /
                                        static_cast<double>(options_.max_rows_per_second)));
  clock_.waitUntil(due, stop);
}

}  // namespace mm::pipeline
