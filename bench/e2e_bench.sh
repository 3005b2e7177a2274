#!/usr/bin/env bash
# End-to-end benchmark of issue 8, everything measured in the same run on the local services
# (scripts/services.sh start):
#   a. the broker ceiling: amqp_bench ceiling (rabbitmq-c, persistent, confirms) with messages of the
#      monitor's mean size, batches of 1,000 and a sliding window of 1,000; and batches of 1,000 of
#      messages that also carry the monitor's properties (message id, timestamp): the same messages
#      as (b); and, to show what `[amqp] headers = on` costs the broker, with the headers too;
#   b. mysql-monitor end to end over a workload already in the binlog (and nothing after it: each
#      range is measured before the next is written), started at the range's start
#      position: first message in the queue -> last message in the queue (then the checkpoint is
#      checked to reach the range's end), rows/s, CPU seconds of the monitor per million rows
#      (/proc/PID/stat utime+stime), peak RSS (VmHWM); once with 1 row and once with 100 rows per
#      transaction;
#   c. `mysql-monitor decode` vs `mariadb-binlog --base64-output=decode-rows -vv` on the 100-rows
#      per transaction binlog file (alternating runs, medians);
#   d. commit -> consume latency p50/p99/max at a steady 2,000 changes/s (the workload writes
#      NOW(6) in UTC into changed_at; amqp_bench latency compares it with the arrival time);
# plus end-to-end throughput against the confirm window 1 ... 4,096 (and the ceiling at each window).
#
# The workload: N changes (default 200,000) on a 10-column mixed-type table, 60 % inserts, 30 %
# updates of one or two columns, 10 % deletes.
#   bench/e2e_bench.sh [N]          full run: prints the markdown table, writes it with the machine's
#                                   description into docs/performance.md (between the e2e_bench
#                                   markers) and the plots (gnuplot) into docs/performance/
#   bench/e2e_bench.sh --quick      N = 20,000, smaller sweep and latency run, results in the build
#                                   directory (CI: prints the ratios, asserts no timing)
#   MM_BENCH_BUILD_DIR=dir          where mysql-monitor and amqp_bench are (default build, Release)
#   MM_BENCH_OUT=dir                where the table, data and plots go instead
#   MM_BENCH_MYSQL_SSL=verify_identity  read the binlog over TLS ([mysql] ssl), as the services'
#                                   TLS-only account: Connector/C's reads instead of the fast
#                                   packet reader (src/mysql/packet_reader.h), to measure their cost
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

quick=0
changes=200000
if [[ ${1:-} == --quick ]]; then
  quick=1
  changes=20000
elif [[ -n ${1:-} ]]; then
  changes=$1
fi
# shellcheck source=bench/workload.sh
source bench/workload.sh
bench_tools e2e_bench.sh build
command -v mariadb-binlog >/dev/null || { echo "e2e_bench.sh: mariadb-binlog not found" >&2; exit 1; }
# The full run writes its figures beside docs/performance.md (and into it); the quick one into the
# build directory.
if ((quick)); then
  out=${MM_BENCH_OUT:-$build/bench-results}
else
  out=${MM_BENCH_OUT:-$root/docs/performance}
fi
mkdir -p "$out"

