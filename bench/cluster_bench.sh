#!/usr/bin/env bash
# Throughput against the three-node RabbitMQ cluster (issue 19 item 4), as a ratio to the broker
# ceiling measured on the same cluster in the same run, both into a quorum queue:
#   a. the ceiling: amqp_bench ceiling (persistent, confirms, window 1,000) with messages of the
#      monitor's mean size, published to node 1 into the quorum queue;
#   b. mysql-monitor end to end over a workload already in the binlog, `[amqp] host` listing the
#      three nodes (it publishes to node 1): first -> last message in the quorum queue, rows/s.
# Needs `scripts/services.sh start` and `scripts/services.sh cluster-start` (same env: it sets
# MM_AMQP_CLUSTER_PORTS).
#   bench/cluster_bench.sh [N]      N changes (default 20,000), 1 row per transaction; rounds
#                                   alternate a and b (MM_BENCH_ROUNDS, default 3), medians printed
#   MM_BENCH_BUILD_DIR=dir          where mysql-monitor and amqp_bench are (default build)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
changes=${1:-20000}
rounds=${MM_BENCH_ROUNDS:-3}
# shellcheck source=bench/workload.sh
source bench/workload.sh
bench_tools cluster_bench.sh build
# shellcheck disable=SC1090
source <(scripts/services.sh env)
[[ -n ${MM_AMQP_CLUSTER_PORTS:-} ]] ||
  { echo "cluster_bench.sh: no cluster: scripts/services.sh cluster-start first" >&2; exit 1; }
node1_port=${MM_AMQP_CLUSTER_PORTS%%,*}
node1="${MM_RABBIT_NODE%@*}-c1@${MM_RABBIT_NODE#*@}"
cluster_hosts=$(tr ',' '\n' <<<"$MM_AMQP_CLUSTER_PORTS" | sed 's/^/127.0.0.1:/' | paste -sd,)
schema="mm_cluster_bench_$$"
queue="mm-cluster-bench-$$"
work=$(mktemp -d)
monitor_pid=
bench() { "$amqp_bench" --port "$node1_port" --exchange "$queue" --queue "$queue" --queue-type quorum "$@"; }
cleanup() {
  [[ -z $monitor_pid ]] || kill "$monitor_pid" 2>/dev/null || true
  sql -e "DROP DATABASE IF EXISTS $schema" || true
  /usr/sbin/rabbitmqctl -n "$node1" delete_queue "$queue" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
log() { echo "== $* (at ${SECONDS}s)" >&2; }

sql -e "CREATE DATABASE $schema"
sql "$schema" -e "$(workload_table_sql)"
sql -e "FLUSH BINARY LOGS"
read -r file start < <(sql -e "SHOW MASTER STATUS" | cut -f1,2)
log "workload: $changes changes, 1 row per transaction"
workload "$changes" 1 1 | sql "$schema"
sql -e "FLUSH BINARY LOGS"
datadir=$(dirname "$(sql -e 'SELECT @@log_bin_basename')")
bytes=$("$monitor" decode "$datadir/$file" | wc -c)
message_size=$(((bytes - changes) / changes))

# Prints rows/s of one monitor run over the range, into the quorum queue.
run_monitor() {
  local dir="$work/run-$RANDOM"
  mkdir -p "$dir/state"
  {
    bench_monitor_config "$dir/state" "$schema" $((40000 + $$ % 10000)) "$cluster_hosts" "$queue" \
      "start_position = $file:$start"
    echo "confirm_window = 1000"
  } >"$dir/config.cfg"
  bench wait --count "$changes" --timeout 900 >"$dir/wait" &
  local wait_pid=$!
  until [[ -s $dir/wait ]] || ! kill -0 "$wait_pid" 2>/dev/null; do sleep 0.05; done
  "$monitor" --config "$dir/config.cfg" 2>"$dir/log" &
  monitor_pid=$!
  wait "$wait_pid" || { cat "$dir/log" >&2; return 1; }
  kill "$monitor_pid"
  wait "$monitor_pid" || true
  monitor_pid=
  tail -n 1 "$dir/wait" | awk -v n="$changes" '{ printf "%.0f\n", (n - 1) / ($2 - $1) }'
}

log "(a) cluster ceiling and (b) mysql-monitor into the quorum queue, $rounds rounds, alternating"
for ((round = 0; round < rounds; round++)); do
  bench ceiling --count "$changes" --size "$message_size" --window 1000 | awk '{ print $1 }' >>"$work/ceiling"
  run_monitor >>"$work/monitor"
done
ceiling=$(median <"$work/ceiling")
monitor_rate=$(median <"$work/monitor")
printf '| 3-node cluster, quorum queue, %d-byte messages | ceiling %s msg/s | mysql-monitor %s rows/s | ratio %.2f |\n' \
  "$message_size" "$ceiling" "$monitor_rate" "$(awk -v m="$monitor_rate" -v c="$ceiling" 'BEGIN { print m / c }')"
