#!/usr/bin/env bash
# Decode throughput of `mysql-monitor decode` against MariaDB's own `mariadb-binlog
# --base64-output=decode-rows -vv`, on the same generated binlog, in the same run (issue 4 §6).
#
# Generates a binlog of a 10-column mixed-type table (ROWS rows, default 1,000,000) on the local
# MariaDB (scripts/services.sh) in a throwaway schema, copies the binlog file, then times both
# decoders RUNS times each (default 3), alternating A B A B so a drift of the machine hits both,
# and prints the median wall time, rows/s, MB/s and the ratio. Output goes to /dev/null for both.
# Needs a Release build in build/ (cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release).
#   bench/decode_bench.sh [ROWS] [RUNS]
#   MM_BENCH_KEEP=dir   keep the binlog copy in dir instead of a temporary directory
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
rows=${1:-1000000}
runs=${2:-3}
monitor="$root/build/mysql-monitor"
[[ -x $monitor ]] || { echo "decode_bench.sh: build $monitor first (Release)" >&2; exit 1; }
command -v mariadb-binlog >/dev/null || { echo "decode_bench.sh: mariadb-binlog not found" >&2; exit 1; }

# shellcheck disable=SC1090
source <(scripts/services.sh env)
schema="mm_bench_$$"
sql() {
  mariadb -h "$MM_MYSQL_HOST" -P "$MM_MYSQL_PORT" -u "$MM_MYSQL_ADMIN_USER" -p"$MM_MYSQL_ADMIN_PASSWORD" -N -B "$@"
}
work=${MM_BENCH_KEEP:-$(mktemp -d)}
mkdir -p "$work"
cleanup() {
  sql -e "DROP DATABASE IF EXISTS $schema" || true
  [[ -n ${MM_BENCH_KEEP:-} ]] || rm -rf "$work"
}
trap cleanup EXIT

echo "== generating $rows rows in $schema"
sql -e "CREATE DATABASE $schema"
sql "$schema" -e "CREATE TABLE t (
  id INT NOT NULL PRIMARY KEY, big BIGINT, name VARCHAR(64), score DOUBLE, price DECIMAL(10,2),
  created DATETIME(3), updated TIMESTAMP NULL, day DATE, flag TINYINT, note TEXT)"
# The file between two rotations holds only this load: one INSERT ... SELECT per 100k rows.
sql -e "FLUSH BINARY LOGS"
file=$(sql -e "SHOW MASTER STATUS" | cut -f1)
chunk=100000
for ((start = 1; start <= rows; start += chunk)); do
  end=$((start + chunk - 1 < rows ? start + chunk - 1 : rows))
  sql "$schema" -e "INSERT INTO t SELECT seq, seq * 1000003, CONCAT('name-', seq), seq / 7,
    (seq % 100000) / 100, '2024-01-15 10:20:30.123' + INTERVAL seq SECOND,
    FROM_UNIXTIME(1700000000 + seq), '2024-01-15' + INTERVAL (seq % 1000) DAY, seq % 128,
    IF(seq % 10 = 0, NULL, REPEAT('note ', 1 + seq % 5)) FROM seq_${start}_to_${end}"
done
sql -e "FLUSH BINARY LOGS"
binlog="$work/$file"
datadir=$(dirname "$(sql -e 'SELECT @@log_bin_basename')")
if [[ -r $datadir/$file ]]; then
  cp "$datadir/$file" "$binlog"
else
  mariadb-binlog --read-from-remote-server --raw --host="$MM_MYSQL_HOST" --port="$MM_MYSQL_PORT" \
    --user="$MM_MYSQL_ADMIN_USER" --password="$MM_MYSQL_ADMIN_PASSWORD" --result-file="$work/" "$file"
fi
bytes=$(stat -c %s "$binlog")
decoded=$("$monitor" decode "$binlog" | wc -l)
echo "binlog $file: $bytes bytes, $decoded row messages"
[[ $decoded == "$rows" ]] || { echo "decode_bench.sh: expected $rows messages" >&2; exit 1; }

# Wall seconds of one run, output discarded.
wall() {
  local t0 t1
  t0=$EPOCHREALTIME
  "$@" >/dev/null
  t1=$EPOCHREALTIME
  echo "$t0 $t1" | awk '{ printf "%.3f\n", $2 - $1 }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
a_times=()
b_times=()
for ((i = 0; i < runs; i++)); do
  a_times+=("$(wall "$monitor" decode "$binlog")")
  b_times+=("$(wall mariadb-binlog --base64-output=decode-rows -vv "$binlog")")
done
a=$(printf '%s\n' "${a_times[@]}" | median)
b=$(printf '%s\n' "${b_times[@]}" | median)
awk -v a="$a" -v b="$b" -v rows="$rows" -v bytes="$bytes" 'BEGIN {
  printf "%-16s %8s %14s %10s\n", "decoder", "wall s", "rows/s", "MB/s"
  printf "%-16s %8.3f %14.0f %10.1f\n", "mysql-monitor", a, rows / a, bytes / a / 1e6
  printf "%-16s %8.3f %14.0f %10.1f\n", "mariadb-binlog", b, rows / b, bytes / b / 1e6
  printf "ratio (rows/s, mysql-monitor / mariadb-binlog): %.1fx\n", b / a
}'