# shellcheck disable=SC1090
source <(scripts/services.sh env)
schema="mm_e2e_$$"
work=$(mktemp -d)
monitor_pid=
flush_setting=$(sql -e "SELECT @@innodb_flush_log_at_trx_commit")
cleanup() {
  [[ -z $monitor_pid ]] || kill "$monitor_pid" 2>/dev/null || true
  sql -e "SET GLOBAL innodb_flush_log_at_trx_commit = $flush_setting" || true
  for suffix in 1 100 sweep latency; do
    sql -e "DROP DATABASE IF EXISTS ${schema}_$suffix" || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
log() { echo "== $* (at ${SECONDS}s)" >&2; }
now() { echo "$EPOCHREALTIME"; }

# One schema per binlog range: the monitor of one range filters on its schema ([mysql] database),
# so the ranges loaded after it cost it only the skipping of their events.
for suffix in 1 100 sweep latency; do
  sql -e "CREATE DATABASE ${schema}_$suffix"
  sql "${schema}_$suffix" -e "$(workload_table_sql)"
done
# Loading speed is not what is measured: let commits skip the redo-log fsync while loading.
sql -e "SET GLOBAL innodb_flush_log_at_trx_commit = 2"

# Runs the workload into SCHEMA in a binlog file of its own; prints "FILE START_POS END_POS".
load_range() {
  local count=$1 txn=$2 schema=$3 file start end
  sql -e "FLUSH BINARY LOGS"
  read -r file start < <(sql -e "SHOW MASTER STATUS" | cut -f1,2)
  workload "$count" "$txn" 1 | sql "$schema"
  read -r end < <(sql -e "SHOW MASTER STATUS" | cut -f2)
  echo "$file $start $end"
}

bench_mysql_login=
if [[ -n ${MM_BENCH_MYSQL_SSL:-} ]]; then
  bench_mysql_login="user = $MM_MYSQL_TLS_USER
password = $MM_MYSQL_TLS_PASSWORD
ssl = $MM_BENCH_MYSQL_SSL
ssl_ca = $MM_MYSQL_TLS_CA"
fi

write_config() {
  local path=$1 state=$2 start=$3 window=$4 exchange=$5 schema=$6
  {
    bench_monitor_config "$state" "$schema" $((40000 + $$ % 10000)) "$MM_AMQP_HOST" "$exchange" \
      "start_position = $start"
    echo "confirm_window = $window"
  } >"$path"
}

# Seconds of CPU (user + system) and peak RSS in KiB of a running process.
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f\n", ($14 + $15) / hz }' "/proc/$1/stat"; }
peak_rss_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

# Whether the state file's checkpoint is at or past FILE:POS (binlog names sort by number).
checkpoint_past() {
  [[ -r $1 ]] || return 1
  awk -F= -v file="$2" -v pos="$3" '$1 == "file" { f = $2 } $1 == "position" { p = $2 }
    END { exit !((f > file) || (f == file && p + 0 >= pos + 0)) }' "$1"
}

# Runs the monitor over FILE:START..END of SCHEMA (MESSAGES row messages) with confirm window
# WINDOW. Prints "rows_per_s seconds cpu_s_per_million peak_rss_mib".
run_monitor() {
  local file=$1 start=$2 end=$3 messages=$4 window=$5 schema=$6 dir="$work/run-$RANDOM"
  mkdir -p "$dir/state"
  write_config "$dir/config.cfg" "$dir/state" "$file:$start" "$window" mm-bench "$schema"
  "$amqp_bench" --exchange mm-bench --queue mm-bench wait --count "$messages" --timeout 900 >"$dir/wait" &
  local wait_pid=$!
  until [[ -s $dir/wait ]] || ! kill -0 "$wait_pid" 2>/dev/null; do sleep 0.05; done
  "$monitor" --config "$dir/config.cfg" 2>"$dir/log" &
  monitor_pid=$!
  wait "$wait_pid" || { cat "$dir/log" >&2; return 1; }
  local cpu rss
  cpu=$(cpu_seconds "$monitor_pid")
  rss=$(peak_rss_kib "$monitor_pid")
  # The checkpoint must reach the end of the range (it is saved every 200 ms).
  local deadline=$((SECONDS + 10))
  until checkpoint_past "$dir/state/position" "$file" "$end"; do
    ((SECONDS < deadline)) || { echo "e2e_bench.sh: checkpoint never reached $file:$end" >&2; cat "$dir/state/position" >&2; return 1; }
    sleep 0.05
  done
  kill "$monitor_pid"
  wait "$monitor_pid" || true
  monitor_pid=
  tail -n 1 "$dir/wait" | awk -v n="$messages" -v cpu="$cpu" -v rss="$rss" '{
    s = $2 - $1; printf "%.0f %.3f %.2f %.1f\n", (n - 1) / s, s, cpu / n * 1e6, rss / 1024 }'
}

