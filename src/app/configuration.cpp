#include "app/configuration.h"

#include <charconv>

#include <fmt/format.h>

#include "binlog/gtid_set.h"

#include "common/check.h"
#include "config/ini_file.h"

namespace mm::app {

Result<config::Config> loadConfiguration(const CommandLine& command_line) {
  std::vector<std::string> overrides = command_line.overrides;
  if (command_line.log_level) {
    overrides.push_back(fmt::format("monitor.log_level={}", *command_line.log_level));
  }
  auto config = config::loadConfig(
      config::ConfigSources{command_line.config_path, config::processEnvironment(), std::move(overrides)});
  if (!config.isOk()) {
    return config.status();
  }
  auto routing = routingKeyTemplate(*config);
  if (!routing.isOk()) {
    return routing.status();
  }
  MM_RETURN_IF_ERROR(checkStartPosition(config->mysql.start_position));
  return config;
}

Status checkStartPosition(const std::string& spec) {
  if (spec == "current" || spec == "earliest" || binlog::GtidState::parse(spec).isOk()) {
    return Status::ok();
  }
  const size_t colon = spec.rfind(':');
  if (colon != std::string::npos && colon > 0) {
    uint64_t offset = 0;
    auto parsed = std::from_chars(spec.data() + colon + 1, spec.data() + spec.size(), offset);
    if (parsed.ec == std::errc() && parsed.ptr == spec.data() + spec.size() && offset >= 4) {
      return Status::ok();
    }
  }
  return Status::invalidArgument(fmt::format(
      "[mysql] start_position: '{}' is not one of current, earliest, FILE:POS (POS >= 4, e.g. "
      "mysql-bin.000042:4) or a GTID set (MySQL uuid:1-100, MariaDB 0-1-100)",
      config::shownText(spec)));
}

Result<message::RoutingKeyTemplate> routingKeyTemplate(const config::Config& config) {
  auto routing = message::RoutingKeyTemplate::parse(config.amqp.routing_key);
  if (!routing.isOk()) {
    return Status::invalidArgument(fmt::format("[amqp] routing_key: {}", routing.status().message()));
  }
  return routing;
}

mysql::ConnectionOptions connectionOptions(const config::MysqlConfig& mysql) {
  mysql::ConnectionOptions o;
  o.host = mysql.host;
  o.port = mysql.port;
  o.user = mysql.user;
  o.password = mysql.password;
  switch (mysql.ssl) {
    case config::MysqlSsl::Off: o.tls = mysql::TlsMode::Off; break;
    case config::MysqlSsl::On: o.tls = mysql::TlsMode::Required; break;
    case config::MysqlSsl::VerifyCa: o.tls = mysql::TlsMode::VerifyCa; break;
    case config::MysqlSsl::VerifyIdentity: o.tls = mysql::TlsMode::VerifyIdentity; break;
  }
  o.ssl_ca = mysql.ssl_ca;
  o.ssl_cert = mysql.ssl_cert;
  o.ssl_key = mysql.ssl_key;
  return o;
}

sink::AmqpOptions amqpOptions(const config::Config& config) {
  sink::AmqpOptions amqp;
  amqp.brokers.clear();
  auto brokers = config::brokerAddresses(config.amqp);
  MM_CHECK(brokers.isOk(), "the configuration was validated");
  for (const config::HostPort& broker : *brokers) {
    amqp.brokers.push_back(sink::BrokerAddress{broker.host, broker.port});
  }
  amqp.user = config.amqp.user;
  amqp.password = config.amqp.password;
  amqp.vhost = config.amqp.vhost;
  amqp.exchange = config.amqp.exchange;
  amqp.exchange_type = config.amqp.exchange_type;
  amqp.mandatory = config.amqp.mandatory;
  amqp.headers = config.amqp.headers == config::AmqpHeaders::On ||
                 (config.amqp.headers == config::AmqpHeaders::Auto && config.amqp.exchange_type == "headers");
  amqp.heartbeat_seconds = config.amqp.heartbeat_seconds;
  amqp.max_message_size = static_cast<uint64_t>(config.amqp.max_message_size);
  amqp.tls = sink::TlsOptions{config.amqp.ssl, config.amqp.ssl_ca, config.amqp.ssl_verify,
                              config.amqp.ssl_cert, config.amqp.ssl_key};
  return amqp;
}

}  // namespace mm::app
