// StateLock: one monitor per state directory. The daemon takes it before anything else touches the
// state (README "Operations"), because two monitors on one state_path would both publish every
// change and overwrite each other's checkpoint.
//
// acquire() creates `directory` when missing, opens `directory/lock` and takes an exclusive,
// non-blocking flock() on it, then writes the holder's PID into it for the message a second
// instance prints. The kernel releases the lock when the process ends however it ends (SIGKILL
// included), so a lock file left behind never blocks a restart; the file is never removed (removing
// it would let a third instance lock a new file while the second still holds the old one).
//
// Readers of the state (`status`, `check`) do not take the lock: the state file is replaced
// atomically (common/atomic_file.h), so they may read it while the daemon runs.
//
// Errors: Io naming the lock file and the system's reason; InvalidArgument naming the holder's PID
// and the lock file when another process holds it. Not thread-safe; move-only.
#pragma once

#include <string>

#include "common/status.h"

namespace mm::checkpoint {

class StateLock {
 public:
  static Result<StateLock> acquire(const std::string& directory);

  StateLock(StateLock&& other) noexcept;
  StateLock& operator=(StateLock&& other) noexcept;
  StateLock(const StateLock&) = delete;
  StateLock& operator=(const StateLock&) = delete;
  ~StateLock();

  const std::string& path() const { return path_; }

 private:
  StateLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  int fd_ = -1;
  std::string path_;
};

}  // namespace mm::checkpoint
