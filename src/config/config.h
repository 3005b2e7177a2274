// Config: every setting of the daemon, validated once at start-up and immutable afterwards.
//
// Sources, later ones winning: built-in defaults (the origin's), the INI file given by --config
// (the origin's config-example.cfg keys, unchanged), environment variables named
// MYSQL_MONITOR_<SECTION>_<KEY> (e.g. MYSQL_MONITOR_MYSQL_PASSWORD), then `--set section.key=value`
// overrides, except for keys holding a secret (password, ...): refused from --set, as every local
// user can read a command line. Passwords may instead come from a file ([mysql]/[amqp]
// password_file), so secrets need not sit in the configuration or the environment.
//
// Every error is InvalidArgument and names where the bad setting came from (file:line, the
// variable, or the --set argument) and the key: an unknown key gets a suggestion (a close key of
// the same section, or the section that has it), a bad value the allowed values. Errors never show
// a secret's value nor a line that did not parse; other names and values at most 64 bytes. The work
// is linear in the input (the suggestion search skips keys whose length rules them out). app/
// copies fields into each module's own Options.
//
// Values with a structure are parsed here, once, and held typed: the start position, the routing
// key template, the broker list and the database list. Nothing downstream parses their text again.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "binlog/start_position.h"
#include "common/status.h"
#include "message/message_format.h"
#include "message/message_route.h"

