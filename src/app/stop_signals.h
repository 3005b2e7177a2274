// SIGINT and SIGTERM, taken synchronously. blockStopSignals() runs before any thread starts, so
// no thread is interrupted by them; whoever waits in waitForStopSignal() receives them instead, and
// stopping is ordinary code rather than a signal handler.
#pragma once

#include <chrono>
#include <optional>

namespace mm::app {

// Blocks SIGINT and SIGTERM in the calling thread and the threads it starts afterwards.
void blockStopSignals();

// Waits up to `timeout` for SIGINT or SIGTERM (blocked beforehand); the signal number, or nullopt
// when none came. A zero timeout only polls.
std::optional<int> waitForStopSignal(std::chrono::milliseconds timeout);

}  // namespace mm::app
