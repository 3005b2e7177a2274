// Replacing a small file so that a crash leaves either the old or the new content, never a torn
// one: write a temporary file beside it (PATH.tmp.PID.N, a name no other writer uses), fsync it,
// rename it over the target, fsync the directory (leveldb SetCurrentFile). The directory is created
// when missing. Errors (Io) name the file and the system's reason. Concurrent writers of one path
// never share a temporary file (the last rename wins); the daemon still allows one writer per state
// (checkpoint/state_lock.h).
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace mm {

Status writeFileAtomically(const std::string& path, std::string_view content);

}  // namespace mm
