// `mysql-monitor tail --config PATH`: prints the messages published to the configured exchange as
// they arrive, like the origin's subscriber: a line with the routing key, message_id and time, then
// the JSON body indented (or as published with --compact). It binds its own server-named,
// exclusive, auto-delete queue (sink/amqp_consumer.h), so watching takes nothing from the real
// consumers and leaves nothing behind. Stops on SIGINT/SIGTERM (exit 0) or after --count messages.
#pragma once

#include <string>

#include "app/options.h"
#include "config/config.h"
#include "message/message_route.h"
#include "sink/amqp_consumer.h"

namespace mm::app {

// The key that binds a queue to every message the monitor publishes on `amqp`'s exchange: empty for
// fanout and headers (the binding ignores it), '#' for topic, the routing key itself for a direct
// exchange when the template has no placeholder, "1" (a weight) for x-consistent-hash, which then
// hands tail only its share. InvalidArgument for a direct exchange with placeholders: no single
// key matches them all, so the user must pick one (--binding-key).
Result<std::string> tailBindingKey(const config::AmqpConfig& amqp,
                                   const message::RoutingKeyTemplate& routing);

// What tail prints for one message: a header line, then the body (indented JSON unless `compact`;
// a body that is not JSON as it came), then an empty line.
std::string formatTailMessage(const sink::ConsumedMessage& message, bool compact);

// Runs until stopped. Exit codes (app/exit_codes.h): 0 stopped by a signal or --count reached,
// 1 the broker is unreachable or the link was lost, 2 no binding key can be derived.
// Requires: the stop signals are blocked (blockStopSignals).
int runTail(const config::Config& config, const CommandLine& command_line);

}  // namespace mm::app