# ---------------------------------------------------------------------------------------------
ceiling() { "$amqp_bench" --exchange mm-bench --queue mm-bench ceiling --count "$1" --size "$message_size" --window "$2" ${3:-}; }
datadir=$(dirname "$(sql -e 'SELECT @@log_bin_basename')")
rounds=$((quick ? 1 : 3))

# Each range is measured before the next is written: the monitor reads on past the end of its
# range until the last message is confirmed, and rows of a later range (of another schema, so
# filtered) would add their reading and checksumming to the range's CPU.
log "workload: $changes changes, 1 row per transaction"
read -r file1 start1 end1 < <(load_range "$changes" 1 "${schema}_1")
sql -e "FLUSH BINARY LOGS"
cp "$datadir/$file1" "$work/"
messages1=$("$monitor" decode "$work/$file1" | wc -l)
bytes1=$("$monitor" decode "$work/$file1" | wc -c)
[[ $messages1 == "$changes" ]] ||
  { echo "e2e_bench.sh: expected $changes messages in the 1-row range, decoded $messages1" >&2; exit 1; }
message_size=$(((bytes1 - messages1) / messages1))
log "mean message size ${message_size} bytes"

# a + b, alternating so a drift of the busy machine hits both.
log "(a) broker ceiling and (b) mysql-monitor end to end, 1 row per transaction, alternating"
for ((i = 0; i < rounds; i++)); do
  ceiling "$changes" 1000 --batch | awk '{ print $1 }' >>"$work/ceiling_batch"
  run_monitor "$file1" "$start1" "$end1" "$changes" 1000 "${schema}_1" >>"$work/e2e1"
  ceiling "$changes" 1000 | awk '{ print $1 }' >>"$work/ceiling_window"
  ceiling "$changes" 1000 "--batch --monitor-properties" | awk '{ print $1 }' >>"$work/ceiling_props"
  ceiling "$changes" 1000 "--batch --monitor-properties --headers" | awk '{ print $1 }' >>"$work/ceiling_headers"
done

log "workload: $changes changes, 100 rows per transaction"
read -r file100 start100 end100 < <(load_range "$changes" 100 "${schema}_100")
sql -e "FLUSH BINARY LOGS"
cp "$datadir/$file100" "$work/"
messages100=$("$monitor" decode "$work/$file100" | wc -l)
[[ $messages100 == "$changes" ]] ||
  { echo "e2e_bench.sh: expected $changes messages in the 100-row range, decoded $messages100" >&2; exit 1; }
log "(a) broker ceiling and (b) mysql-monitor end to end, 100 rows per transaction, alternating"
for ((i = 0; i < rounds; i++)); do
  ceiling "$changes" 1000 --batch | awk '{ print $1 }' >>"$work/ceiling_batch"
  run_monitor "$file100" "$start100" "$end100" "$changes" 1000 "${schema}_100" >>"$work/e2e100"
done

sweep_changes=$((quick ? 2000 : 5000))
log "workload: $sweep_changes changes for the confirm-window sweep"
read -r file_sweep start_sweep end_sweep < <(load_range "$sweep_changes" 1 "${schema}_sweep")
sql -e "FLUSH BINARY LOGS"

ceiling_batch=$(median <"$work/ceiling_batch")
ceiling_window=$(median <"$work/ceiling_window")
ceiling_props=$(median <"$work/ceiling_props")
ceiling_headers=$(median <"$work/ceiling_headers")
pick() { awk -v c="$2" '{ print $c }' "$1" | median; }
e2e1_rate=$(pick "$work/e2e1" 1); e2e1_cpu=$(pick "$work/e2e1" 3); e2e1_rss=$(pick "$work/e2e1" 4)
e2e100_rate=$(pick "$work/e2e100" 1); e2e100_cpu=$(pick "$work/e2e100" 3); e2e100_rss=$(pick "$work/e2e100" 4)

log "(c) decode vs mariadb-binlog on $file100"
wall() {
  local t0 t1
  t0=$(now)
  "$@" >/dev/null
  t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}
decode_runs=$((quick ? 3 : 5))
for ((i = 0; i < decode_runs; i++)); do
  wall "$monitor" decode "$work/$file100" >>"$work/decode_a"
  wall mariadb-binlog --base64-output=decode-rows -vv "$work/$file100" >>"$work/decode_b"
