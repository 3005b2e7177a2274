#!/usr/bin/env bash
# Decode throughput of `mysql-monitor decode` against MariaDB's own `mariadb-binlog
# --base64-output=decode-rows -vv`, on the same generated binlogs, in the same run (issues 4 §6, 8 c).
#
# Generates three binlog files on the local MariaDB (scripts/services.sh) in throwaway schemas:
#   inserts   ROWS rows (default 1,000,000) of a 10-column mixed-type table, one INSERT ... SELECT per
#             100k rows (so large rows events of many rows each);
#   txn100    issue 8's workload (bench/workload.sh): CHANGES changes (default 200,000), 60 % inserts,
#             30 % updates, 10 % deletes, 100 changes per transaction, one statement per change;
#   txn1      the same with one change per transaction.
# Then times both decoders RUNS times each per file (default 3), alternating A B A B so a drift of
# the machine hits both, and prints the median wall time, rows/s, MB/s of binlog and the ratio,
# with the machine's load before and after. Output goes to /dev/null for both.
#   bench/decode_bench.sh [ROWS] [RUNS] [CHANGES]
#   MM_BENCH_BUILD_DIR=dir  where mysql-monitor is (default build; a Release build:
#                           cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release)
#   MM_BENCH_KEEP=dir       keep the binlog copies in dir instead of a temporary directory
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
rows=${1:-1000000}
runs=${2:-3}
changes=${3:-200000}
build=${MM_BENCH_BUILD_DIR:-build}
[[ $build == /* ]] || build="$root/$build"
monitor="$build/mysql-monitor"
[[ -x $monitor ]] || { echo "decode_bench.sh: build $monitor first (Release)" >&2; exit 1; }
command -v mariadb-binlog >/dev/null || { echo "decode_bench.sh: mariadb-binlog not found" >&2; exit 1; }

# shellcheck disable=SC1090
source <(scripts/services.sh env)
# shellcheck source=bench/workload.sh
source bench/workload.sh
schema="mm_bench_$$"
work=${MM_BENCH_KEEP:-$(mktemp -d)}
mkdir -p "$work"
flush_setting=$(sql -e "SELECT @@innodb_flush_log_at_trx_commit")
cleanup() {
  sql -e "SET GLOBAL innodb_flush_log_at_trx_commit = $flush_setting" || true
  for suffix in inserts txn100 txn1; do
    sql -e "DROP DATABASE IF EXISTS ${schema}_$suffix" || true
  done
  [[ -n ${MM_BENCH_KEEP:-} ]] || rm -rf "$work"
}
trap cleanup EXIT
log() { echo "== $*" >&2; }
machine() { echo "$(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), load average $(cut -d' ' -f1-3 /proc/loadavg)"; }

# Loading speed is not what is measured: let commits skip the redo-log fsync while loading.
sql -e "SET GLOBAL innodb_flush_log_at_trx_commit = 2"
datadir=$(dirname "$(sql -e 'SELECT @@log_bin_basename')")

# Runs the SQL on stdin into SCHEMA in a binlog file of its own; copies the file to $work/NAME.
load_file() {
  local name=$1 schema=$2 file
  sql -e "FLUSH BINARY LOGS"
  file=$(sql -e "SHOW MASTER STATUS" | cut -f1)
  sql "$schema"
  sql -e "FLUSH BINARY LOGS"
  if [[ -r $datadir/$file ]]; then
    cp "$datadir/$file" "$work/$name"
  else
    mariadb-binlog --read-from-remote-server --raw --host="$MM_MYSQL_HOST" --port="$MM_MYSQL_PORT" \
      --user="$MM_MYSQL_ADMIN_USER" --password="$MM_MYSQL_ADMIN_PASSWORD" --result-file="$work/" "$file"
    mv "$work/$file" "$work/$name"
  fi
}

log "generating: $rows inserted rows (INSERT ... SELECT of 100k rows)"
sql -e "CREATE DATABASE ${schema}_inserts"
sql "${schema}_inserts" -e "CREATE TABLE t (
  id INT NOT NULL PRIMARY KEY, big BIGINT, name VARCHAR(64), score DOUBLE, price DECIMAL(10,2),
  created DATETIME(3), updated TIMESTAMP NULL, day DATE, flag TINYINT, note TEXT)"
chunk=100000
for ((start = 1; start <= rows; start += chunk)); do
  end=$((start + chunk - 1 < rows ? start + chunk - 1 : rows))
  echo "INSERT INTO t SELECT seq, seq * 1000003, CONCAT('name-', seq), seq / 7,
    (seq % 100000) / 100, '2024-01-15 10:20:30.123' + INTERVAL seq SECOND,
    FROM_UNIXTIME(1700000000 + seq), '2024-01-15' + INTERVAL (seq % 1000) DAY, seq % 128,
    IF(seq % 10 = 0, NULL, REPEAT('note ', 1 + seq % 5)) FROM seq_${start}_to_${end};"
done | load_file inserts "${schema}_inserts"
for txn in 100 1; do
  log "generating: issue 8's workload, $changes changes, $txn per transaction"
  sql -e "CREATE DATABASE ${schema}_txn$txn"
  sql "${schema}_txn$txn" -e "$(workload_table_sql)"
  workload "$changes" "$txn" 1 | load_file "txn$txn" "${schema}_txn$txn"
done

# Wall seconds of one run, output discarded.
wall() {
  local t0 t1
  t0=$EPOCHREALTIME
  "$@" >/dev/null
  t1=$EPOCHREALTIME
  echo "$t0 $t1" | awk '{ printf "%.3f\n", $2 - $1 }'
}

echo "machine before: $(machine)"
declare -A expected=([inserts]=$rows [txn100]=$changes [txn1]=$changes)
results=()
for name in inserts txn100 txn1; do
  binlog="$work/$name"
  bytes=$(stat -c %s "$binlog")
  decoded=$("$monitor" decode "$binlog" | wc -l)
  [[ $decoded == "${expected[$name]}" ]] ||
    { echo "decode_bench.sh: $name: expected ${expected[$name]} messages, decoded $decoded" >&2; exit 1; }
  log "timing $name: $bytes bytes, $decoded row messages, $runs runs each"
  a_times=()
  b_times=()
  for ((i = 0; i < runs; i++)); do
    a_times+=("$(wall "$monitor" decode "$binlog")")
    b_times+=("$(wall mariadb-binlog --base64-output=decode-rows -vv "$binlog")")
  done
  a=$(printf '%s\n' "${a_times[@]}" | median)
  b=$(printf '%s\n' "${b_times[@]}" | median)
  results+=("$name $decoded $bytes $a $b")
done
echo "machine after:  $(machine)"

printf '%s\n' "${results[@]}" | awk '
  BEGIN {
    printf "| binlog | rows | MB | mysql-monitor decode | mariadb-binlog -vv | ratio |\n"
    printf "|---|---:|---:|---|---|---:|\n"
  }
  {
    name = $1; n = $2; mb = $3 / 1e6; a = $4; b = $5
    label = name == "inserts" ? "inserts (INSERT ... SELECT, 10 columns)" : \
            name == "txn100" ? "issue 8 workload, 100 changes/txn" : "issue 8 workload, 1 change/txn"
    printf "| %s | %d | %.1f | %.3f s: %.0f rows/s, %.0f MB/s | %.3f s: %.0f rows/s, %.0f MB/s | **%.1fx** |\n", \
      label, n, mb, a, n / a, mb / a, b, n / b, mb / b, b / a
  }'
