#include "app/check_command.h"

#include <iostream>

#include <fmt/format.h>

#include "app/exit_codes.h"
#include "mysql/preflight.h"

namespace mm::app {
namespace {

// A failed step as a check line. A refusal (StatusCode::Refused: credentials, grants, vhost,
// permissions, exchange type) carries its own fix, the text the daemon exits with; other failures
// get `general_fix`.
mysql::CheckResult failure(std::string name, const Status& status, std::string general_fix) {
  return mysql::CheckResult{
      mysql::CheckLevel::Fail, std::move(name), status.message(),
      status.code() == StatusCode::Refused ? std::string() : std::move(general_fix)};
}

// Whether the connection is encrypted and how far the server's certificate was checked: what the
// handshake proved, since Connector/C refuses a mode it cannot satisfy ([mysql] ssl).
mysql::CheckResult checkTls(const mysql::Connection& connection,
                            const mysql::ConnectionOptions& options) {
  const std::string name = "MySQL TLS";
  const std::string tls = connection.tlsDescription();
  if (tls.empty()) {
    const bool loopback =
        options.host == "127.0.0.1" || options.host == "::1" || options.host == "localhost";
    return mysql::CheckResult{
        loopback ? mysql::CheckLevel::Ok : mysql::CheckLevel::Warn, name,
        "not encrypted ([mysql] ssl = off)",
        loopback ? std::string() : "set [mysql] ssl = verify_identity with ssl_ca"};
  }
  switch (options.tls) {
    case mysql::TlsMode::VerifyIdentity:
      return mysql::CheckResult{
          mysql::CheckLevel::Ok,
          name,
          fmt::format("encrypted ({}); server certificate verified: signed by {} and "
                      "issued to {}",
                      tls, options.ssl_ca, options.host),
          {}};
    case mysql::TlsMode::VerifyCa:
      return mysql::CheckResult{
          mysql::CheckLevel::Ok,
          name,
          fmt::format("encrypted ({}); server certificate signed by {} (host name not "
                      "checked: ssl = verify_ca)",
                      tls, options.ssl_ca),
          {}};
    default:
      return mysql::CheckResult{
          mysql::CheckLevel::Warn, name,
          fmt::format("encrypted ({}); server certificate NOT verified (ssl = on)", tls),
          "set [mysql] ssl = verify_identity with ssl_ca to refuse an impostor"};
  }
}

std::vector<mysql::CheckResult> checkServer(const config::Config& config,
                                            const mysql::ConnectionOptions& options) {
  const std::string name = fmt::format("MySQL server {}:{}", options.host, options.port);
  mysql::Connection connection;
  Status connected = connection.connect(options);
  if (!connected.isOk()) {
    return {failure(name, connected,
                    "check [mysql] host, port, user and password, and that the server accepts "
                    "connections from this host")};
  }
  auto facts = mysql::fetchServerFacts(connection);
  if (!facts.isOk()) {
    return {
        failure(name, facts.status(),
                "grant the monitor's account REPLICATION CLIENT (MariaDB: BINLOG MONITOR) so it "
                "can read the server's settings")};
  }
  std::vector<mysql::CheckResult> checks{
      mysql::CheckResult{mysql::CheckLevel::Ok,
                         name,
                         fmt::format("connected as '{}', {}", options.user, facts->version),
                         {}},
      checkTls(connection, options)};
  for (auto& check :
       mysql::evaluateServer(*facts, config.mysql.server_id, config.mysql.resume_by_gtid)) {
    checks.push_back(std::move(check));
  }
  return checks;
}

mysql::CheckResult checkBroker(const sink::AmqpOptions& options) {
  const std::string name = "broker";
  sink::AmqpPublisher publisher(options);
  Status connected = publisher.connect();
  if (!connected.isOk()) {
    return failure(
        name, connected,
        "check [amqp] host, port, user, password and vhost; an exchange that exists with "
        "another type or durability must be deleted or [amqp] exchange_type changed to "
        "match");
  }
  return mysql::CheckResult{mysql::CheckLevel::Ok,
                            name,
                            fmt::format("connected; exchange '{}' ({}, durable) declared",
                                        options.exchange, options.exchange_type),
                            {}};
}

}  // namespace

int runCheck(const config::Config& config, const mysql::ConnectionOptions& mysql_options,
             const sink::AmqpOptions& amqp_options) {
  std::vector<mysql::CheckResult> checks = checkServer(config, mysql_options);
  checks.push_back(checkBroker(amqp_options));
  // A file written for the Python monitor: where it means something else here (not a failure).
  for (const std::string& difference : config.origin_differences) {
    checks.push_back(
        mysql::CheckResult{mysql::CheckLevel::Warn, "Python monitor's config", difference, {}});
  }
  bool failed = false;
  for (const auto& check : checks) {
    std::cout << mysql::formatCheck(check) << "\n";
    failed = failed || check.level == mysql::CheckLevel::Fail;
  }
  return failed ? kExitFailure : kExitOk;
}

}  // namespace mm::app
