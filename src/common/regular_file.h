// Reading small files named by an operator (the configuration, a password file, the state file)
// without trusting what the path turns out to be: a FIFO would block the open or the read, a
// device like /dev/zero never ends, a directory reads as nothing. Only regular files are read:
// the path is checked with stat() first, opened with O_NONBLOCK (a FIFO swapped in between cannot
// hang the open) and checked again with fstat() on what was opened. Reading stops past
// `max_bytes`.
//
// Errors are Io and read "PATH: REASON" (the system's strerror, "a FIFO, not a regular file", or
// "larger than N bytes"), for the caller to prefix with what the file is for.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

#include "common/status.h"

namespace mm {

struct RegularFile {
  std::string content;
  mode_t mode = 0;  // st_mode of what was read (permission bits included)
};

// `missing` (may be null) is set when the error is that the path does not exist (ENOENT): callers
// that treat "not there yet" as normal (the state file on a first start) check it.
Result<RegularFile> readRegularFile(const std::string& path, size_t max_bytes,
                                    bool* missing = nullptr);

// Whether `path` is a regular file this process can open for reading (opened and closed again).
// The same errors as readRegularFile.
Status checkRegularFileReadable(const std::string& path);

// "a FIFO", "a directory", ... for the file type bits of `mode`.
const char* fileTypeName(mode_t mode);

}  // namespace mm
