// The configuration a command line names (file, environment, --set, --log-level), and the copies
// of its fields into each module's own Options (CONTRIBUTING.md §2: modules never see Config).
#pragma once

#include "app/options.h"
#include "checkpoint/checkpoint.h"
#include "config/config.h"
#include "message/message_route.h"
#include "mysql/binlog_stream.h"
#include "mysql/connection.h"
#include "sink/amqp_connection.h"

namespace mm::app {

// Settings from defaults < --config file < MYSQL_MONITOR_* environment < --set < --log-level,
// validated and parsed (config/config.h). InvalidArgument naming what is wrong.
Result<config::Config> loadConfiguration(const CommandLine& command_line);

mysql::ConnectionOptions connectionOptions(const config::MysqlConfig& mysql);
// The state server's ([state] host, else the [mysql] source's), with [mysql]'s TLS.
mysql::ConnectionOptions stateConnectionOptions(const config::Config& config);

// Requires: `config` came from loadConfiguration (its broker list is filled).
sink::AmqpOptions amqpOptions(const config::Config& config);

// What the state records of a server: its server_uuid (MySQL), else its server_id (MariaDB).
checkpoint::SourceIdentity sourceIdentityOf(const mysql::ServerIdentity& identity);
// Whether a start from `saved` resumes by its GTID set ([mysql] resume_by = gtid and a set saved),
// which continues on another server too (a source failover); else by file:position, which means
// nothing on another server. `run` and `status` judge a saved state by this one rule.
bool resumesByGtid(const config::MysqlConfig& mysql, const checkpoint::Checkpoint& saved);

}  // namespace mm::app
