// LeaderLease: which of the monitors sharing a name ([monitor] name) is active
// (docs/high-availability.md). The leader is the session holding the named lock GET_LOCK on the
// state server (state/state_tables.h lockName()); the server releases it when that session ends,
// however it ends: a killed process closes its socket, and a paused or cut-off one stops talking
// and the server ends the session after [state] lock_timeout (its wait_timeout is set to that).
//
// acquire() waits for the lock (trying every second, so a stop is seen within one), then takes
// office in one transaction: the name's epoch + 1 in monitor_leader, and the same epoch on each of
// its monitor_state rows (created when missing). From then on the state store writes with that
// epoch, and an older leader's writes change nothing (fencing): the checkpoint never moves back
// or forward under a leader that lost the lock without knowing it yet.
//
// watch() checks every lock_timeout/4 (at least 1 s) that the session still holds the lock, on
// a thread of its own; the first check that fails (the lock is another's, the link is gone or
// slower than lock_timeout) calls `on_lost` once: the daemon stops publishing at once and waits
// again (app/run.cpp). release() ends the watch and the session (the lock goes with it).
//
// Errors: Io (server unreachable: acquire() keeps trying), Refused (grants), Cancelled (stop).
// acquire(), release() and the destructor are for one thread; on_lost runs on the watch thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/status.h"
#include "mysql/connection.h"

namespace mm::state {

struct LeaseOptions {
  mysql::ConnectionOptions connection;
  std::string database = "mysql_monitor";
  std::string name = "mysql-monitor";
  std::string holder;  // who we are, for status and logs: "HOST pid N server_id M"
  std::chrono::seconds lock_timeout{10};
};

// Who leads a name, as monitor_leader says.
struct LeaderRow {
  uint64_t epoch = 0;
  std::string holder;
  std::string since;
};

class LeaderLease {
 public:
  explicit LeaderLease(LeaseOptions options);
  ~LeaderLease();
  LeaderLease(const LeaderLease&) = delete;
  LeaderLease& operator=(const LeaderLease&) = delete;

  // Waits until this process leads, then takes office: the new epoch. `waiting` is called once
  // the lock was found taken, with the leader row (to log who leads).
  Result<uint64_t> acquire(const std::atomic<bool>& stop,
                           const std::function<void(const LeaderRow&)>& waiting);
  // One try (waiting at most a second): the new epoch, or nullopt when another session holds the
  // lock (a monitor of this name runs). For tools that must not run beside a leader.
  Result<std::optional<uint64_t>> tryAcquire();
  void watch(std::function<void(const Status&)> on_lost);
  // Until when (steady_clock nanoseconds) this leader may publish: the start of the last check
  // that found the lock held plus the lease, which is lock_timeout/2 (at least 1.5 checks): the
  // server keeps the lock at least lock_timeout after that check, so a leader that stops at this
  // time never publishes while a standby may lead. 0 before office and once lost.
  const std::atomic<int64_t>& validUntil() const { return valid_until_; }
  // Ends the watch, releases the lock and closes the session.
  void release();

 private:
  Status connectSession();
  Result<bool> tryLock();
  // Once the lock is this session's: office (takeOffice), and the lease counted from `locked_at`,
  // when the GET_LOCK that got it was sent.
  Result<uint64_t> takeOfficeLeased(std::chrono::steady_clock::time_point locked_at);
  Result<uint64_t> takeOffice();
  Status checkHeld();
  std::chrono::milliseconds checkInterval() const;
  // valid_until_ = `checked` (when a check that found the lock held began) + the lease.
  void renew(std::chrono::steady_clock::time_point checked);
  void watchLoop(const std::function<void(const Status&)>& on_lost);
  void stopWatch();

  LeaseOptions options_;
  std::string lock_name_;
  mysql::Connection session_;  // acquire() and release(); the watch thread between them
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::atomic<int64_t> valid_until_{0};
  std::thread watcher_;
};

// The leader row of `name`, read on `connection`; nullopt when no monitor of that name ever led.
Result<std::optional<LeaderRow>> readLeader(mysql::Connection& connection,
                                            const std::string& database, const std::string& name);

// Who led last (the row) and whether a session holds the lock now, for `status` and `check`.
struct Leadership {
  std::optional<LeaderRow> leader;
  bool held = false;
};
Result<Leadership> readLeadership(mysql::Connection& connection, const std::string& database,
                                  const std::string& name);

}  // namespace mm::state
