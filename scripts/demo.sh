#!/usr/bin/env bash
# The main job, end to end, on a fresh Debian 12 machine: installs what is missing, builds
# mysql-monitor, starts a local MariaDB + RabbitMQ (scripts/services.sh) unless a server is
# configured, runs the monitor, subscribes to its exchange, makes a few sample changes and shows the
# messages a subscriber receives. Then stops the monitor cleanly.
#
#   scripts/demo.sh                   local servers, sample changes on mm_demo.employee
#   scripts/demo.sh --config FILE     your own servers and settings: runs the monitor with FILE
#                                     until Ctrl-C (watch with build/mysql-monitor tail --config FILE)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

config=""
if [[ "${1:-}" == "--config" ]]; then
  config=$(realpath "${2:?--config needs a file}")
fi

scripts/install-deps.sh $([[ -n $config ]] && echo --build-only)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMM_BUILD_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" --target mysql-monitor

work=$(mktemp -d /tmp/mysql-monitor-demo.XXXXXX)
monitor_pid=""
tail_pid=""
cleanup() {
  [[ -n $tail_pid ]] && kill "$tail_pid" 2>/dev/null || true
  if [[ -n $monitor_pid ]] && kill -0 "$monitor_pid" 2>/dev/null; then
    kill -TERM "$monitor_pid"
    wait "$monitor_pid" || true
  fi
}
trap cleanup EXIT

if [[ -n $config ]]; then
  echo "demo: running build/mysql-monitor --config $config (Ctrl-C stops it)"
  build/mysql-monitor --config "$config" &
  monitor_pid=$!
  wait "$monitor_pid"
  exit $?
fi

scripts/services.sh start
# shellcheck disable=SC1090
source <(scripts/services.sh env)
mariadb=(mariadb -h127.0.0.1 -P"$MM_MYSQL_PORT" -u"$MM_MYSQL_ADMIN_USER" -p"$MM_MYSQL_ADMIN_PASSWORD")
"${mariadb[@]}" -e "CREATE DATABASE IF NOT EXISTS mm_demo;
  CREATE TABLE IF NOT EXISTS mm_demo.employee (id INT PRIMARY KEY, fname VARCHAR(50), lname VARCHAR(50));
  DELETE FROM mm_demo.employee;"

cat > "$work/monitor.cfg" <<CFG
[monitor]
state_path = $work/state
[mysql]
host = 127.0.0.1
port = $MM_MYSQL_PORT
user = $MM_MYSQL_USER
password = $MM_MYSQL_PASSWORD
database = mm_demo
server_id = 4379
[amqp]
host = 127.0.0.1
port = $MM_AMQP_PORT
exchange = mysql-monitor-demo
CFG

echo "demo: subscriber output (each message: its routing key, id and publish time, then the JSON body):"
# The subscriber: `mysql-monitor tail` binds a private queue to the exchange (at most a minute).
timeout 60 build/mysql-monitor tail --config "$work/monitor.cfg" --count 4 --compact 2>"$work/tail.log" &
tail_pid=$!
until grep -q "watching exchange" "$work/tail.log" 2>/dev/null; do
  if ! kill -0 "$tail_pid" 2>/dev/null; then
    cat "$work/tail.log"; exit 1
  fi
  sleep 0.1
done
build/mysql-monitor --config "$work/monitor.cfg" 2>"$work/monitor.log" &
monitor_pid=$!
for _ in $(seq 1 100); do
  grep -q "streaming binlog" "$work/monitor.log" 2>/dev/null && break
  if ! kill -0 "$monitor_pid" 2>/dev/null; then
    cat "$work/monitor.log"; exit 1
  fi
  sleep 0.2
done

echo "demo: making sample changes on mm_demo.employee" >&2
"${mariadb[@]}" -e "INSERT INTO mm_demo.employee VALUES (2760, 'abc', 'def');
  UPDATE mm_demo.employee SET fname = 'Ldurlqgfqvsdf' WHERE id = 2760;
  INSERT INTO mm_demo.employee VALUES (5, 'to', 'delete');
  DELETE FROM mm_demo.employee WHERE id = 5;"

status=0
wait "$tail_pid" || status=$?
tail_pid=""
kill -TERM "$monitor_pid"
wait "$monitor_pid" || status=$?
monitor_pid=""
echo "demo: monitor log:" >&2
sed 's/^/  /' "$work/monitor.log" >&2
rm -rf "$work"
if [[ $status != 0 ]]; then
  echo "demo: FAILED (exit $status)" >&2
  exit "$status"
fi
echo "demo: done. Run it on your own servers: build/mysql-monitor --config config-example.cfg" >&2
