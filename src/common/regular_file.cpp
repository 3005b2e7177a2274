#include "common/regular_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace mm {
namespace {

Status errnoStatus(const std::string& path, int error) {
  return Status::io(fmt::format("{}: {}", path, std::strerror(error)));
}

Status notRegular(const std::string& path, mode_t mode) {
  return Status::io(fmt::format("{}: {}, not a regular file", path, fileTypeName(mode)));
}

// Opens `path` for reading if it is a regular file; the descriptor, or -1 with `status` set.
int openRegular(const std::string& path, struct stat& st, Status& status, bool* missing) {
  if (::stat(path.c_str(), &st) != 0) {
    const int error = errno;
    if (missing != nullptr) {
      *missing = error == ENOENT;
    }
    status = errnoStatus(path, error);
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    status = notRegular(path, st.st_mode);
    return -1;
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    status = errnoStatus(path, errno);
    return -1;
  }
  // What was opened may not be what stat() saw (the path was replaced meanwhile).
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    status = S_ISREG(st.st_mode) ? errnoStatus(path, errno) : notRegular(path, st.st_mode);
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

const char* fileTypeName(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return "a regular file";
    case S_IFDIR: return "a directory";
    case S_IFIFO: return "a FIFO";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    case S_IFSOCK: return "a socket";
    case S_IFLNK: return "a symbolic link";
    default: return "of an unknown type";
  }
}

Result<RegularFile> readRegularFile(const std::string& path, size_t max_bytes, bool* missing) {
  if (missing != nullptr) {
    *missing = false;
  }
  struct stat st {};
  Status status;
  const int fd = openRegular(path, st, status, missing);
  if (fd < 0) {
    return status;
  }
  auto tooLarge = [&] {
    return Status::io(fmt::format("{}: larger than {} bytes", path, max_bytes));
  };
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    return tooLarge();
  }
  RegularFile file;
  file.mode = st.st_mode;
  // One byte more than fstat() said tells a file that grew meanwhile (read on, up to the bound).
  file.content.resize(static_cast<size_t>(st.st_size) + 1);
  size_t used = 0;
  while (used < file.content.size()) {
    const ssize_t n = ::read(fd, file.content.data() + used, file.content.size() - used);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      status = errnoStatus(path, errno);
      ::close(fd);
      return status;
    }
    if (n == 0) {
      break;
    }
    used += static_cast<size_t>(n);
    if (used == file.content.size() && used <= max_bytes) {
      file.content.resize(std::min(file.content.size() * 2, max_bytes + 1));
    }
  }
  ::close(fd);
  if (used > max_bytes) {
    return tooLarge();
  }
  file.content.resize(used);
  return file;
}

Status checkRegularFileReadable(const std::string& path) {
  struct stat st {};
  Status status;
  const int fd = openRegular(path, st, status, nullptr);
  if (fd >= 0) {
    ::close(fd);
  }
  return status;
}

}  // namespace mm
