// `mysql-monitor decode FILE...`: the messages a binlog file holds, as JSON lines on stdout,
// decoded by the same code as the live stream. Unnamed columns print as @1, @2, ... A file that is
// not a binlog or ends inside an event gives an error on stderr after every complete event before
// the damage was printed.
#pragma once

#include <string>
#include <vector>

namespace mm::app {

// Returns the process exit code: 0, or 1 when a file could not be decoded completely.
int runDecode(const std::vector<std::string>& files, bool all_events);

}  // namespace mm::app
