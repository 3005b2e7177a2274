// The configuration a command line names (file, environment, --set, --log-level), and the copies
// of its fields into each module's own Options (STYLE.md §2: modules never see Config).
#pragma once

#include "app/options.h"
#include "config/config.h"
#include "message/message_route.h"
#include "mysql/connection.h"
#include "sink/amqp_connection.h"

namespace mm::app {

// Settings from defaults < --config file < MYSQL_MONITOR_* environment < --set < --log-level,
// validated, the routing key template and the start position included. InvalidArgument naming what is wrong.
Result<config::Config> loadConfiguration(const CommandLine& command_line);

// [mysql] start_position is current, earliest, FILE:POS (POS >= 4) or a GTID set (binlog/gtid_set.h:
// the config module cannot parse those); InvalidArgument naming the key and the allowed forms.
Status checkStartPosition(const std::string& spec);

// [amqp] routing_key parsed; InvalidArgument naming the key when malformed.
Result<message::RoutingKeyTemplate> routingKeyTemplate(const config::Config& config);

mysql::ConnectionOptions connectionOptions(const config::MysqlConfig& mysql);

// Requires: `config` came from loadConfiguration (its broker list parses).
sink::AmqpOptions amqpOptions(const config::Config& config);

}  // namespace mm::app
