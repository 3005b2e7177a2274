#include "app/options.h"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

namespace mm::app {
namespace {

constexpr const char* kOverview =
    "mysql-monitor: publishes every committed row change of a MySQL/MariaDB server to RabbitMQ, "
    "reading the binlog as a replica.";

constexpr const char* kRootExamples =
    "Examples:\n"
    "  mysql-monitor --config /etc/mysql-monitor.cfg           run the daemon\n"
    "  mysql-monitor --config m.cfg --set mysql.port=3307      override one key of the file\n"
    "  mysql-monitor --config m.cfg --check-config             validate the configuration only\n"
    "  mysql-monitor check --config m.cfg                      check the server and broker "
    "settings\n"
    "  mysql-monitor status --config m.cfg                     saved position against the server\n"
    "  mysql-monitor tail --config m.cfg                       watch the messages as they arrive\n"
    "  mysql-monitor snapshot --config m.cfg shop.orders       publish a table's rows again\n"
    "  mysql-monitor decode mysql-bin.000042                   the messages a binlog file holds\n"
    "\n"
    "Settings: defaults < the --config file < MYSQL_MONITOR_<SECTION>_<KEY> variables < --set.\n"
    "Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error.";

}  // namespace

namespace {

// -c/--config, --set and --log-level, which the root and every command but decode take.
void addConfigOptions(CLI::App& app, CommandLine& cl) {
  app.add_option("-c,--config", cl.config_path, "INI configuration file (see config-example.cfg)")
      ->check(CLI::ExistingFile);
  app.add_option(
         "--set", cl.overrides,
         "Override one setting, e.g. --set amqp.exchange=changes (repeatable; wins over the "
         "file and the environment). Passwords are refused here, as every local user can "
         "read a command line (ps): use MYSQL_MONITOR_MYSQL_PASSWORD / "
         "MYSQL_MONITOR_AMQP_PASSWORD or [mysql]/[amqp] password_file")
      ->type_name("SECTION.KEY=VALUE")
      ->allow_extra_args(false);
  app.add_option("--log-level", cl.log_level, "debug, info, warning or error; overrides the config")
      ->check(CLI::IsMember({"debug", "info", "warning", "warn", "error"}, CLI::ignore_case));
}

// The subcommands that only read the configuration: run, check, status.
void addDaemonCommands(CLI::App& cli, CommandLine& cl) {
  CLI::App* run = cli.add_subcommand("run", "Run the daemon (the default)");
  addConfigOptions(*run, cl);
  run->footer("Example:\n  mysql-monitor run --config /etc/mysql-monitor.cfg\n"
              "Stops cleanly on SIGINT or SIGTERM (exit 0) once what was read is confirmed.");

  CLI::App* check = cli.add_subcommand(
      "check", "Check that the MySQL server and the broker suit the monitor; one line per check "
               "(ok / warn / fail with the fix); exit status 1 on any fail");
  addConfigOptions(*check, cl);
  check->footer("Example:\n  mysql-monitor check --config /etc/mysql-monitor.cfg");

  CLI::App* status = cli.add_subcommand(
      "status",
      "Show the saved position against the server's binlogs: how far behind, the server's "
      "binlog retention, and whether the saved binlog still exists (exit 1 when it is gone)");
  addConfigOptions(*status, cl);
  status->footer("Example:\n  mysql-monitor status --config /etc/mysql-monitor.cfg");

  CLI::App* import_state = cli.add_subcommand(
      "import-state",
      "Copy the state in [monitor] state_path (checkpoint and schema history) into the [state] "
      "tables on a server, for [monitor] state_store = mysql; refuses to overwrite a state or to "
      "run beside a monitor of the same [monitor] name");
  addConfigOptions(*import_state, cl);
  import_state->footer(
      "Example:\n  mysql-monitor import-state --config /etc/mysql-monitor.cfg\n"
      "then set [monitor] state_store = mysql and start the monitor (docs/high-availability.md)");
}

void addTailCommand(CLI::App& cli, CommandLine& cl) {
  CLI::App* tail = cli.add_subcommand(
      "tail", "Print the messages published to the configured exchange as they arrive, through a "
              "private queue (other consumers lose nothing); stop with Ctrl-C");
  addConfigOptions(*tail, cl);
  tail->add_option("--binding-key", cl.binding_key,
                   "Bind with this key instead of the one derived from [amqp] exchange_type and "
                   "routing_key (topic: '#', e.g. 'shop.#')");
  tail->add_option("--count", cl.count, "Stop after this many messages (0 = until stopped)")
      ->check(CLI::NonNegativeNumber);
  tail->add_flag("--compact", cl.compact, "Print each body on one line as published");
  tail->footer("Examples:\n"
               "  mysql-monitor tail --config /etc/mysql-monitor.cfg\n"
               "  mysql-monitor tail --config m.cfg --binding-key 'shop.orders.#' --count 10");
}

void addSnapshotCommand(CLI::App& cli, CommandLine& cl) {
  CLI::App* snapshot = cli.add_subcommand(
      "snapshot",
      "Ask the running monitor to publish the rows of tables (every published table when none "
      "is named) as row_snapshot messages, without a restart; through its [metrics] listen "
      "address. Exit status 1 when refused (one already runs, a table is not published) or the "
      "monitor does not answer");
  addConfigOptions(*snapshot, cl);
  snapshot->add_option("tables", cl.tables,
                       "DATABASE.TABLE, or `db`.`table` for names with dots (repeatable)");
  snapshot->add_flag("--cancel", cl.cancel, "Cancel the running snapshot instead");
  snapshot->footer("Examples:\n"
                   "  mysql-monitor snapshot --config /etc/mysql-monitor.cfg shop.orders\n"
                   "  mysql-monitor snapshot --config m.cfg            every published table\n"
                   "  mysql-monitor snapshot --config m.cfg --cancel\n"
                   "Progress: mysql-monitor status --config m.cfg");
}

void addDecodeCommand(CLI::App& cli, CommandLine& cl) {
  CLI::App* decode = cli.add_subcommand(
      "decode",
      "Print, as JSON lines, the messages the live stream would publish for binlog files");
  decode->add_option("files", cl.files, "Binlog files (.gz accepted)")
      ->required()
      ->check(CLI::ExistingFile);
  decode->add_flag("--all-events", cl.all_events, "Also print the non-row events");
  decode->footer("Examples:\n"
                 "  mysql-monitor decode /var/lib/mysql/mysql-bin.000042\n"
                 "  mysql-monitor decode --all-events mysql-bin.000042.gz | less\n"
                 "Shows progress on stderr for large files when stderr is a terminal.");
}

}  // namespace

Result<CommandLine> parseCommandLine(int argc, char** argv) {
  CommandLine cl;
  CLI::App cli{kOverview};
  cli.footer(kRootExamples);
  cli.set_version_flag("--version", fmt::format("mysql-monitor {}", MM_VERSION));
  cli.require_subcommand(0, 1);
  addConfigOptions(cli, cl);
  cli.add_flag("--check-config", cl.check_config, "Validate the configuration and exit");
  addDaemonCommands(cli, cl);
  addTailCommand(cli, cl);
  addSnapshotCommand(cli, cl);
  addDecodeCommand(cli, cl);
  try {
    cli.parse(argc, argv);
  } catch (const CLI::Success& e) {
    cli.exit(e);
    return Status::cancelled("help or version shown");
  } catch (const CLI::ParseError& e) {
    return Status::invalidArgument(fmt::format("{}\nRun with --help for usage.", e.what()));
  }
  // The subcommand given (at most one); none, or run, means the daemon.
  const std::pair<const char*, Command> commands[] = {
      {"decode", Command::Decode},     {"check", Command::Check},
      {"status", Command::Status},     {"tail", Command::Tail},
      {"snapshot", Command::Snapshot}, {"import-state", Command::ImportState}};
  for (const auto& [name, command] : commands) {
    if (cli.get_subcommand(name)->parsed()) {
      cl.command = command;
    }
  }
  return cl;
}

}  // namespace mm::app
