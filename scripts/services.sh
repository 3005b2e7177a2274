#!/usr/bin/env bash
# Private MariaDB server and RabbitMQ broker for mysql-monitor development and tests.
#
# Usage: scripts/services.sh COMMAND
#   start           install the Debian packages if missing, start whatever is not running,
#                   create the test accounts and write $MM_SERVICES_DIR/env (no-op if all up)
#   stop [--purge]  stop both (no error if not running); --purge also deletes the state dir
#   purge           same as stop --purge
#   restart         stop, then start
#   restart-rabbit  stop and start only the broker (used by fault tests)
#   status          report each service; exit 0 if both are up, 1 otherwise
#   env             print the env file (eval "$(scripts/services.sh env)" or source it)
#   replica-start   start a second MariaDB (port MM_MYSQL_REPLICA_PORT, default MM_MYSQL_PORT-10000+1:
#                   below Linux's ephemeral range, which a client's connection may hold)
#                   as a GTID replica of the first, from the first's current GTID position, and
#                   add MM_MYSQL_REPLICA_PORT to the env file; replica-stop stops it
#   mysql-kill      kill -9 the (primary) MariaDB; start brings it back
#   cluster-start   start a three-node RabbitMQ cluster besides the single broker (nodes
#                   NODE-c1..c3, AMQP ports MM_AMQP_PORT-30000+1..3, distribution ports
#                   MM_AMQP_DIST_PORT-30000+1..3: below Linux's ephemeral range, which an
#                   outgoing connection between the nodes took a port of; nodes 2 and 3 join
#                   node 1 at their first boot) and add MM_AMQP_CLUSTER_PORTS to the env file
#   cluster-stop    stop the cluster's nodes
#   cluster-node-kill N | cluster-node-start N
#                   kill -9 node N of the cluster / start it again (it rejoins)
#
# Settings (read by start; stop/status use what the env file of the last start recorded):
#   MM_SERVICES_DIR         state dir (data, logs, pid files, sockets)  /tmp/mysql-monitor-services
#   MM_MYSQL_PORT           MariaDB TCP port on 127.0.0.1               33061
#   MM_BINLOG_ROW_METADATA  FULL | MINIMAL | NO_LOG                     FULL
#   MM_AMQP_PORT            RabbitMQ AMQP port on 127.0.0.1             56720
#   MM_AMQP_DIST_PORT       RabbitMQ Erlang distribution port           56730
#                           (keep it out of 35672-35682, used by rabbitmqctl itself)
#   MM_RABBIT_NODE          RabbitMQ node name                          mm-rabbit@localhost
#   MM_AMQP_TLS_PORT        RabbitMQ AMQPS port on 127.0.0.1            MM_AMQP_PORT + 20
#                           (a test CA signs the broker's and a client's certificate; the
#                           listener requires a client certificate: see $MM_SERVICES_DIR/tls)
#
# Accounts: MariaDB monitor/monitor-pass (replication + SELECT), mm_admin/mm-admin-pass (ALL),
# monitor_tls/monitor-tls-pass (as monitor, but only over TLS: REQUIRE SSL; the server presents
# the test CA's certificate), root without password over the socket only; RabbitMQ guest/guest
# (loopback only).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE_DIR=${MM_SERVICES_DIR:-/tmp/mysql-monitor-services}
ENV_FILE=$STATE_DIR/env

MYSQL_DIR=$STATE_DIR/mysql
MYSQL_DATA=$MYSQL_DIR/data
MYSQL_CNF=$MYSQL_DIR/my.cnf
MYSQL_SOCKET=$MYSQL_DIR/mysqld.sock
MYSQL_PID=$MYSQL_DIR/mysqld.pid
MYSQL_LOG=$MYSQL_DIR/error.log

RABBIT_DIR=$STATE_DIR/rabbitmq
RABBIT_MNESIA=$RABBIT_DIR/mnesia
RABBIT_LOGS=$RABBIT_DIR/log
RABBIT_PID=$RABBIT_DIR/rabbitmq.pid
RABBIT_CONF=$RABBIT_DIR/rabbitmq.conf
RABBIT_PLUGINS=$RABBIT_DIR/enabled_plugins
RABBIT_STDOUT=$RABBIT_LOGS/startup.log
TLS_DIR=$STATE_DIR/tls

MYSQL_START_TIMEOUT=30
RABBIT_START_TIMEOUT=60
STOP_TIMEOUT=30

log() { printf 'services: %s\n' "$*"; }
warn() { printf 'services: WARNING: %s\n' "$*" >&2; }
die() {
  printf 'services: ERROR: %s\n' "$*" >&2
  exit 1
}

# ---------------------------------------------------------------------------------------------
# Settings

