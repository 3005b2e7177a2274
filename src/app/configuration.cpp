#include "app/configuration.h"

#include <fmt/format.h>

namespace mm::app {

Result<config::Config> loadConfiguration(const CommandLine& command_line) {
  std::vector<std::string> overrides = command_line.overrides;
  if (command_line.log_level) {
    overrides.push_back(fmt::format("monitor.log_level={}", *command_line.log_level));
  }
  return config::loadConfig(config::ConfigSources{
      command_line.config_path, config::processEnvironment(), std::move(overrides)});
}

mysql::ConnectionOptions connectionOptions(const config::MysqlConfig& mysql) {
  mysql::ConnectionOptions o;
  o.host = mysql.servers.empty() ? mysql.host : mysql.servers[0].host;
  o.port = mysql.servers.empty() ? mysql.port : mysql.servers[0].port;
  if (mysql.servers.size() > 1) {
    for (const config::HostPort& server : mysql.servers) {
      o.servers.push_back(mysql::ServerAddress{server.host, server.port});
    }
    // One preference for every connection of the process: they all follow a failover together.
    static const auto preferred = std::make_shared<std::atomic<size_t>>(0);
    o.preferred = preferred;
  }
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

mysql::ConnectionOptions stateConnectionOptions(const config::Config& config) {
  mysql::ConnectionOptions o = connectionOptions(config.mysql);
  if (!config.state.host.empty()) {
    o.servers.clear();
    o.preferred.reset();
    o.host = config.state.host;
    o.port = config.state.port;
    o.user = config.state.user.empty() ? config.mysql.user : config.state.user;
    o.password = config.state.user.empty() ? config.mysql.password : config.state.password;
  }
  return o;
}

sink::AmqpOptions amqpOptions(const config::Config& config) {
  sink::AmqpOptions amqp;
  amqp.brokers.clear();
  for (const config::HostPort& broker : config.amqp.brokers) {
    amqp.brokers.push_back(sink::BrokerAddress{broker.host, broker.port});
  }
  amqp.user = config.amqp.user;
  amqp.password = config.amqp.password;
  amqp.vhost = config.amqp.vhost;
  amqp.exchange = config.amqp.exchange;
  amqp.exchange_type = config.amqp.exchange_type;
  amqp.mandatory = config.amqp.mandatory;
  amqp.headers =
      config.amqp.headers == config::AmqpHeaders::On ||
      (config.amqp.headers == config::AmqpHeaders::Auto && config.amqp.exchange_type == "headers");
  amqp.timestamp_property = config.message.format != message::MessageFormat::Origin;
  amqp.heartbeat_seconds = config.amqp.heartbeat_seconds;
  amqp.max_message_size = static_cast<uint64_t>(config.amqp.max_message_size);
  amqp.tls = sink::TlsOptions{config.amqp.ssl, config.amqp.ssl_ca, config.amqp.ssl_verify,
                              config.amqp.ssl_cert, config.amqp.ssl_key};
  return amqp;
}

checkpoint::SourceIdentity sourceIdentityOf(const mysql::ServerIdentity& identity) {
  return {identity.server_uuid, identity.server_uuid.empty() ? identity.server_id : 0};
}

bool resumesByGtid(const config::MysqlConfig& mysql, const checkpoint::Checkpoint& saved) {
  return mysql.resume_by_gtid && !saved.gtid_set.empty();
}

}  // namespace mm::app