namespace mm::config {

enum class LogLevel { Debug, Info, Warning, Error };
enum class LogFormat { Text, Json };  // human lines, or one JSON object per line

enum class StateStoreKind { File, Mysql };

struct MonitorConfig {
  LogLevel log_level = LogLevel::Info;
  LogFormat log_format = LogFormat::Text;
  int delay_seconds = 0;          // delay buffer window; 0 = off
  int delay_start_seconds = 0;    // wait before connecting, for containers started together
  int stop_timeout_seconds = 10;  // at SIGTERM, wait this long for confirms (plus delay)
  // The directory holding the state file. The origin named its state file here
  // ("data/state.json"): a path ending in ".json", or naming a regular file, is that file, and
  // the state directory is the one holding it (buildConfig resolves it).
  std::string state_path = "data";
  // The Python monitor's state file, read on a first start (checkpoint/origin_state.h): the file
  // state_path named, else state.json in the state directory.
  std::string origin_state_file;
  int heartbeat_interval_seconds = 30;
  // MiB of rows the monitor may hold back: rows of prepared XA transactions waiting for their
  // outcome, and rows after a SAVEPOINT waiting for their transaction's end.
  int max_held_mb = 256;
  // How often the checkpoint is saved at most: a crash re-publishes the unconfirmed messages plus
  // about this much of confirmed changes (pipeline/save_cadence.h).
  int checkpoint_interval_ms = 50;
  // Where the checkpoint and schema history live: the state_path directory, or the [state]
  // tables on a server (docs/high-availability.md), which also elects one active monitor among
  // those of the same `name`.
  StateStoreKind state_store = StateStoreKind::File;
  std::string name = "mysql-monitor";
};

// What to do when the server no longer has the saved binlog position (purged).
enum class OnPositionLost {
  Fail,     // stop with exit 1, naming the position and the server's oldest binlog
  Current,  // publish a "gap" message and resume at the server's current position
};

enum class MysqlSsl { Off, On, VerifyCa, VerifyIdentity };

struct HostPort {
  std::string host;
  int port = 0;
  bool operator==(const HostPort&) const = default;
};

struct MysqlConfig {
  // One server, or a list "a,b:3307" of one GTID replication topology tried in turn (the one that
  // last answered first): with resume_by = gtid the monitor follows a failover to another of them.
  std::string host = "localhost";
  int port = 3306;                // for the hosts that name no port
  std::vector<HostPort> servers;  // host and port parsed (buildConfig sets it)
  std::string user = "root";
  std::string password;                // or read from password_file
  std::string password_file;           // the file the password was read from; empty = none
  std::vector<std::string> databases;  // schemas published (`database`: a comma list); empty = all
  std::vector<std::string> tables;     // "db.table" patterns ('*' wildcard); empty = all
  std::vector<std::string> exclude_tables;  // "db.table" patterns never published
  uint32_t server_id = 4379;                // must be unique among the source's replicas
  // current | earliest | FILE:POS | a GTID set (when no state exists), parsed
  binlog::StartPosition start_position = binlog::StartPosition::current();
  int heartbeat_period_seconds = 5;  // server heartbeats while idle; silence for 2x = dead link
  OnPositionLost on_position_lost = OnPositionLost::Fail;
  // position | gtid: how a saved state (and a reconnect) resumes; gtid follows a failover.
  bool resume_by_gtid = false;
  // TLS to the server, on every connection (replica stream and queries), as MySQL's --ssl-mode:
  // off | on (encrypted, certificate not checked) | verify_ca (signed by ssl_ca) |
  // verify_identity (also issued to host).
  MysqlSsl ssl = MysqlSsl::Off;
  std::string ssl_ca;    // CA certificates (PEM); required by verify_ca and verify_identity
  std::string ssl_cert;  // client certificate (PEM), with ssl_key; optional
  std::string ssl_key;
};

enum class AmqpHeaders { Auto, On, Off };

// What to do with a row message larger than the broker takes (its max_message_size).
enum class OnOversize {
  Fail,  // stop with exit 1, naming the row, its size and the limit
  Stub,  // publish a row_oversize message (the row's keys and position) in its place
};

struct AmqpConfig {
  std::string host = "localhost";  // one broker or a list "a,b:5673,c" tried in turn (brokers)
  int port = 5672;                 // for the hosts that name no port
  // host and port parsed: comma-separated "host" or "host:port" ("[v6addr]:port" for IPv6), port
  // where none is given. buildConfig sets it once every source is applied.
  std::vector<HostPort> brokers;
  std::string user = "guest";
  std::string password = "guest";  // or read from password_file
  std::string password_file;       // the file the password was read from; empty = none
  std::string vhost = "/";
  bool ssl = false;
  std::string ssl_ca;      // CA certificates (PEM) for the broker's; required when ssl_verify
  bool ssl_verify = true;  // check the broker's certificate and host name
  std::string ssl_cert;    // client certificate (PEM), with ssl_key; optional
  std::string ssl_key;
  std::string exchange = "mysql-monitor";
  std::string exchange_type = "fanout";
  std::string routing_key = "monitor";  // template: {database}, {table}, {type}, {keys_hash}
  message::RoutingKeyTemplate routing;  // routing_key parsed (buildConfig sets it, default too)
  bool mandatory = false;               // unroutable messages come back and are retried
  // The database/table/type headers on every message: auto = only for a headers exchange, which
  // routes on them. They cost the broker a quarter of its throughput (README "Messages").
  AmqpHeaders headers = AmqpHeaders::Auto;
  int heartbeat_seconds = 30;  // AMQP heartbeat; a silent link is dropped after about twice this
  int confirm_window = 1000;   // unconfirmed messages in flight
  OnOversize on_oversize = OnOversize::Fail;
  // The broker's largest message body in bytes (RabbitMQ's max_message_size), checked before
  // publishing; 0 = learned from the broker's first refusal.
  int max_message_size = 0;
};

// The metrics and health endpoints (README "Operations: metrics and health").
struct MetricsConfig {
  bool enabled = true;             // listen = off disables the HTTP server
  std::string host = "127.0.0.1";  // listen = HOST:PORT ([v6addr]:PORT)
  int port = 9650;
  // /readyz fails when the server's binlog moved on while our position stood still this long.
  int stall_seconds = 60;
};

// The snapshot of the existing rows (README "Snapshot", docs/design.md §13).
enum class SnapshotMode { Never, Initial };
struct SnapshotConfig {
  SnapshotMode mode = SnapshotMode::Never;  // initial: every published table on a first start
  int chunk_rows = 1024;  // bench/snapshot_bench.sh: 4096 held 46 MiB and 480 ms of live latency
  int max_rows_per_second = 0;  // 0 = unlimited
  int keyless_max_rows = 100000;
};

// [monitor] state_store = mysql: the server holding the state tables and the leader lock
// (docs/high-availability.md). An empty host means the [mysql] source itself, with its user,
// password and port; TLS settings are always [mysql]'s.
struct StateConfig {
  std::string database = "mysql_monitor";
  std::string host;  // empty = [mysql] host (and port, user, password)
  int port = 3306;
  std::string user;
  std::string password;
  std::string password_file;
  // A leader silent this long (paused, cut off) loses the lock: the server ends its session.
  int lock_timeout_seconds = 10;
};

// The message contract (message/message_format.h): native, or origin (the Python monitor's).
struct MessageConfig {
  message::MessageFormat format = message::MessageFormat::Native;
};

struct Config {
  MonitorConfig monitor;
  MysqlConfig mysql;
  AmqpConfig amqp;
  MetricsConfig metrics;
  SnapshotConfig snapshot;
  MessageConfig message;
  StateConfig state;
  // What an operator should fix but that does not stop the start (a password file other users may
  // read), for the caller to log once logging is set up.
  std::vector<std::string> warnings;
  // For a file written for the Python monitor (every key one it knew): where the same file means
  // something else here, one line each, for `check` (docs/migrating-from-the-python-monitor.md).
  std::vector<std::string> origin_differences;
};

// Where the settings come from, in increasing precedence.
struct ConfigSources {
  std::string file_path;  // INI file; empty = none (defaults, environment and overrides only)
  std::map<std::string, std::string> environment;  // variable name -> value; others are ignored
  std::vector<std::string> overrides;              // `section.key=value` texts of --set, in order
};

// Builds the configuration from INI text (`file_origin` names it in errors, normally its path),
// environment variables and --set overrides, then reads the password files and validates.
// Errors: an unknown section or key (with a suggestion), a malformed value (with the allowed
// values; numbers that overflow, a start_position or routing_key that does not parse included), a
// MYSQL_MONITOR_ variable naming no key, a --set that is
// not section.key=value or sets a secret, a password_file that is not a readable regular file of
// at most 4 KiB, an ssl_ca/ssl_cert/ssl_key (or *_file) that is not a readable regular file,
// password and password_file both set in the same source (across sources the later wins, as for
// any key), or settings that do not go together (ssl without ssl_ca, ...). A password file's
// content loses one trailing newline; one its group or others may read adds to Config::warnings.
Result<Config> buildConfig(std::string_view file_text, std::string_view file_origin,
                           const std::map<std::string, std::string>& environment,
                           const std::vector<std::string>& overrides);

// buildConfig() over INI text alone.
Result<Config> parseConfig(std::string_view text, std::string_view origin);

// Reads `sources.file_path` (a regular file of at most 1 MiB; an error naming it and the reason
// otherwise) and builds over it.
Result<Config> loadConfig(const ConfigSources& sources);

// The process environment's MYSQL_MONITOR_* variables.
std::map<std::string, std::string> processEnvironment();

// A key the configuration knows, and its default as the INI file would spell it.
struct KnownSetting {
  std::string section;
  std::string key;
  std::string default_value;
};
std::vector<KnownSetting> knownSettings();

// A duration in seconds: "30", "30s", "5m" or "1h". Empty string on success, else what is wrong.
std::string parseDurationSeconds(std::string_view text, int min, int max, int& seconds);

std::string_view logLevelName(LogLevel level);
std::string_view logFormatName(LogFormat format);

// The items of a comma-separated list, trimmed, empty items dropped ("a, b," -> {"a", "b"}).
std::vector<std::string> splitList(std::string_view text);

}  // namespace mm::config