load_requested_settings() {
  MYSQL_PORT=${MM_MYSQL_PORT:-33061}
  ROW_METADATA=${MM_BINLOG_ROW_METADATA:-FULL}
  AMQP_PORT=${MM_AMQP_PORT:-56720}
  DIST_PORT=${MM_AMQP_DIST_PORT:-56730}
  RABBIT_NODE=${MM_RABBIT_NODE:-mm-rabbit@localhost}
  TLS_PORT=${MM_AMQP_TLS_PORT:-$((AMQP_PORT + 20))}
  ROW_METADATA=${ROW_METADATA^^}
  case $ROW_METADATA in
    FULL | MINIMAL | NO_LOG) ;;
    *) die "MM_BINLOG_ROW_METADATA must be FULL, MINIMAL or NO_LOG (got '$ROW_METADATA')" ;;
  esac
  if ((DIST_PORT >= 35672 && DIST_PORT <= 35682)); then
    die "MM_AMQP_DIST_PORT=$DIST_PORT collides with rabbitmqctl's own range 35672-35682"
  fi
}

# stop/status act on what the last start recorded, falling back to the requested settings.
load_recorded_settings() {
  load_requested_settings
  [[ -f $ENV_FILE ]] || return 0
  local line key value
  while IFS= read -r line; do
    [[ $line =~ ^export\ (MM_[A-Z_]+)=(.*)$ ]] || continue
    key=${BASH_REMATCH[1]}
    value=${BASH_REMATCH[2]}
    case $key in
      MM_MYSQL_PORT) MYSQL_PORT=$value ;;
      MM_BINLOG_ROW_METADATA) ROW_METADATA=$value ;;
      MM_AMQP_PORT) AMQP_PORT=$value ;;
      MM_AMQP_DIST_PORT) DIST_PORT=$value ;;
      MM_RABBIT_NODE) RABBIT_NODE=$value ;;
      MM_AMQP_TLS_PORT) TLS_PORT=$value ;;
    esac
  done <"$ENV_FILE"
}

# ---------------------------------------------------------------------------------------------
# Helpers

packages_installed() {
  local package
  for package in mariadb-server mariadb-client rabbitmq-server; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || return 1
  done
}

ensure_packages() {
  packages_installed && return 0
  log "MariaDB/RabbitMQ packages missing; running scripts/install-deps.sh"
  "$SCRIPT_DIR/install-deps.sh"
  packages_installed || die "packages still missing after install-deps.sh"
}

