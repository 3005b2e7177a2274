// The daemon's lifecycle: delay_start, checkpoint, wiring of the concrete parts, signals.
// The only place that builds concretes (BinlogStream, InformationSchema, AmqpPublisher).
#pragma once

#include "config/config.h"

namespace mm::app {

// Runs until SIGINT/SIGTERM or a fatal error. Waits [monitor] delay_start first (a stop signal
// meanwhile ends it at once, exit 0). Returns the exit code (app/exit_codes.h): 0 clean stop,
// 1 runtime failure. Requires: the stop signals are blocked (blockStopSignals) and logging is set
// up.
int runDaemon(const config::Config& config);

}  // namespace mm::app
