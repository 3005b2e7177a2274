#include "state/leader_lease.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/decimal.h"
#include "common/thread_name.h"
#include "state/state_tables.h"

namespace mm::state {
namespace {

constexpr auto kRetryInterval = std::chrono::seconds(1);

// Waits `duration` in steps, so a stop is seen within 100 ms.
void sleepUnlessStopped(const std::atomic<bool>& stop, std::chrono::milliseconds duration) {
  const auto until = std::chrono::steady_clock::now() + duration;
  while (!stop.load() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// An epoch column's value (BIGINT UNSIGNED); Protocol naming it when it is not one.
Result<uint64_t> epochValue(const std::optional<std::string>& text) {
  if (auto epoch = text ? parseDecimal<uint64_t>(*text) : std::nullopt) {
    return *epoch;
  }
  return Status::protocol(
      fmt::format("monitor_leader.epoch '{}' is not a number", text.value_or("NULL")));
}

}  // namespace

Result<std::optional<LeaderRow>> readLeader(mysql::Connection& connection,
                                            const std::string& database, const std::string& name) {
  auto rows = connection.query(fmt::format(
      "SELECT epoch, holder, DATE_FORMAT(since, '%Y-%m-%dT%H:%i:%S.%fZ') FROM {}.monitor_leader "
      "WHERE name = {}",
      quoteIdentifier(database), mysql::quoteLiteral(connection, name)));
  if (!rows.isOk()) {
    return rows.status();
  }
  if (rows->empty() || (*rows)[0].size() != 3) {
    return std::optional<LeaderRow>{};
  }
  const mysql::Row& row = (*rows)[0];
  auto epoch = epochValue(row[0]);
  if (!epoch.isOk()) {
    return epoch.status();
  }
  return std::optional<LeaderRow>(LeaderRow{*epoch, row[1].value_or(""), row[2].value_or("")});
}

Result<Leadership> readLeadership(mysql::Connection& connection, const std::string& database,
                                  const std::string& name) {
  auto leader = readLeader(connection, database, name);
  if (!leader.isOk()) {
    return leader.status();
  }
  auto lock = connection.query(fmt::format(
      "SELECT IS_USED_LOCK({})", mysql::quoteLiteral(connection, lockName(database, name))));
  if (!lock.isOk()) {
    return lock.status();
  }
  const bool held = !lock->empty() && !(*lock)[0].empty() && (*lock)[0][0].has_value();
  return Leadership{std::move(*leader), held};
}

LeaderLease::LeaderLease(LeaseOptions options)
    : options_(std::move(options)), lock_name_(lockName(options_.database, options_.name)) {
  // A paused or cut-off leader's session must end within lock_timeout on both sides: the server
  // ends it (wait_timeout) and so do our reads (read_timeout).
  options_.connection.read_timeout_seconds = static_cast<int>(options_.lock_timeout.count());
}

LeaderLease::~LeaderLease() { release(); }

Status LeaderLease::connectSession() {
  session_.close();
  MM_RETURN_IF_ERROR(session_.connect(options_.connection));
  return session_.execute(
      fmt::format("SET SESSION wait_timeout = {}", options_.lock_timeout.count()));
}

Result<bool> LeaderLease::tryLock() {
  auto rows = session_.query(
      fmt::format("SELECT GET_LOCK({}, 1)", mysql::quoteLiteral(session_, lock_name_)));
  if (!rows.isOk()) {
    return rows.status();
  }
  return !rows->empty() && !(*rows)[0].empty() && (*rows)[0][0] == std::string("1");
}

Result<uint64_t> LeaderLease::acquire(const std::atomic<bool>& stop,
                                      const std::function<void(const LeaderRow&)>& waiting) {
  bool told = false;
  bool connect_logged = false;
  while (!stop.load()) {
    if (!session_.connected()) {
      if (Status connected = connectSession(); !connected.isOk()) {
        if (connected.code() == StatusCode::Refused) {
          return connected;
        }
        if (!connect_logged) {
          spdlog::warn("{}; trying again every second", connected.toString());
          connect_logged = true;
        }
        session_.close();
        sleepUnlessStopped(stop, kRetryInterval);
        continue;
      }
    }
    const auto tried_at = std::chrono::steady_clock::now();
    auto locked = tryLock();
    if (!locked.isOk()) {
      spdlog::warn("waiting for the leader lock: {}", locked.status().toString());
      session_.close();
      sleepUnlessStopped(stop, kRetryInterval);
      continue;
    }
    if (*locked) {
      return takeOfficeLeased(tried_at);
    }
    if (!told) {
      told = true;
      auto leader = readLeader(session_, options_.database, options_.name);
      if (leader.isOk() && leader->has_value()) {
        waiting(**leader);
      }
    }
  }
  return Status::cancelled("stopped while standing by");
}

Result<std::optional<uint64_t>> LeaderLease::tryAcquire() {
  MM_RETURN_IF_ERROR(connectSession());
  const auto tried_at = std::chrono::steady_clock::now();
  auto locked = tryLock();
  if (!locked.isOk()) {
    return locked.status();
  }
  if (!*locked) {
    return std::optional<uint64_t>{};
  }
  auto epoch = takeOfficeLeased(tried_at);
  if (!epoch.isOk()) {
    return epoch.status();
  }
  return std::optional<uint64_t>(*epoch);
}

Result<uint64_t> LeaderLease::takeOfficeLeased(std::chrono::steady_clock::time_point locked_at) {
  auto epoch = takeOffice();
  if (epoch.isOk()) {
    renew(locked_at);
  }
  return epoch;
}

Result<uint64_t> LeaderLease::takeOffice() {
  const std::string db = quoteIdentifier(options_.database);
  const std::string name = mysql::quoteLiteral(session_, options_.name);
  MM_RETURN_IF_ERROR(session_.execute("START TRANSACTION"));
  MM_RETURN_IF_ERROR(session_.execute(
      fmt::format("INSERT INTO {}.monitor_leader (name, epoch, holder) VALUES ({}, 0, '') "
                  "ON DUPLICATE KEY UPDATE name = name",
                  db, name)));
  auto rows = session_.query(
      fmt::format("SELECT epoch FROM {}.monitor_leader WHERE name = {} FOR UPDATE", db, name));
  if (!rows.isOk() || rows->empty() || !(*rows)[0][0]) {
    static_cast<void>(session_.execute("ROLLBACK"));
    return rows.isOk() ? Status::internal("the leader row vanished") : rows.status();
  }
  auto previous = epochValue((*rows)[0][0]);
  if (!previous.isOk()) {
    static_cast<void>(session_.execute("ROLLBACK"));
    return previous.status();
  }
  const uint64_t epoch = *previous + 1;
  std::string insert_documents;
  for (std::string_view document : kDocuments) {
    insert_documents += fmt::format("{}({}, '{}', {})", insert_documents.empty() ? "" : ", ", name,
                                    document, epoch);
  }
  for (const std::string& statement :
       {fmt::format("UPDATE {}.monitor_leader SET epoch = {}, holder = {}, since = NOW(6) "
                    "WHERE name = {}",
                    db, epoch, mysql::quoteLiteral(session_, options_.holder), name),
        fmt::format("INSERT IGNORE INTO {}.monitor_state (name, document, epoch) VALUES {}", db,
                    insert_documents),
        fmt::format("UPDATE {}.monitor_state SET epoch = {} WHERE name = {}", db, epoch, name),
        std::string("COMMIT")}) {
    if (Status done = session_.execute(statement); !done.isOk()) {
      static_cast<void>(session_.execute("ROLLBACK"));
      return done.withContext("taking office as the leader");
    }
  }
  return epoch;
}

Status LeaderLease::checkHeld() {
  auto rows = session_.query(fmt::format("SELECT IS_USED_LOCK({}) = CONNECTION_ID()",
                                         mysql::quoteLiteral(session_, lock_name_)));
  if (!rows.isOk()) {
    return rows.status();
  }
  if (rows->empty() || (*rows)[0].empty() || (*rows)[0][0] != std::string("1")) {
    return Status::refused(
        fmt::format("the leader lock {} is no longer this monitor's", lock_name_));
  }
  return Status::ok();
}

void LeaderLease::watch(std::function<void(const Status&)> on_lost) {
  stopWatch();
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  watcher_ = std::thread([this, on_lost = std::move(on_lost)] {
    nameThisThread("mm-lease");
    watchLoop(on_lost);
  });
}

std::chrono::milliseconds LeaderLease::checkInterval() const {
  return std::max<std::chrono::milliseconds>(
      std::chrono::seconds(1),
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.lock_timeout) / 4);
}

void LeaderLease::renew(std::chrono::steady_clock::time_point checked) {
  const auto lease = std::max<std::chrono::milliseconds>(
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.lock_timeout) / 2,
      checkInterval() * 3 / 2);
  valid_until_.store((checked + lease).time_since_epoch().count(), std::memory_order_release);
}

void LeaderLease::watchLoop(const std::function<void(const Status&)>& on_lost) {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, checkInterval(), [this] { return stopping_; })) {
    lock.unlock();
    const auto checked = std::chrono::steady_clock::now();
    Status held = checkHeld();
    lock.lock();
    if (held.isOk()) {
      renew(checked);
    } else if (!stopping_) {
      valid_until_.store(0, std::memory_order_release);
      lock.unlock();
      on_lost(held);
      return;
    }
  }
}

void LeaderLease::stopWatch() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (watcher_.joinable()) {
    watcher_.join();
  }
}

void LeaderLease::release() {
  stopWatch();
  valid_until_.store(0, std::memory_order_release);
  if (session_.connected()) {
    static_cast<void>(session_.execute(
        fmt::format("DO RELEASE_LOCK({})", mysql::quoteLiteral(session_, lock_name_))));
    session_.close();
  }
}

}  // namespace mm::state
