#!/usr/bin/env bash
# Whether two builds of mysql-monitor publish the same messages for the same binlog: the check a
# refactor of the message path must pass (scripts/compare-decode.sh does the same for `decode`).
#
# Writes one workload to the services' MariaDB (scripts/services.sh start): every common column
# type, inserts, updates (of the key too, and values that toggle back), deletes, a keyless table,
# multi-row statements and transactions. Then each build reads exactly that binlog range, once per
# mode, and `mysql-monitor tail --compact` records what reaches the exchange:
#   direct   no delay buffer, routing_key {database}.{table}.{type}
#   delayed  [monitor] delay = 3 (the buffer folds the repeated changes), routing_key {keys_hash}
# Compared per mode: routing key, message id and body of every message, in order. The only thing
# normalised is the wall-clock "timestamp" of each body and tail's "published=" time.
#   scripts/compare-messages.sh BEFORE_BINARY AFTER_BINARY
#   MM_COMPARE_KEEP=dir   keep the configs and outputs in dir
# Exit 0 when every mode is identical, 1 when anything differs (a diff is printed), 2 on bad use.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[[ $# -eq 2 ]] || { sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
before=$(realpath "$1")
after=$(realpath "$2")
for binary in "$before" "$after"; do
  [[ -x $binary ]] || { echo "compare-messages.sh: $binary is not an executable" >&2; exit 2; }
done
# shellcheck disable=SC1090
source <("$root/scripts/services.sh" env)
work=${MM_COMPARE_KEEP:-$(mktemp -d)}
mkdir -p "$work"
schema="mm_compare_$$"
sql() {
  mariadb -h "$MM_MYSQL_HOST" -P "$MM_MYSQL_PORT" -u "$MM_MYSQL_ADMIN_USER" \
    -p"$MM_MYSQL_ADMIN_PASSWORD" -N -B "$@"
}
cleanup() {
  sql -e "DROP DATABASE IF EXISTS $schema" 2>/dev/null || true
  [[ -n ${MM_COMPARE_KEEP:-} ]] || rm -rf "$work"
}
trap cleanup EXIT

sql -e "CREATE DATABASE $schema"
sql "$schema" -e "
CREATE TABLE t (id INT PRIMARY KEY, a INT, s VARCHAR(40), d DOUBLE, f FLOAT, n DECIMAL(12,3),
  dt DATETIME(3), ts TIMESTAMP NULL, dd DATE, tm TIME, y YEAR, b BLOB, bit5 BIT(5),
  e ENUM('x','y'), st SET('p','q'), j JSON, u BIGINT UNSIGNED);
CREATE TABLE k (a INT, s VARCHAR(10));"
read -r start_file start_pos < <(sql -e "SHOW MASTER STATUS" | awk '{print $1, $2}')
sql "$schema" -e "
INSERT INTO t VALUES (1, 10, 'one', 1.5, 1.1, 12.345, '2020-01-02 03:04:05.678',
  '2020-01-02 03:04:05', '2020-01-02', '-09:05:00', 2024, x'00ff10', b'10101', 'y', 'p,q',
  '{\"k\": [1, 2.5, \"x\"], \"q\": null}', 18446744073709551615);
INSERT INTO t (id, a, s) VALUES (2, 20, 'tab\\there \"quoted\" \\\\ é'), (3, 30, NULL);
UPDATE t SET a = 11 WHERE id = 1;
UPDATE t SET a = 10 WHERE id = 1;
UPDATE t SET a = 12, s = 'changed' WHERE id = 1;
UPDATE t SET id = 4 WHERE id = 3;
BEGIN; UPDATE t SET a = a + 1; DELETE FROM t WHERE id = 2; INSERT INTO t (id) VALUES (2); COMMIT;
INSERT INTO t (id, a) VALUES (5, 1); UPDATE t SET a = 2 WHERE id = 5; DELETE FROM t WHERE id = 5;
INSERT INTO k VALUES (1, 'a'), (1, 'a'); UPDATE k SET s = 'b' WHERE a = 1; DELETE FROM k;
UPDATE t SET j = JSON_SET(j, '\$.q', 7), d = -0.0, f = 3.4e38 WHERE id = 1;"
read -r end_file end_pos < <(sql -e "SHOW MASTER STATUS" | awk '{print $1, $2}')
# At least this many messages per mode: the direct stream has one per row change; the delay
# buffer folds most of them.
declare -A expected_min=([direct]=20 [delayed]=8)

# Runs `binary` over the range in `mode`; the messages go to $work/NAME.out.
run() {
  local binary=$1 name=$2 mode=$3 delay=0 routing='{database}.{table}.{type}'
  if [[ $mode == delayed ]]; then
    delay=3
    routing='{keys_hash}'
  fi
  mkdir -p "$work/$name.state"
  cat >"$work/$name.cfg" <<EOF
[monitor]
state_path = $work/$name.state
delay = $delay
heartbeat_interval = 0
[mysql]
host = $MM_MYSQL_HOST
port = $MM_MYSQL_PORT
user = $MM_MYSQL_USER
password = $MM_MYSQL_PASSWORD
database = $schema
server_id = $((4000 + RANDOM % 1000))
start_position = $start_file:$start_pos
[amqp]
host = $MM_AMQP_HOST
port = $MM_AMQP_PORT
user = $MM_AMQP_USER
password = $MM_AMQP_PASSWORD
exchange = $schema.$name
exchange_type = topic
routing_key = $routing
[metrics]
listen = off
EOF
  "$binary" tail --config "$work/$name.cfg" --compact >"$work/$name.raw" 2>"$work/$name.tail.log" &
  local tail_pid=$!
  sleep 1  # tail has declared the exchange and bound its queue
  "$binary" --config "$work/$name.cfg" >"$work/$name.log" 2>&1 &
  local monitor_pid=$!
  # Done when the saved checkpoint is the end of the range (everything confirmed) and tail has
  # printed what it received.
  local state="$work/$name.state/position"
  for _ in $(seq 1 120); do
    sleep 0.5
    if grep -qx "file=$end_file" "$state" 2>/dev/null && grep -qx "position=$end_pos" "$state"; then
      sleep 1
      break
    fi
  done
  kill -TERM "$monitor_pid" "$tail_pid" 2>/dev/null || true
  wait "$monitor_pid" "$tail_pid" 2>/dev/null || true
  sed -E -e 's/"timestamp":[0-9]+/"timestamp":T/' -e 's/ published=[^ ]*//' "$work/$name.raw" \
    >"$work/$name.out"
}

status=0
for mode in direct delayed; do
  run "$before" "before-$mode" "$mode"
  run "$after" "after-$mode" "$mode"
  n=$(grep -c '^--- ' "$work/before-$mode.out" || true)
  if ((n < expected_min[$mode])); then
    echo "compare-messages.sh: $mode: only $n messages from the first build (see $work)" >&2
    status=1
  elif cmp -s "$work/before-$mode.out" "$work/after-$mode.out"; then
    echo "$mode: $n messages, identical (routing keys, message ids, bodies)"
  else
    echo "$mode: the builds differ:"
    diff "$work/before-$mode.out" "$work/after-$mode.out" | head -40
    status=1
  fi
done
exit $status
