#include "app/options.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace mm::app {

Result<CommandLine> parseCommandLine(int argc, char** argv) {
  CommandLine cl;
  CLI::App cli{
      "mysql-monitor: publishes every committed row change of a MySQL/MariaDB server to RabbitMQ, "
      "reading the binlog as a replica.\n\n"
      "Examples:\n"
      "  mysql-monitor --config /etc/mysql-monitor.cfg       run the daemon\n"
      "  mysql-monitor decode mysql-bin.000042               print the messages a binlog file holds\n"
      "  mysql-monitor check --config /etc/mysql-monitor.cfg check the server and broker settings\n"};
  cli.set_version_flag("--version", "mysql-monitor 0.1.0");
  cli.require_subcommand(0, 1);
  auto add_common = [&](CLI::App& app) {
    app.add_option("-c,--config", cl.config_path, "INI configuration file (see config-example.cfg)")
        ->check(CLI::ExistingFile);
    app.add_option("--log-level", cl.log_level, "debug, info, warning or error; overrides the config");
  };
  add_common(cli);
  cli.add_flag("--check-config", cl.check_config, "Validate the configuration and exit");
  CLI::App* run = cli.add_subcommand("run", "Run the daemon (the default)");
  add_common(*run);
  CLI::App* decode = cli.add_subcommand(
      "decode", "Print, as JSON lines, the messages the live stream would publish for binlog files");
  decode->add_option("files", cl.files, "Binlog files (.gz accepted)")->required()->check(CLI::ExistingFile);
  decode->add_flag("--all-events", cl.all_events, "Also print the non-row events");
  CLI::App* check = cli.add_subcommand(
      "check", "Check that the MySQL server and the broker suit the monitor; one line per check "
               "(ok / warn / fail with the fix); exit status 1 on any fail");
  add_common(*check);
  try {
    cli.parse(argc, argv);
  } catch (const CLI::Success& e) {
    cli.exit(e);
    return Status::cancelled("help or version shown");
  } catch (const CLI::ParseError& e) {
    return Status::invalidArgument(fmt::format("{}\nRun with --help for usage.", e.what()));
  }
  if (decode->parsed()) {
    cl.command = Command::Decode;
  } else if (check->parsed()) {
    cl.command = Command::Check;
  }
  return cl;
}

}  // namespace mm::app
