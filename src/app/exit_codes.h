// The process exit codes of every mysql-monitor command (README "Exit codes").
#pragma once

namespace mm::app {

inline constexpr int kExitOk = 0;       // success; a daemon or tail stopped by SIGINT/SIGTERM
inline constexpr int kExitFailure = 1;  // runtime failure: unreachable server or broker, lost
                                        // position with on_position_lost = fail, a failed check,
                                        // an undecodable file, a saved binlog that is gone
inline constexpr int kExitUsage = 2;    // bad arguments or configuration

}  // namespace mm::app
