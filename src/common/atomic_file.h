// Replacing a small file so that a crash leaves either the old or the new content, never a torn
// one: write a temporary file beside it, fsync it, rename it over the target, fsync the directory
// (leveldb SetCurrentFile). The directory is created when missing. Errors (Io) name the file and
// the system's reason. Not for concurrent writers of the same path.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace mm {

Status writeFileAtomically(const std::string& path, std::string_view content);

}  // namespace mm
