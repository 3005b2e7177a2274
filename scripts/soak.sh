#!/usr/bin/env bash
# Long version of the delivery fault tests (issue 6): SIGKILL the monitor 5 times at random moments
# during 20,000 mixed changes, then the whole delivery fault suite, and the transaction tests
# (issue 15) with the issue's 200,000-row savepoint transaction and 8 kills, against a private
# service instance so restarting or alarming its broker disturbs no one.
#
# Usage: scripts/soak.sh [BUILD_DIR]     (default build-soak; built Debug with ASan/UBSan)
#   MM_FAULT_CHANGES (20000), MM_FAULT_KILLS (5), MM_SOAK_REPEAT (1): size of the SIGKILL test.
#   MM_STEADY_KILLS (10): kills under a steady 1,000 changes/s, each crash's duplicates bounded.
#   MM_BROKER_DOWN_SECONDS (180): how long the broker stays unreachable in the memory test.
#   MM_TXN_BIG_ROWS (200000), MM_TXN_KILLS (8): the savepoint transactions killed into;
#   MM_HA_KILLS (20): kills of the active monitor of a pair (tests/integration/high_availability_test.cpp);
#   MM_TXN_STATEMENTS (100000): the statements of one transaction.
#   MM_SNAPSHOT_ROWS, MM_SNAPSHOT_RESYNC_ROWS (500000 each): the snapshot consistency tests'
#   tables (issue 18), snapshotted under writes with two kills.
#   MM_LARGE_TEXT_MB (60): a LONGTEXT row of this size, published exact (issue 16; the memory
#   bounds are asserted only without ASan, e.g. MM_LARGE_TEXT_MB=60 on a plain Debug build).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${1:-$ROOT/build-soak}
export MM_SERVICES_DIR=${MM_SERVICES_DIR:-/tmp/mm-services-soak}
export MM_MYSQL_PORT=${MM_MYSQL_PORT:-33081}
export MM_AMQP_PORT=${MM_AMQP_PORT:-56760}
export MM_AMQP_DIST_PORT=${MM_AMQP_DIST_PORT:-56770}
export MM_RABBIT_NODE=${MM_RABBIT_NODE:-mm-soak@localhost}
export MM_FAULT_CHANGES=${MM_FAULT_CHANGES:-20000}
export MM_FAULT_KILLS=${MM_FAULT_KILLS:-5}
export MM_STEADY_KILLS=${MM_STEADY_KILLS:-10}
export MM_BROKER_DOWN_SECONDS=${MM_BROKER_DOWN_SECONDS:-180}
export MM_TXN_BIG_ROWS=${MM_TXN_BIG_ROWS:-200000}
export MM_TXN_KILLS=${MM_TXN_KILLS:-8}
export MM_HA_KILLS=${MM_HA_KILLS:-20}
export MM_TXN_STATEMENTS=${MM_TXN_STATEMENTS:-100000}
export MM_LARGE_TEXT_MB=${MM_LARGE_TEXT_MB:-60}
export MM_SNAPSHOT_ROWS=${MM_SNAPSHOT_ROWS:-500000}
export MM_SNAPSHOT_RESYNC_ROWS=${MM_SNAPSHOT_RESYNC_ROWS:-500000}

cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMM_SANITIZE=ON >/dev/null
cmake --build "$BUILD_DIR" -j2 --target mm_integration_tests mysql-monitor

"$ROOT/scripts/services.sh" start
trap '"$ROOT/scripts/services.sh" stop' EXIT
# shellcheck disable=SC1091
source "$MM_SERVICES_DIR/env"

LOG=$BUILD_DIR/soak.log
status=0
"$BUILD_DIR/mm_integration_tests" --gtest_filter='DeliveryFaults.*:Transactions.*:Oversize.*:*Snapshot.*:HighAvailability.*' --gtest_repeat="${MM_SOAK_REPEAT:-1}" \
  >"$LOG" 2>&1 || status=$?
grep -E '^\[ *(figures|FAILED|OK|PASSED) ' "$LOG" || true
echo "full output: $LOG"
exit "$status"
