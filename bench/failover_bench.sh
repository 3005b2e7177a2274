#!/usr/bin/env bash
# Failover time of an active/standby pair (issue 19, docs/high-availability.md): two monitors of one
# [monitor] name on one state store under a steady workload; the active is killed (SIGKILL) KILLS
# times, each time timed from the kill to the first message of a change committed after it (which
# only the new leader can publish), and the killed one restarted as the standby. Reports the median
# and the max; the same run checks that the consumer ends with exactly the table.
# On the scripts/services.sh servers:
#   scripts/services.sh start && source <(scripts/services.sh env)
#   bench/failover_bench.sh [KILLS]      (default 11)
#   MM_BENCH_BUILD_DIR=dir               where mm_integration_tests is (default build)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kills=${1:-11}
build=${MM_BENCH_BUILD_DIR:-build}
[[ $build == /* ]] || build="$root/$build"
tests="$build/mm_integration_tests"
[[ -x $tests ]] || { echo "failover_bench.sh: build $tests first" >&2; exit 1; }
[[ -n ${MM_MYSQL_PORT:-} ]] || { echo "failover_bench.sh: source <(scripts/services.sh env) first" >&2; exit 1; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! MM_HA_KILLS=$kills "$tests" \
    --gtest_filter='HighAvailability.TheStandbyTakesOverFromAKilledActiveAndNothingIsLost' >"$log" 2>&1; then
  cat "$log" >&2
  echo "failover_bench.sh: the failover test failed" >&2
  exit 1
fi
grep -F '[ figures  ]' "$log" | sed 's/^\[ figures  \] /failover: /'