done
decode_a=$(median <"$work/decode_a")
decode_b=$(median <"$work/decode_b")

log "(d) commit -> consume latency at 2,000 changes/s"
latency_changes=$((quick ? 10000 : 40000))
ldir="$work/latency"
mkdir -p "$ldir/state"
write_config "$ldir/config.cfg" "$ldir/state" current 1000 mm-bench-latency "${schema}_latency"
# Only inserts and updates carry changed_at (a delete's message holds the key only).
latency_messages=$(workload "$latency_changes" 1 1 | grep -c -E '^(INSERT|UPDATE)')
"$amqp_bench" --exchange mm-bench-latency --queue mm-bench-latency latency --count "$latency_messages" \
  --field changed_at --out "$work/latency_ms.txt" --timeout 300 >"$ldir/result" &
consumer_pid=$!
until [[ -s $ldir/result ]]; do sleep 0.05; done
"$monitor" --config "$ldir/config.cfg" 2>"$ldir/log" &
monitor_pid=$!
sleep 1  # connected and at the current position
workload "$latency_changes" 1 1 | /usr/bin/python3 -c '
import sys, time
rate, tick = 2000, 0.005
lines = sys.stdin.readlines()
out = sys.stdout
out.write(lines[0]); out.flush()          # SET time_zone
start = time.monotonic()
sent = 0
body = lines[1:]
while sent < len(body):
    due = int((time.monotonic() - start) * rate) + 1
    if due > sent:
        out.writelines(body[sent:min(due, len(body))]); out.flush()
        sent = min(due, len(body))
    time.sleep(tick)
' | sql "${schema}_latency"
wait "$consumer_pid"
read -r lat_p50 lat_p99 lat_max < <(tail -n 1 "$ldir/result")
kill "$monitor_pid"; wait "$monitor_pid" || true; monitor_pid=

log "confirm-window sweep on $sweep_changes changes"
: >"$out/window_sweep.dat"
for window in 1 4 16 64 256 1024 4096; do
  read -r rate _ < <(run_monitor "$file_sweep" "$start_sweep" "$end_sweep" "$sweep_changes" "$window" "${schema}_sweep")
  read -r ceiling_rate _ < <(ceiling "$sweep_changes" "$window")
  echo "$window $rate $ceiling_rate" >>"$out/window_sweep.dat"
  log "window $window: mysql-monitor $rate rows/s, ceiling $ceiling_rate msgs/s"
done

# ---------------------------------------------------------------------------------------------
table=$(awk -v n="$changes" -v size="$message_size" -v cb="$ceiling_batch" -v cw="$ceiling_window" -v cp="$ceiling_props" -v ch="$ceiling_headers" \
  -v r1="$e2e1_rate" -v c1="$e2e1_cpu" -v m1="$e2e1_rss" -v r100="$e2e100_rate" -v c100="$e2e100_cpu" \
  -v m100="$e2e100_rss" -v da="$decode_a" -v db="$decode_b" -v p50="$lat_p50" -v p99="$lat_p99" \
  -v pmax="$lat_max" -v ln="$latency_messages" 'BEGIN {
  printf "| measure (%d changes, %d-byte messages) | figure | target |\n|---|---|---|\n", n, size
  printf "| (a) broker ceiling, rabbitmq-c, confirm batches of 1,000 | %d msgs/s | |\n", cb
  printf "| (a) broker ceiling, rabbitmq-c, sliding window of 1,000 | %d msgs/s | |\n", cw
  printf "| (a) broker ceiling, batches of 1,000, with the monitor'"'"'s properties (message id, timestamp) | %d msgs/s | |\n", cp
  printf "| (a) the same with the headers of `[amqp] headers = on` (not sent by default) | %d msgs/s | |\n", ch
  printf "| (b) mysql-monitor, 1 row per transaction, window 1,000 | %d rows/s = **%.2fx** the batch ceiling (**%.2fx** with the same properties) | >= 0.8x |\n", r1, r1 / cb, r1 / cp
  printf "| (b) mysql-monitor, 100 rows per transaction, window 1,000 | %d rows/s = **%.2fx** the batch ceiling (**%.2fx** with the same properties) | >= 0.8x |\n", r100, r100 / cb, r100 / cp
  printf "| (b) monitor CPU per million rows (1 / 100 rows per txn) | %.2f / %.2f s | <= 3 s |\n", c1, c100
  printf "| (b) monitor peak RSS (1 / 100 rows per txn) | %.1f / %.1f MiB | <= 50 MB |\n", m1, m100
  printf "| (c) decode, 100 rows per txn file | %d rows/s = **%.1fx** mariadb-binlog (%d rows/s) | >= 15x |\n", n / da, db / da, n / db
  printf "| (d) commit -> consume latency at 2,000 changes/s (%d messages) | p50 %.1f ms, p99 %.1f ms, max %.1f ms | p99 <= 50 ms |\n", ln, p50, p99, pmax
}')
echo
echo "$table"
echo "$table" >"$out/table.md"
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores"
  echo "memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "kernel: $(uname -r); $(mariadb --version | sed 's/.*Distrib //; s/,.*//') MariaDB;" \
    "RabbitMQ $(rabbitmqctl -n "$MM_RABBIT_NODE" version 2>/dev/null || echo '?')"
  echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$out/machine.txt"

