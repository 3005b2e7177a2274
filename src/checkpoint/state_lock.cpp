#include "checkpoint/state_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <optional>
#include <utility>

#include <fmt/format.h>

namespace mm::checkpoint {
namespace {

constexpr const char* kLockFileName = "lock";

std::string lockPath(const std::string& directory) {
  return (std::filesystem::path(directory) / kLockFileName).string();
}

// The PID written in the open lock file; nullopt when it holds none (a holder between open and
// write, or a file of an older version).
std::optional<pid_t> readPid(int fd) {
  char text[32] = {};
  const ssize_t n = ::pread(fd, text, sizeof(text) - 1, 0);
  if (n <= 0) {
    return std::nullopt;
  }
  pid_t pid = 0;
  const auto parsed = std::from_chars(text, text + n, pid);
  if (parsed.ec != std::errc() || pid <= 0) {
    return std::nullopt;
  }
  return pid;
}

}  // namespace

Result<StateLock> StateLock::acquire(const std::string& directory) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) {
    return Status::io(fmt::format("[monitor] state_path: cannot create directory {}: {}", directory,
                                  ec.message()));
  }
  std::string path = lockPath(directory);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::io(fmt::format("[monitor] state_path: cannot open the lock file {}: {}", path,
                                  std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    const std::optional<pid_t> holder = error == EWOULDBLOCK ? readPid(fd) : std::nullopt;
    ::close(fd);
    if (error != EWOULDBLOCK) {
      return Status::io(
          fmt::format("[monitor] state_path: cannot lock {}: {}", path, std::strerror(error)));
    }
    return Status::invalidArgument(fmt::format(
        "another mysql-monitor ({}) is running on state_path {} (it holds {}): stop it, or give "
        "this "
        "one its own [monitor] state_path (two monitors on one state publish every change twice)",
        holder ? fmt::format("pid {}", *holder) : std::string("pid unknown"), directory, path));
  }
  const std::string pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int error = errno;
    ::close(fd);
    return Status::io(fmt::format("[monitor] state_path: cannot write the lock file {}: {}", path,
                                  std::strerror(error)));
  }
  return StateLock(fd, std::move(path));
}

StateLock::StateLock(StateLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

StateLock& StateLock::operator=(StateLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

StateLock::~StateLock() {
  if (fd_ >= 0) {
    ::close(fd_);  // releases the flock
  }
}

}  // namespace mm::checkpoint
