// `mysql-monitor check --config PATH`: connects to the MySQL server and the broker with the
// monitor's own settings and prints one line per check (ok / warn / fail, with the fix), so an
// operator learns what to change before the daemon meets it. The server checks live in
// mysql/preflight.h; this adds the connections themselves and the broker.
#pragma once

#include "config/config.h"
#include "mysql/connection.h"
#include "sink/amqp_publisher.h"

namespace mm::app {

// Prints the checks to stdout. Returns the exit status: 0 when nothing failed (warnings allowed),
// 1 otherwise. Requires: mysqlLibraryInit() was called.
int runCheck(const config::Config& config, const mysql::ConnectionOptions& mysql_options,
             const sink::AmqpOptions& amqp_options);

}  // namespace mm::app
