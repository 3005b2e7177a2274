#include "app/check_command.h"

#include <iostream>

#include <fmt/format.h>

#include "app/configuration.h"
#include "app/exit_codes.h"
#include "mysql/preflight.h"
#include "state/leader_lease.h"
#include "state/mysql_state_store.h"
#include "state/state_tables.h"

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

// [monitor] state_store = mysql: the state server reachable, the tables there or creatable, the
// grants the monitor writes with, and who leads (docs/high-availability.md "Grants").
mysql::CheckResult checkStateStore(const config::Config& config) {
  const mysql::ConnectionOptions options = stateConnectionOptions(config);
  const std::string db = state::quoteIdentifier(config.state.database);
  const std::string name = fmt::format("state store {}:{}", options.host, options.port);
  const std::string grant =
      fmt::format("GRANT SELECT, INSERT, UPDATE, CREATE ON {}.* TO '{}' (the state tables only)",
                  db, options.user);
  state::MysqlStateStore store(
      state::MysqlStateOptions{options, config.state.database, config.monitor.name});
  if (Status prepared = store.prepare(); !prepared.isOk()) {
    return failure(name, prepared, grant + "; or check [state] host, port, user and password");
  }
  mysql::Connection connection;
  if (Status connected = connection.connect(options); !connected.isOk()) {
    return failure(name, connected, "check [state] host, port, user and password");
  }
  // Statements that change nothing, checked for their grants all the same.
  for (const std::string& statement :
       {fmt::format("UPDATE {}.monitor_state SET revision = revision WHERE 1 = 0", db),
        fmt::format("INSERT INTO {0}.monitor_leader SELECT * FROM {0}.monitor_leader WHERE 1 = 0",
                    db)}) {
    if (Status allowed = connection.execute(statement); !allowed.isOk()) {
      return failure(name,
                     allowed.code() == StatusCode::Refused
                         ? Status::refused(state::grantsMissing(connection, store.options()))
                         : allowed,
                     grant);
    }
  }
  auto leadership = state::readLeadership(connection, config.state.database, config.monitor.name);
  std::string who = "no monitor of this name is active";
  if (leadership.isOk() && leadership->held && leadership->leader) {
    who =
        fmt::format("active: {} (epoch {})", leadership->leader->holder, leadership->leader->epoch);
  }
  return mysql::CheckResult{
      mysql::CheckLevel::Ok,
      name,
      fmt::format("tables in {} as '{}' (select, insert, update); [monitor] name '{}': {}", db,
                  options.user, config.monitor.name, who),
      {}};
}

}  // namespace

int runCheck(const config::Config& config, const mysql::ConnectionOptions& mysql_options,
             const sink::AmqpOptions& amqp_options) {
  std::vector<mysql::CheckResult> checks = checkServer(config, mysql_options);
  checks.push_back(checkBroker(amqp_options));
  if (config.monitor.state_store == config::StateStoreKind::Mysql) {
    checks.push_back(checkStateStore(config));
  }
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
