#!/usr/bin/env bash
# `mysql-monitor decode` on the shared fixtures (read in place; damaged copies go to a temporary
# directory): .gz input, compressed transactions, --all-events GTIDs, and files that are not a
# binlog or end inside an event (every complete event printed, then a clear error and exit 1).
#   decode_command_test.sh MYSQL_MONITOR FIXTURES_DIR      exit 77 = skipped (no fixtures)
set -uo pipefail
monitor=$1
fixtures=$2
if [[ ! -d $fixtures ]]; then
  echo "SKIP: shared fixtures not found under $fixtures"
  exit 77
fi
source "$(dirname "$0")/../support/shell_checks.sh"
run() {  # run NAME ARGS...: stdout, stderr and exit code into $work/NAME.{out,err,rc}
  local name=$1
  shift
  "$monitor" decode "$@" >"$work/$name.out" 2>"$work/$name.err"
  echo $? >"$work/$name.rc"
}
lines() { wc -l <"$work/$1.out"; }
has() { grep -qF -- "$2" "$work/$1"; }

run gz "$fixtures/mysql-binlog-connector-java/mysql-bin.sakila.gz"
check ".gz input decodes every row (47273)" test "$(cat "$work/gz.rc")" = 0 -a "$(lines gz)" = 47273

run zstd "$fixtures/mysql-binlog-connector-java/mysql-bin.compressed"
check "TRANSACTION_PAYLOAD: the inner update is printed" \
  test "$(cat "$work/zstd.rc")" = 0 -a "$(lines zstd)" = 1
check "TRANSACTION_PAYLOAD: its after image" has zstd.out '"Western|Action"'

run tagged --all-events "$fixtures/rust-mysql-common/binlog_transaction_with_GTID_TAG.000001"
check "--all-events prints the tagged GTID" has tagged.out '"gtid":"55778904-0299-11f1-b1b8-4ef0c4956feb:mytag:3"'
check "--all-events prints the previous GTID set" \
  has tagged.out '"gtid_set":"55778904-0299-11f1-b1b8-4ef0c4956feb:1-13,55778904-0299-11f1-b1b8-4ef0c4956feb:mytag:1-2"'

run magic "$fixtures/canal/tsdb/mysql-bin.000001"
check "bad magic: exit 1, nothing printed" test "$(cat "$work/magic.rc")" = 1 -a "$(lines magic)" = 0
check "bad magic: says so" has magic.err "not a binlog file: the magic bytes FE 62 69 6E are missing"

# gh-ost/mysql-bin.000070 has 20 row changes; its last rows event updates ids 5 and 6. A copy cut
# 30 bytes into that event must print the 18 messages before it.
full="$fixtures/gh-ost/mysql-bin.000070"
run whole "$full"
last_rows=$(python3 - "$full" <<'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read()
offset, last = 4, None
while offset + 19 <= len(data):
    size = struct.unpack_from('<I', data, offset + 9)[0]
    if data[offset + 4] in (30, 31, 32):
        last = offset
    offset += size
print(last)
PY
)
head -c $((last_rows + 30)) "$full" >"$work/mysql-bin.000070"
run cut "$work/mysql-bin.000070"
check "truncated: exit 1" test "$(cat "$work/cut.rc")" = 1
check "truncated: every complete event printed" test "$(lines cut)" = $(($(lines whole) - 2))
# Without the publish "timestamp" (the clock when decoding): the two runs may straddle a second.
check "truncated: the complete messages are the same" \
  cmp -s <(sed 's/"timestamp":[0-9]*//' "$work/cut.out") \
    <(head -n $(($(lines whole) - 2)) "$work/whole.out" | sed 's/"timestamp":[0-9]*//')
check "truncated: names the offset" has cut.err "file ends inside the event at offset $last_rows"

printf 'garbage' | gzip >"$work/not-a-binlog.gz"
run gzmagic "$work/not-a-binlog.gz"
check ".gz of a non-binlog: exit 1" test "$(cat "$work/gzmagic.rc")" = 1
check ".gz of a non-binlog: says so" has gzmagic.err "not a binlog file"

# The project's own recordings (issue 15): statement-format LOAD DATA is a note, not an error; a
# logged ROLLBACK TO drops the row it undid; XA prints only what was committed.
recorded="$(dirname "$0")/../fixtures/binlog/mariadb-transactions"
run load "$recorded/statement_load_data.bin"
check "LOAD DATA in statement format: exit 0" test "$(cat "$work/load.rc")" = 0
check "LOAD DATA in statement format: no rows" test "$(lines load)" = 0
check "LOAD DATA in statement format: a note names the table" has load.err "a LOAD DATA write to txn.t in statement format"
run variants "$recorded/rollback_to_savepoint_variants.bin"
check "logged ROLLBACK TO: the undone row 18 is not printed" test "$(cat "$work/variants.rc")" = 0 -a \
  "$(grep -c '"keys":{"id":18}' "$work/variants.out")" = 0 -a "$(lines variants)" = 4
run xa "$recorded/xa_interleaved.bin"
check "XA: the committed and the plain row, not the rolled-back one" test "$(lines xa)" = 2 -a \
  "$(grep -c '"keys":{"id":23}' "$work/xa.out")" = 0
run pending "$recorded/xa_commit.bin" "$recorded/xa_rollback.bin"
check "XA decided in the same file: no note" test ! -s "$work/pending.err"

if [[ -w /dev/full ]]; then
  "$monitor" decode "$full" >/dev/full 2>"$work/full.err"
  echo $? >"$work/full.rc"
  check "unwritable output: exit 1" test "$(cat "$work/full.rc")" = 1
  check "unwritable output: says so" has full.err "writing the output: No space left on device"
fi

exit $((failures > 0))
