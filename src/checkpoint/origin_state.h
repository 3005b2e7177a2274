// The Python monitor's state file (aventri's "MySQL Monitor", the origin): where it stopped, for a
// cut-over without a gap (issue 20; docs/migrating-from-the-python-monitor.md "Cut-over"). Its
// whole content, as Python 2's json.dump wrote it:
//   {"binlog_file": "binlog.000014", "binlog_position": 43569344}
// The position is the end of the last rows event it published (at an even second), usually inside
// a transaction. Read only: mysql-monitor never writes it.
#pragma once

#include <optional>
#include <string>

#include "binlog/position.h"
#include "common/status.h"

namespace mm::checkpoint {

// The position in the origin's state file at `path`; nullopt when there is none: no file, an
// empty one, or null values (the origin then starts afresh too). Corruption naming the file and the
// fix when it is not that JSON object; Io when it cannot be read.
Result<std::optional<binlog::Position>> loadOriginState(const std::string& path);

}  // namespace mm::checkpoint
