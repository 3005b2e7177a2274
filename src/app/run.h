// The daemon's lifecycle: configuration, checkpoint, wiring of the concrete parts, signals.
// The only place that builds concretes (BinlogStream, InformationSchema, AmqpPublisher).
#pragma once

namespace mm::app {

// Exit codes: 0 clean stop, 1 runtime failure, 2 invalid configuration or arguments.
int runDaemon(int argc, char** argv);

}  // namespace mm::app