pid_alive() { # pid_alive PIDFILE
  local pid
  [[ -s $1 ]] || return 1
  pid=$(<"$1")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_pid_gone() { # wait_pid_gone PID SECONDS
  local deadline=$((SECONDS + $2))
  while kill -0 "$1" 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

show_log_tail() { # show_log_tail FILE...
  local file
  for file in "$@"; do
    [[ -f $file ]] || continue
    printf -- '---- last lines of %s ----\n' "$file" >&2
    tail -n 30 "$file" >&2
  done
}

write_env_file() {
  {
    echo "# Written by scripts/services.sh start; source it or eval \"\$(scripts/services.sh env)\"."
    printf 'export %s=%q\n' \
      MM_SERVICES_DIR "$STATE_DIR" \
      MM_MYSQL_HOST 127.0.0.1 \
      MM_MYSQL_PORT "$MYSQL_PORT" \
      MM_MYSQL_USER monitor \
      MM_MYSQL_PASSWORD monitor-pass \
      MM_MYSQL_ADMIN_USER mm_admin \
      MM_MYSQL_ADMIN_PASSWORD mm-admin-pass \
      MM_MYSQL_TLS_USER monitor_tls \
      MM_MYSQL_TLS_PASSWORD monitor-tls-pass \
      MM_MYSQL_TLS_CA "$TLS_DIR/ca.pem" \
      MM_MYSQL_SOCKET "$MYSQL_SOCKET" \
      MM_BINLOG_ROW_METADATA "$ROW_METADATA" \
      MM_AMQP_HOST 127.0.0.1 \
      MM_AMQP_PORT "$AMQP_PORT" \
      MM_AMQP_DIST_PORT "$DIST_PORT" \
      MM_AMQP_USER guest \
      MM_AMQP_PASSWORD guest \
      MM_RABBIT_NODE "$RABBIT_NODE" \
      MM_AMQP_TLS_PORT "$TLS_PORT" \
      MM_AMQP_TLS_CA "$TLS_DIR/ca.pem" \
      MM_AMQP_TLS_CLIENT_CERT "$TLS_DIR/client.pem" \
      MM_AMQP_TLS_CLIENT_KEY "$TLS_DIR/client.key"
    # What replica-start and cluster-start added stays while those servers may run.
    if [[ -f $ENV_FILE ]]; then
      grep -E '^export (MM_MYSQL_REPLICA_PORT|MM_AMQP_CLUSTER_PORTS)=' "$ENV_FILE" || true
    fi
  } >"$ENV_FILE.tmp"
  mv "$ENV_FILE.tmp" "$ENV_FILE"
  log "wrote $ENV_FILE"
}

# ---------------------------------------------------------------------------------------------
# MariaDB

mysql_admin() { mariadb-admin --no-defaults --socket="$MYSQL_SOCKET" --user=root "$@"; }
mysql_root() { mariadb --no-defaults --socket="$MYSQL_SOCKET" --user=root --batch --skip-column-names "$@"; }
mysql_running() { mysql_admin --connect-timeout=2 ping >/dev/null 2>&1; }

write_mysql_cnf() {
  make_test_certificates
  cat >"$MYSQL_CNF" <<EOF
# Generated by scripts/services.sh; rewritten whenever the script launches the server.
[mariadbd]
user = root
datadir = $MYSQL_DATA
socket = $MYSQL_SOCKET
pid-file = $MYSQL_PID
log-error = $MYSQL_LOG
bind-address = 127.0.0.1
port = $MYSQL_PORT
skip-name-resolve
server_id = ${MYSQL_SERVER_ID:-1}
log_bin = mysql-bin
# A replica's binlog holds what it replicates too (replica-start), so it can become the source.
log_slave_updates = ON
binlog_format = ROW
binlog_row_image = FULL
binlog_row_metadata = $ROW_METADATA
binlog_checksum = CRC32
# Small footprint for a development box.
innodb_buffer_pool_size = 128M
innodb_log_file_size = 48M
# TLS with the test CA's server certificate (localhost, 127.0.0.1); the account monitor_tls must
# use it (tests of [mysql] ssl).
ssl_ca = $TLS_DIR/ca.pem
ssl_cert = $TLS_DIR/server.pem
ssl_key = $TLS_DIR/server.key
EOF
}

init_mysql_datadir() {
  [[ -d $MYSQL_DATA/mysql ]] && return 0
  log "initialising MariaDB data dir $MYSQL_DATA"
  rm -rf "$MYSQL_DATA"
  if ! mariadb-install-db --no-defaults --datadir="$MYSQL_DATA" --user=root \
    --auth-root-authentication-method=normal --skip-test-db >"$MYSQL_DIR/install-db.log" 2>&1; then
    show_log_tail "$MYSQL_DIR/install-db.log"
    rm -rf "$MYSQL_DATA"
    die "mariadb-install-db failed"
  fi
}

launch_mysql() {
  local deadline=$((SECONDS + MYSQL_START_TIMEOUT)) pid
  log "starting MariaDB on 127.0.0.1:$MYSQL_PORT (binlog_row_metadata=$ROW_METADATA)"
  setsid nohup mariadbd --defaults-file="$MYSQL_CNF" >>"$MYSQL_LOG" 2>&1 </dev/null &
  pid=$!
  until mysql_running; do
    if ! kill -0 "$pid" 2>/dev/null; then
      show_log_tail "$MYSQL_LOG"
      die "mariadbd exited during startup"
    fi
    if ((SECONDS >= deadline)); then
      show_log_tail "$MYSQL_LOG"
      die "MariaDB did not answer within ${MYSQL_START_TIMEOUT}s (pid $pid left running)"
    fi
    sleep 0.3
  done
}

# A running server keeps its settings; apply the requested row metadata live, refuse a port change.
check_running_mysql() {
  local port metadata
  read -r port metadata < <(mysql_root -e 'SELECT @@port, @@binlog_row_metadata')
  [[ $port == "$MYSQL_PORT" ]] ||
    die "MariaDB already runs on port $port, not $MYSQL_PORT; run '$0 stop' first"
  if [[ $metadata != "$ROW_METADATA" ]]; then
    log "MariaDB runs with binlog_row_metadata=$metadata; setting it to $ROW_METADATA"
    mysql_root -e "SET GLOBAL binlog_row_metadata = '$ROW_METADATA'"
  fi
}

# Account setup is kept out of the binlog so tests see only their own changes.
create_mysql_accounts() {
  mysql_root <<'SQL'
SET SESSION sql_log_bin = 0;
CREATE USER IF NOT EXISTS 'monitor'@'127.0.0.1' IDENTIFIED BY 'monitor-pass';
CREATE USER IF NOT EXISTS 'monitor'@'localhost' IDENTIFIED BY 'monitor-pass';
ALTER USER 'monitor'@'127.0.0.1' IDENTIFIED BY 'monitor-pass';
ALTER USER 'monitor'@'localhost' IDENTIFIED BY 'monitor-pass';
GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT ON *.* TO 'monitor'@'127.0.0.1', 'monitor'@'localhost';
-- [monitor] state_store = mysql keeps its tables here (docs/high-availability.md "Grants").
GRANT SELECT, INSERT, UPDATE, CREATE ON mysql_monitor.* TO 'monitor'@'127.0.0.1', 'monitor'@'localhost';
CREATE USER IF NOT EXISTS 'monitor_tls'@'127.0.0.1' IDENTIFIED BY 'monitor-tls-pass' REQUIRE SSL;
ALTER USER 'monitor_tls'@'127.0.0.1' IDENTIFIED BY 'monitor-tls-pass' REQUIRE SSL;
GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT ON *.* TO 'monitor_tls'@'127.0.0.1';
CREATE USER IF NOT EXISTS 'mm_admin'@'127.0.0.1' IDENTIFIED BY 'mm-admin-pass';
CREATE USER IF NOT EXISTS 'mm_admin'@'localhost' IDENTIFIED BY 'mm-admin-pass';
ALTER USER 'mm_admin'@'127.0.0.1' IDENTIFIED BY 'mm-admin-pass';
ALTER USER 'mm_admin'@'localhost' IDENTIFIED BY 'mm-admin-pass';
GRANT ALL PRIVILEGES ON *.* TO 'mm_admin'@'127.0.0.1', 'mm_admin'@'localhost' WITH GRANT OPTION;
CREATE DATABASE IF NOT EXISTS mm_demo;
SQL
}

start_mysql() {
  mkdir -p "$MYSQL_DIR"
  if mysql_running; then
    log "MariaDB already running (pid $(cat "$MYSQL_PID" 2>/dev/null || echo '?'))"
    check_running_mysql
  else
    write_mysql_cnf
    init_mysql_datadir
    launch_mysql
    log "MariaDB is up (pid $(<"$MYSQL_PID"))"
  fi
  create_mysql_accounts
}

stop_mysql() {
  local pid=""
  [[ -s $MYSQL_PID ]] && pid=$(<"$MYSQL_PID")
  if ! mysql_running && ! pid_alive "$MYSQL_PID"; then
    log "MariaDB not running"
    return 0
  fi
  log "stopping MariaDB${pid:+ (pid $pid)}"
  if ! mysql_admin --connect-timeout=5 shutdown >/dev/null 2>&1 && [[ -n $pid ]]; then
    kill "$pid" 2>/dev/null || true
  fi
  if [[ -n $pid ]] && ! wait_pid_gone "$pid" "$STOP_TIMEOUT"; then
    warn "MariaDB did not stop within ${STOP_TIMEOUT}s; killing pid $pid"
    kill -9 "$pid" 2>/dev/null || true
    wait_pid_gone "$pid" 5 || die "could not kill mariadbd pid $pid"
  fi
  log "MariaDB stopped"
}

status_mysql() {
  if mysql_running; then
    log "MariaDB  running  127.0.0.1:$MYSQL_PORT socket $MYSQL_SOCKET pid $(cat "$MYSQL_PID" 2>/dev/null || echo '?')"
  else
    log "MariaDB  stopped"
    return 1
  fi
}

# ---------------------------------------------------------------------------------------------
# RabbitMQ
#
# As root, the Debian wrappers /usr/sbin/rabbitmq-server and /usr/sbin/rabbitmqctl re-run
# themselves as the rabbitmq user (su keeps the RABBITMQ_* environment, sets
# HOME=/var/lib/rabbitmq), so server and CLI share /var/lib/rabbitmq/.erlang.cookie.

rabbitctl() { timeout 120 /usr/sbin/rabbitmqctl -n "$RABBIT_NODE" "$@"; }

# Tools that bypass the wrappers (e.g. /usr/lib/rabbitmq/bin/rabbitmqctl run by root) read
# $HOME/.erlang.cookie; give root the broker's cookie if it has none (Erlang would otherwise
# create a random, mismatching one on first use).
sync_root_cookie() {
  local source=/var/lib/rabbitmq/.erlang.cookie target=/root/.erlang.cookie
  [[ $(id -u) == 0 && -s $source ]] || return 0
  if [[ ! -e $target ]]; then
    install -m 400 -o root -g root "$source" "$target"
    log "copied $source to $target"
  elif ! cmp -s "$source" "$target"; then
    warn "$target differs from $source; only the /usr/sbin/rabbit* wrappers will reach the broker"
  fi
}

rabbit_running() { pid_alive "$RABBIT_PID" && port_open "$AMQP_PORT"; }

# A throwaway CA and the certificates it signs: the broker's (localhost, 127.0.0.1) and a client's.
make_test_certificates() {
  [[ -s $TLS_DIR/client.key ]] && return 0
  log "creating a test CA and certificates in $TLS_DIR"
  mkdir -p "$TLS_DIR"
  (
    cd "$TLS_DIR"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=mysql-monitor test CA" \
      -keyout ca.key -out ca.pem
    printf 'subjectAltName = DNS:localhost, IP:127.0.0.1\n' >server.ext
    for name in server client; do
      local extensions=()
      [[ $name == server ]] && extensions=(-extfile server.ext)
      openssl req -newkey rsa:2048 -nodes -subj "/CN=$name" -keyout "$name.key" -out "$name.csr"
      openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 \
        "${extensions[@]}" -out "$name.pem"
    done
  ) >"$STATE_DIR/tls.log" 2>&1 || { show_log_tail "$STATE_DIR/tls.log"; die "openssl failed"; }
}

# The files of one RabbitMQ node (the test broker's or a cluster node's, as selected): its plugins
# (an Erlang list), rabbitmq.conf with the lines every node shares and then `extra`, and an empty
# rabbitmq-env.conf; all rewritten on every start (read when the node boots), owned by rabbitmq.
write_rabbit_node_files() {
  local plugins=$1 extra=$2
  mkdir -p "$RABBIT_MNESIA" "$RABBIT_LOGS"
  echo "$plugins" >"$RABBIT_PLUGINS"
  cat >"$RABBIT_CONF" <<EOF
# Generated by scripts/services.sh; rewritten on every start (read when the broker boots).
# guest/guest stays limited to loopback connections (the default), which 127.0.0.1 is.
loopback_users.guest = true
log.file.level = info
log.console = false
# A development box may be short on disk; do not block publishers because of it.
disk_free_limit.absolute = 50MB
$extra
EOF
  : >"$RABBIT_DIR/rabbitmq-env.conf" # isolate from /etc/rabbitmq/rabbitmq-env.conf
  chmod 755 "$STATE_DIR"
  chown -R rabbitmq:rabbitmq "$RABBIT_DIR"
}

write_rabbit_config() {
  make_test_certificates
  write_rabbit_node_files '[rabbitmq_consistent_hash_exchange].' "\
# AMQPS for the TLS tests: peers must present a certificate of the test CA.
listeners.ssl.1 = 127.0.0.1:$TLS_PORT
ssl_options.cacertfile = $TLS_DIR/ca.pem
ssl_options.certfile = $TLS_DIR/server.pem
ssl_options.keyfile = $TLS_DIR/server.key
ssl_options.verify = verify_peer
ssl_options.fail_if_no_peer_cert = true"
  chmod 755 "$TLS_DIR"
  chmod 644 "$TLS_DIR"/*.pem "$TLS_DIR"/*.key
}

# The broker sees only our RABBITMQ_* variables (exported in the calling subshell).
export_rabbit_env() {
  export RABBITMQ_NODENAME=$RABBIT_NODE
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT=$AMQP_PORT
  export RABBITMQ_DIST_PORT=$DIST_PORT
  export RABBITMQ_MNESIA_BASE=$RABBIT_MNESIA
  export RABBITMQ_LOG_BASE=$RABBIT_LOGS
  export RABBITMQ_PID_FILE=$RABBIT_PID
  export RABBITMQ_CONFIG_FILE=$RABBIT_CONF
  export RABBITMQ_ADVANCED_CONFIG_FILE=$RABBIT_DIR/advanced.config
  export RABBITMQ_CONF_ENV_FILE=$RABBIT_DIR/rabbitmq-env.conf
  export RABBITMQ_ENABLED_PLUGINS_FILE=$RABBIT_PLUGINS
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

launch_rabbit() {
  local pid
  log "starting RabbitMQ node $RABBIT_NODE on 127.0.0.1:$AMQP_PORT (dist port $DIST_PORT)"
  rm -f "$RABBIT_PID"
  (
    export_rabbit_env
    cd /
    exec setsid nohup /usr/sbin/rabbitmq-server >"$RABBIT_STDOUT" 2>&1 </dev/null
  ) &
  pid=$!
  # await_startup fails at once while the node is not registered yet, so first wait for the
  # pid file (written early in the boot), then let 'rabbitmqctl wait' follow the boot.
  local deadline=$((SECONDS + RABBIT_START_TIMEOUT))
  until [[ -s $RABBIT_PID ]]; do
    kill -0 "$pid" 2>/dev/null || rabbit_start_failed "rabbitmq-server exited during startup"
    ((SECONDS < deadline)) || rabbit_start_failed "no pid file after ${RABBIT_START_TIMEOUT}s"
    sleep 0.3
  done
  rabbitctl wait --timeout $((deadline - SECONDS + 1)) "$RABBIT_PID" >/dev/null 2>&1 ||
    rabbit_start_failed "RabbitMQ did not finish booting within ${RABBIT_START_TIMEOUT}s"
  rabbit_running || rabbit_start_failed "RabbitMQ booted but AMQP port $AMQP_PORT is not open"
}

rabbit_start_failed() {
  show_log_tail "$RABBIT_STDOUT" "$RABBIT_LOGS/$RABBIT_NODE.log"
  die "$1 (see $RABBIT_LOGS)"
}

start_rabbit() {
  write_rabbit_config
  sync_root_cookie
  if pid_alive "$RABBIT_PID"; then
    log "RabbitMQ already running (pid $(<"$RABBIT_PID")); waiting until it is booted"
    rabbitctl await_startup --timeout "$RABBIT_START_TIMEOUT" >/dev/null ||
      die "RabbitMQ (pid $(<"$RABBIT_PID")) does not answer"
    port_open "$AMQP_PORT" || die "RabbitMQ runs but not on port $AMQP_PORT; run '$0 stop' first"
  else
    launch_rabbit
    log "RabbitMQ is up (pid $(<"$RABBIT_PID"))"
  fi
}

stop_rabbit() {
  local pid
  if ! pid_alive "$RABBIT_PID"; then
    log "RabbitMQ not running"
    return 0
  fi
  pid=$(<"$RABBIT_PID")
  log "stopping RabbitMQ node $RABBIT_NODE (pid $pid)"
  # 'stop PIDFILE' returns once the Erlang VM has exited.
  if ! rabbitctl stop "$RABBIT_PID" >/dev/null 2>&1; then
    warn "rabbitmqctl stop failed; sending SIGTERM to pid $pid"
    kill "$pid" 2>/dev/null || true
  fi
  if ! wait_pid_gone "$pid" "$STOP_TIMEOUT"; then
    warn "RabbitMQ did not stop within ${STOP_TIMEOUT}s; killing pid $pid"
    kill -9 "$pid" 2>/dev/null || true
    wait_pid_gone "$pid" 5 || die "could not kill RabbitMQ pid $pid"
  fi
  rm -f "$RABBIT_PID"
  log "RabbitMQ stopped"
}

status_rabbit() {
  if rabbit_running; then
    log "RabbitMQ running  127.0.0.1:$AMQP_PORT node $RABBIT_NODE pid $(<"$RABBIT_PID")"
  elif pid_alive "$RABBIT_PID"; then
    log "RabbitMQ starting/unhealthy: pid $(<"$RABBIT_PID") alive but port $AMQP_PORT closed"
    return 1
  else
    log "RabbitMQ stopped"
    return 1
  fi
}

# ---------------------------------------------------------------------------------------------
# A three-node RabbitMQ cluster (issue 19; README "Running against a RabbitMQ cluster"), apart from
# the single broker: every node runs as the rabbitmq user through the Debian wrapper, so all share
# its Erlang cookie; each has its own directory under $STATE_DIR/cluster/N and no TLS listener.

CLUSTER_NODES=(1 2 3)

# Points the RABBIT_* settings at node N (call in a subshell: it changes the single broker's).
select_cluster_node() {
  local n=$1
  # The single broker's settings, kept at the first call (a nested call sees them as set).
  : "${CLUSTER_BASE_NODE:=$RABBIT_NODE}" "${CLUSTER_BASE_AMQP:=$AMQP_PORT}"
  : "${CLUSTER_BASE_DIST:=$DIST_PORT}"
  RABBIT_NODE="${CLUSTER_BASE_NODE%@*}-c$n@${CLUSTER_BASE_NODE#*@}"
  # Below 32768 (Linux's ephemeral ports): a node's outgoing connection to another once held the
  # port the next node was about to listen on.
  AMQP_PORT=$((CLUSTER_BASE_AMQP - 30000 + n))
  DIST_PORT=$((CLUSTER_BASE_DIST - 30000 + n))
  RABBIT_DIR=$STATE_DIR/cluster/$n
  RABBIT_MNESIA=$RABBIT_DIR/mnesia
  RABBIT_LOGS=$RABBIT_DIR/log
  RABBIT_PID=$RABBIT_DIR/rabbitmq.pid
  RABBIT_CONF=$RABBIT_DIR/rabbitmq.conf
  RABBIT_PLUGINS=$RABBIT_DIR/enabled_plugins
  RABBIT_STDOUT=$RABBIT_LOGS/startup.log
}

cluster_node_name() { (select_cluster_node "$1" && echo "$RABBIT_NODE"); }

write_cluster_node_config() {
  mkdir -p "$STATE_DIR/cluster"
  chmod 755 "$STATE_DIR/cluster"
  write_rabbit_node_files '[].' "\
# A fresh node joins the others at its first boot (node 1 boots first and forms the cluster).
cluster_formation.peer_discovery_backend = classic_config
cluster_formation.classic_config.nodes.1 = $(cluster_node_name 1)
cluster_formation.classic_config.nodes.2 = $(cluster_node_name 2)
cluster_formation.classic_config.nodes.3 = $(cluster_node_name 3)"
}

start_cluster_node() {
  select_cluster_node "$1"
  if rabbit_running; then
    log "cluster node $RABBIT_NODE already running (pid $(<"$RABBIT_PID"))"
    return 0
  fi
  write_cluster_node_config
  launch_rabbit
}

# Node N (2 or 3) joins node 1 unless it is already a member.
join_cluster_node() {
  local first
  first=$(cluster_node_name 1)
  select_cluster_node "$1"
  if rabbitctl cluster_status 2>/dev/null | grep -qF "$first"; then
    return 0
  fi
  log "cluster node $RABBIT_NODE joins $first"
  rabbitctl stop_app >/dev/null
  rabbitctl join_cluster "$first" >/dev/null
  rabbitctl start_app >/dev/null
}

# With every node stopped, an earlier cluster's data is removed: a clustered node boots only once
# the node that stopped last is back (RabbitMQ's rule), so node 1 starting first from an earlier
# run's data waited for the others until it timed out (stop 27's CI). The cluster serves the tests
# and has nothing to keep; a node restarted while others run (cluster-node-start) keeps its data.
forget_stopped_cluster() {
  local n
  for n in "${CLUSTER_NODES[@]}"; do
    (select_cluster_node "$n" && pid_alive "$RABBIT_PID") && return 0
  done
  for n in "${CLUSTER_NODES[@]}"; do
    (
      select_cluster_node "$n"
      if [[ -d $RABBIT_MNESIA ]]; then
        log "cluster node $n: removing an earlier cluster's data ($RABBIT_MNESIA)"
        rm -rf "$RABBIT_MNESIA"
      fi
    )
  done
}

cmd_cluster_start() {
  local n pids=() started=$SECONDS
  load_requested_settings
  ensure_packages
  mkdir -p "$STATE_DIR/cluster"
  forget_stopped_cluster
  # Node 1 first (a fresh machine's first boot writes the shared cookie), then the others at once.
  (start_cluster_node 1)
  sync_root_cookie
  for n in "${CLUSTER_NODES[@]:1}"; do
    (start_cluster_node "$n") &
    pids+=($!)
  done
  for n in "${pids[@]}"; do
    wait "$n" || die "a cluster node did not start"
  done
  for n in "${CLUSTER_NODES[@]:1}"; do
    (join_cluster_node "$n")
  done
  local ports n_port
  for n in "${CLUSTER_NODES[@]}"; do
    n_port=$( (select_cluster_node "$n" && echo "$AMQP_PORT"))
    ports=${ports:+$ports,}$n_port
  done
  if [[ -f $ENV_FILE ]]; then
    sed -i '/^export MM_AMQP_CLUSTER_PORTS=/d' "$ENV_FILE"
    echo "export MM_AMQP_CLUSTER_PORTS=$ports" >>"$ENV_FILE"
  fi
  log "RabbitMQ cluster up on 127.0.0.1 ports $ports in $((SECONDS - started)) s"
}

cmd_cluster_stop() {
  local n
  load_recorded_settings
  packages_installed || return 0
  for n in "${CLUSTER_NODES[@]}"; do
    (select_cluster_node "$n" && stop_rabbit)
  done
  if [[ -f $ENV_FILE ]]; then
    sed -i '/^export MM_AMQP_CLUSTER_PORTS=/d' "$ENV_FILE"
  fi
}

cmd_cluster_node() {
  local action=$1 n=${2:-}
  [[ $n =~ ^[123]$ ]] || die "cluster-node-$action needs a node number 1, 2 or 3"
  load_recorded_settings
  (
    select_cluster_node "$n"
    if [[ $action == kill ]]; then
      pid_alive "$RABBIT_PID" || die "cluster node $n is not running"
      local pid
      pid=$(<"$RABBIT_PID")
      log "killing cluster node $RABBIT_NODE (pid $pid)"
      kill -9 "$pid"
      wait_pid_gone "$pid" 10 || die "cluster node $n survived kill -9"
      rm -f "$RABBIT_PID"
    else
      start_cluster_node "$n"
    fi
  )
}

# ---------------------------------------------------------------------------------------------
# A second MariaDB as a GTID replica of the first (issue 19; README "A replicated source"): its own
# directory $STATE_DIR/replica, port MM_MYSQL_REPLICA_PORT (MM_MYSQL_PORT - 10000 + 1), server_id 2,
# log_slave_updates, the same accounts. replica-start (re)points it at the primary's current GTID
# position, so it holds what the primary writes from then on.

# Points the MYSQL_* settings at the replica (call in a subshell).
select_replica() {
  # Below Linux's ephemeral range (32768-60999) like the cluster's ports: started mid-run, the
  # replica once found MM_MYSQL_PORT+1 held by an outgoing connection (CI, "Address already in
  # use"). tests/integration/source_failover_test.cpp follows the same rule.
  local below=$((MYSQL_PORT - 10000 + 1))
  ((below > 1024)) || below=$((MYSQL_PORT + 1))
  MYSQL_PORT=${MM_MYSQL_REPLICA_PORT:-$below}
  MYSQL_DIR=$STATE_DIR/replica
  MYSQL_DATA=$MYSQL_DIR/data
  MYSQL_CNF=$MYSQL_DIR/my.cnf
  MYSQL_SOCKET=$MYSQL_DIR/mysqld.sock
  MYSQL_PID=$MYSQL_DIR/mysqld.pid
  MYSQL_LOG=$MYSQL_DIR/error.log
  MYSQL_SERVER_ID=2
}

cmd_replica_start() {
  load_recorded_settings
  ensure_packages
  mysql_running || die "the primary MariaDB is not running: run '$0 start' first"
  local primary_port=$MYSQL_PORT primary_gtid replica_port
  primary_gtid=$(mysql_root -e 'SELECT @@gtid_binlog_pos')
  replica_port=$( (select_replica && echo "$MYSQL_PORT"))
  (
    select_replica
    mkdir -p "$MYSQL_DIR"
    if ! mysql_running; then
      write_mysql_cnf
      init_mysql_datadir
      launch_mysql
    fi
    create_mysql_accounts
    mysql_root <<SQL
STOP SLAVE;
RESET SLAVE ALL;
SET GLOBAL gtid_slave_pos = '$primary_gtid';
CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = $primary_port,
  MASTER_USER = 'mm_admin', MASTER_PASSWORD = 'mm-admin-pass', MASTER_USE_GTID = slave_pos;
START SLAVE;
SQL
  )
  if [[ -f $ENV_FILE ]]; then
    sed -i '/^export MM_MYSQL_REPLICA_PORT=/d' "$ENV_FILE"
    echo "export MM_MYSQL_REPLICA_PORT=$replica_port" >>"$ENV_FILE"
  fi
  log "MariaDB replica on 127.0.0.1:$replica_port replicates from 127.0.0.1:$primary_port after GTID $primary_gtid"
}

cmd_replica_stop() {
  load_recorded_settings
  packages_installed || return 0
  (select_replica && stop_mysql)
  if [[ -f $ENV_FILE ]]; then
    sed -i '/^export MM_MYSQL_REPLICA_PORT=/d' "$ENV_FILE"
  fi
}

# kill -9 of the primary MariaDB (a failover test's crash); `start` brings it back.
cmd_mysql_kill() {
  load_recorded_settings
  pid_alive "$MYSQL_PID" || die "MariaDB is not running"
  local pid
  pid=$(<"$MYSQL_PID")
  log "killing MariaDB (pid $pid)"
  kill -9 "$pid"
  wait_pid_gone "$pid" 10 || die "MariaDB survived kill -9"
}

# ---------------------------------------------------------------------------------------------
# Commands

cmd_start() {
  load_requested_settings
  ensure_packages
  mkdir -p "$STATE_DIR"
  start_mysql
  start_rabbit
  write_env_file
  log "all services up; source $ENV_FILE"
}

cmd_stop() {
  local purge=0
  case "${1:-}" in
    "") ;;
    --purge) purge=1 ;;
    *) die "unknown stop option '$1' (only --purge)" ;;
  esac
  load_recorded_settings
  if packages_installed; then
    stop_mysql
    stop_rabbit
  fi
  if ((purge)); then
    rm -rf "$STATE_DIR"
    log "purged $STATE_DIR"
  fi
}

cmd_status() {
  local rc=0
  load_recorded_settings
  status_mysql || rc=1
  status_rabbit || rc=1
  return "$rc"
}

cmd_restart_rabbit() {
  load_recorded_settings
  ensure_packages
  stop_rabbit
  start_rabbit
}

cmd_env() {
  [[ -f $ENV_FILE ]] || die "no $ENV_FILE yet; run '$0 start'"
  cat "$ENV_FILE"
}

usage() {
  sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"
}

main() {
  local command=${1:-}
  shift || true
  case $command in
    start) cmd_start ;;
    stop) cmd_stop "$@" ;;
    purge) cmd_stop --purge ;;
    restart) cmd_stop && cmd_start ;;
    restart-rabbit) cmd_restart_rabbit ;;
    status) cmd_status ;;
    env) cmd_env ;;
    replica-start) cmd_replica_start ;;
    replica-stop) cmd_replica_stop ;;
    mysql-kill) cmd_mysql_kill ;;
    cluster-start) cmd_cluster_start ;;
    cluster-stop) cmd_cluster_stop ;;
    cluster-node-kill) cmd_cluster_node kill "$@" ;;
    cluster-node-start) cmd_cluster_node start "$@" ;;
    -h | --help | help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
