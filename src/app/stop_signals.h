// SIGINT, SIGTERM and (for the daemon) SIGHUP, taken synchronously. blockStopSignals() runs before
// any thread starts, so no thread is interrupted by them; whoever waits in waitForStopSignal()
// receives them instead, and stopping is ordinary code rather than a signal handler.
#pragma once

#include <chrono>
#include <optional>

namespace mm::app {

// Blocks SIGINT and SIGTERM in the calling thread and the threads it starts afterwards; with
// `hang_up` SIGHUP as well (the daemon logs it and goes on: its default action would kill it with
// exit 129, which the systemd unit's Restart= does not count as a failure).
void blockStopSignals(bool hang_up = false);

// Waits up to `timeout` for SIGINT, SIGTERM or (when blocked) SIGHUP; the signal number, or nullopt
// when none came. A zero timeout only polls.
std::optional<int> waitForStopSignal(std::chrono::milliseconds timeout);

}  // namespace mm::app
