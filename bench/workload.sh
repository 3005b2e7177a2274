# Issue 8's workload and the helpers every bench script shares (sourced, not run, by
# bench/*_bench.sh after `source <(scripts/services.sh env)`).
#
# bench_tools NAME DEFAULT_BUILD
#                      sets build (MM_BENCH_BUILD_DIR, else DEFAULT_BUILD; relative to $root),
#                      monitor and amqp_bench; exits naming the tool not built yet
# bench_monitor_config STATE SCHEMA SERVER_ID AMQP_HOST EXCHANGE [MYSQL_LINES]
#                      a bench monitor's configuration on stdout, ending inside [amqp]: state in
#                      STATE, no heartbeats, warnings only; the services' MariaDB filtered on
#                      SCHEMA, logged in as $bench_mysql_login when set (else MM_MYSQL_USER), plus
#                      MYSQL_LINES; the broker AMQP_HOST (a host at MM_AMQP_PORT, or a list with
#                      ports) and EXCHANGE. The caller appends [amqp] keys and further sections.
# sql ARGS...          the mariadb client as the test services' admin, batch output, no headers
# median               the median of the numbers on stdin, one per line
# workload_table_sql   the CREATE TABLE of the 10-column mixed-type table `t`: INT PK, BIGINT,
#                      VARCHAR(64) utf8mb4, DECIMAL(12,2), DATETIME(6), TINYINT, DOUBLE, TEXT of
#                      ~200 bytes, ENUM, small JSON
# workload COUNT TXN FIRST
#                      the workload as SQL on stdout: COUNT changes starting at id FIRST, TXN
#                      changes per transaction (1 = autocommit); 60 % inserts (new ids), 30 %
#                      updates of one or two columns (a live id), 10 % deletes (the oldest live
#                      id). Times are NOW(6) in UTC, so changed_at is the commit time.

# shellcheck disable=SC2154 # root: set by the sourcing bench script
bench_tools() {
  build=${MM_BENCH_BUILD_DIR:-$2}
  [[ $build == /* ]] || build="$root/$build"
  monitor="$build/mysql-monitor"
  amqp_bench="$build/amqp_bench"
  local tool
  for tool in "$monitor" "$amqp_bench"; do
    [[ -x $tool ]] || { echo "$1: build $tool first (cmake --build $build)" >&2; exit 1; }
  done
}

bench_monitor_config() {
  local state=$1 schema=$2 server_id=$3 amqp_host=$4 exchange=$5 mysql_lines=${6:-}
  cat <<CFG
[monitor]
state_path = $state
heartbeat_interval = 0
log_level = warning
[mysql]
host = $MM_MYSQL_HOST
port = $MM_MYSQL_PORT
${bench_mysql_login:-user = $MM_MYSQL_USER
password = $MM_MYSQL_PASSWORD}
database = $schema
server_id = $server_id
$mysql_lines
[amqp]
host = $amqp_host
port = $MM_AMQP_PORT
user = $MM_AMQP_USER
password = $MM_AMQP_PASSWORD
exchange = $exchange
CFG
}

sql() {
  mariadb -h "$MM_MYSQL_HOST" -P "$MM_MYSQL_PORT" -u "$MM_MYSQL_ADMIN_USER" -p"$MM_MYSQL_ADMIN_PASSWORD" -N -B "$@"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

workload_table_sql() {
  cat <<'SQL'
CREATE TABLE t (
  id INT NOT NULL PRIMARY KEY, big BIGINT NOT NULL, name VARCHAR(64) CHARACTER SET utf8mb4 NOT NULL,
  price DECIMAL(12,2) NOT NULL, changed_at DATETIME(6) NOT NULL, flag TINYINT NOT NULL,
  score DOUBLE NOT NULL, note TEXT, state ENUM('new','paid','shipped','closed') NOT NULL, doc JSON)
SQL
}

workload() {
  local count=$1 txn=$2 first=$3
  awk -v count="$count" -v txn="$txn" -v first="$first" 'BEGIN {
    note = sprintf("%0200d", 0); gsub(/0/, "n", note)
    split("new paid shipped closed", states, " ")
    print "SET time_zone = \047+00:00\047;"
    next_id = first; oldest = first
    for (i = 0; i < count; i++) {
      if (txn > 1 && i % txn == 0) print "BEGIN;"
      r = i % 10
      if (r < 6 || next_id == oldest) {
        id = next_id++
        printf "INSERT INTO t VALUES (%d,%d,\047name-%d-\303\274\303\237\047,%d.%02d,NOW(6),%d,%d.5,\047%s\047,\047%s\047,\047{\"k\":%d,\"tag\":\"t%d\"}\047);\n",
          id, id * 1000003, id, id % 100000, id % 100, id % 128, id, note, states[id % 4 + 1], id, id % 7
      } else if (r < 9) {
        id = oldest + (i * 7919) % (next_id - oldest)
        if (r == 6) printf "UPDATE t SET changed_at = NOW(6) WHERE id = %d;\n", id
        else printf "UPDATE t SET changed_at = NOW(6), price = price + 1 WHERE id = %d;\n", id
      } else {
        printf "DELETE FROM t WHERE id = %d;\n", oldest++
      }
      if (txn > 1 && (i % txn == txn - 1 || i == count - 1)) print "COMMIT;"
    }
  }'
}
