#include "common/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

namespace mm {
namespace {

Status errnoStatus(std::string_view what, const std::string& path) {
  return Status::io(fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}

Status writeAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return errnoStatus("cannot write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::ok();
}

// A temporary name no other writer uses: this process's id and a counter. A shared name
// ("position.tmp") let two monitors on one state_path write into each other's file and fail
// with a misleading rename error (issue 16); O_EXCL below refuses a name that exists anyway.
std::string temporaryName(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  return fmt::format("{}.tmp.{}.{}", path, ::getpid(),
                     counter.fetch_add(1, std::memory_order_relaxed));
}

}  // namespace

Status writeFileAtomically(const std::string& path, std::string_view content) {
  const std::filesystem::path target(path);
  const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : ".";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Status::io(fmt::format("cannot create directory {}: {}", dir.string(), ec.message()));
  }
  const std::string temp = temporaryName(path);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    return errnoStatus("cannot create", temp);
  }
  Status status = writeAll(fd, content, temp);
  if (status.isOk() && ::fsync(fd) != 0) {
    status = errnoStatus("cannot fsync", temp);
  }
  if (::close(fd) != 0 && status.isOk()) {
    status = errnoStatus("cannot close", temp);
  }
  if (!status.isOk()) {
    ::unlink(temp.c_str());
    return status;
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    Status renamed = errnoStatus(fmt::format("cannot rename {} over", temp), path);
    ::unlink(temp.c_str());
    return renamed;
  }
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) {
    return errnoStatus("cannot open directory", dir.string());
  }
  const bool synced = ::fsync(dir_fd) == 0;
  ::close(dir_fd);
  if (!synced) {
    return errnoStatus("cannot fsync directory", dir.string());
  }
  return Status::ok();
}

}  // namespace mm
