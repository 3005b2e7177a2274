#!/usr/bin/env bash
# Runs the whole test suite as CI does (.ci/run calls this): installs the Debian packages, builds
# with ASan + UBSan and warnings as errors, starts the local MariaDB + RabbitMQ (scripts/services.sh),
# runs the unit tests and the integration tests against them, and stops the services it started.
#   scripts/test.sh            everything
#   MM_TEST_BUILD_DIR=dir      build directory (default build-asan)
#   MM_FUZZ_SECONDS=n          how long scripts/fuzz.sh runs after the unit tests (default 30; scripts/fuzz.sh alone runs longer)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

scripts/install-deps.sh

build_dir=${MM_TEST_BUILD_DIR:-build-asan}
# CI builds every clean clone from scratch (about 8 of its minutes on 2 cores). ccache keeps the
# objects between clones, keyed relative to the clone (base_dir) so another clone's path still
# hits; CMake takes the launcher from these variables on a first configure (also scripts/fuzz.sh).
if command -v ccache >/dev/null; then
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache CMAKE_C_COMPILER_LAUNCHER=ccache
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$root} CCACHE_NOHASHDIR=1
fi
echo "== building $build_dir (at ${SECONDS}s: packages installed)"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMM_SANITIZE=ON -DMM_WERROR=ON >/dev/null
cmake --build "$build_dir" -j"$(nproc)"

started_services=0
if ! scripts/services.sh status >/dev/null 2>&1; then
  scripts/services.sh start
  started_services=1
fi
# The three-node RabbitMQ cluster of the broker-cluster test (issue 19) boots in about 25 s: in
# the background, while the unit tests and the fuzzer run.
started_cluster=0
cluster_pid=
if ! scripts/services.sh env | grep -q '^export MM_AMQP_CLUSTER_PORTS='; then
  scripts/services.sh cluster-start >"$build_dir/cluster-start.log" 2>&1 &
  cluster_pid=$!
  started_cluster=1
fi
cleanup() {
  if [[ $started_cluster == 1 ]]; then
    [[ -n $cluster_pid ]] && wait "$cluster_pid" 2>/dev/null
    scripts/services.sh cluster-stop >/dev/null 2>&1 || true
  fi
  if [[ $started_services == 1 ]]; then
    scripts/services.sh stop || true
  fi
}
trap cleanup EXIT
# shellcheck disable=SC1090
source <(scripts/services.sh env)

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Each phase's start shows the seconds since this script began, to see where CI's time goes.
echo "== unit tests (at ${SECONDS}s: packages and the build done)"
ctest --test-dir "$build_dir" -L '^unit$' --output-on-failure -j"$(nproc)"
echo "== fuzzing the binlog event decoder (${MM_FUZZ_SECONDS:-30}s; at ${SECONDS}s)"
scripts/fuzz.sh "${MM_FUZZ_SECONDS:-30}"
if [[ -n $cluster_pid ]]; then
  if ! wait "$cluster_pid"; then
    # One more try from empty nodes (cluster-start clears a stopped cluster's data), the first
    # failure's log kept above it: a boot that fails twice is reported, never skipped.
    cat "$build_dir/cluster-start.log"
    echo "test.sh: the RabbitMQ cluster did not start; stopping its nodes and starting it again" >&2
    scripts/services.sh cluster-stop || true
    if ! scripts/services.sh cluster-start; then
      echo "test.sh: the RabbitMQ cluster did not start" >&2
      exit 1
    fi
  fi
  # shellcheck disable=SC1090
  source <(scripts/services.sh env)
  cluster_pid=
fi
echo "== integration tests (at ${SECONDS}s; MariaDB 127.0.0.1:$MM_MYSQL_PORT, RabbitMQ 127.0.0.1:$MM_AMQP_PORT, cluster ${MM_AMQP_CLUSTER_PORTS:-none})"
ctest --test-dir "$build_dir" -L integration --output-on-failure
# Regression guard for performance (issue 8): the quick end-to-end benchmark prints its ratios to
# the log. Timings are never asserted; a broken benchmark is reported without failing the tests.
echo "== end-to-end benchmark, quick mode (at ${SECONDS}s; figures from the $build_dir build; not asserted)"
MM_BENCH_BUILD_DIR="$build_dir" MM_BENCH_OUT="$build_dir/bench-results" bench/e2e_bench.sh --quick ||
  echo "test.sh: WARNING: bench/e2e_bench.sh --quick failed (see above); not a test failure"
echo "test.sh: all tests passed in ${SECONDS}s"
