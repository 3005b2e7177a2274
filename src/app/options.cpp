#include "app/options.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace mm::app {

Result<CommandLine> parseCommandLine(int argc, char** argv) {
  CommandLine cl;
  CLI::App cli{
      "mysql-monitor: publishes every committed row change of a MySQL/MariaDB server to RabbitMQ, "
      "reading the binlog as a replica."};
  cli.set_version_flag("--version", "mysql-monitor 0.1.0");
  cli.add_option("-c,--config", cl.config_path, "INI configuration file (see config-example.cfg)")
      ->check(CLI::ExistingFile);
  cli.add_option("--log-level", cl.log_level, "debug, info, warning or error; overrides the config");
  cli.add_flag("--check-config", cl.check_config, "Validate the configuration and exit");
  try {
    cli.parse(argc, argv);
  } catch (const CLI::Success& e) {
    cli.exit(e);
    return Status::cancelled("help or version shown");
  } catch (const CLI::ParseError& e) {
    return Status::invalidArgument(fmt::format("{}\nRun with --help for usage.", e.what()));
  }
  return cl;
}

}  // namespace mm::app