if ((!quick)) && [[ -z ${MM_BENCH_OUT:-} ]]; then
  # Replace the generated block of docs/performance.md with this run's table and machine.
  {
    echo "<!-- e2e_bench:begin (written by bench/e2e_bench.sh) -->"
    echo "Run of $(head -n 1 "$out/machine.txt" | cut -d' ' -f2-), build ${build#"$root"/}:"
    echo
    echo "$table"
    echo
    echo "Machine: $(sed -n 2,4p "$out/machine.txt" | cut -d: -f2- | paste -sd';'); load average" \
      "at the end $(tail -n 1 "$out/machine.txt" | cut -d: -f2-)."
    echo "<!-- e2e_bench:end -->"
  } >"$work/block.md"
  awk -v block="$work/block.md" '
    /<!-- e2e_bench:begin/ { while ((getline line < block) > 0) print line; skip = 1; next }
    /<!-- e2e_bench:end/ { skip = 0; next }
    !skip { print }' docs/performance.md >"$work/performance.md"
  cp "$work/performance.md" docs/performance.md
  log "docs/performance.md: end-to-end table updated"
fi

if command -v gnuplot >/dev/null; then
  gnuplot <<EOF
set terminal pngcairo size 900,540 font ",11"
set output "$out/throughput_vs_window.png"
set title "End-to-end throughput against the confirm window ($sweep_changes changes, 1 row per transaction)"
set xlabel "confirm window (messages unconfirmed at most)"
set ylabel "messages / s"
set logscale x 2
set key bottom right
set grid
plot "$out/window_sweep.dat" using 1:3 with linespoints lw 2 title "broker ceiling (rabbitmq-c, same window)", \
     "$out/window_sweep.dat" using 1:2 with linespoints lw 2 title "mysql-monitor end to end", \
     $ceiling_batch with lines dt 2 lw 2 title "broker ceiling, batches of 1,000 ($changes messages)"
EOF
  gnuplot <<EOF
set terminal pngcairo size 900,540 font ",11"
set output "$out/latency.png"
set title "Commit -> consume latency at 2,000 changes/s ($latency_messages messages)"
set xlabel "latency (ms)"
set ylabel "share of messages at or below (%)"
set grid
set key bottom right
stats "$work/latency_ms.txt" using 1 nooutput
n = STATS_records
set arrow from $lat_p99, graph 0 to $lat_p99, graph 1 nohead dt 2 lw 2
set label "p99 $lat_p99 ms" at $lat_p99, graph 0.5 offset 1, 0
plot "< sort -n $work/latency_ms.txt" using 1:(100.0 * \$0 / n) with lines lw 2 title "cumulative distribution"
EOF
  log "plots: $out/throughput_vs_window.png $out/latency.png"
else
  log "gnuplot not installed (scripts/install-deps.sh --bench): no plots"
fi
