#!/usr/bin/env bash
# Fuzzes the binlog event decoder (tests/fuzz/event_decoder_fuzz.cpp) with libFuzzer under ASan +
# UBSan: builds with clang in build-fuzz, writes a seed corpus from the shared fixtures into the
# build directory (never into the repository), and runs for a fixed time. A crash leaves its input
# in build-fuzz/artifacts/ and fails the script.
#   scripts/fuzz.sh [SECONDS]     default 60
#   MM_FUZZ_BUILD_DIR=dir         build directory (default build-fuzz)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

seconds=${1:-60}
build_dir=${MM_FUZZ_BUILD_DIR:-build-fuzz}
fixtures="$root/../shared/fixtures/binlog"
clangxx=$(command -v clang++-14 || command -v clang++ || true)
if [[ -z $clangxx ]]; then
  echo "fuzz.sh: clang++ not found (Debian: clang-14 libclang-rt-14-dev)" >&2
  exit 1
fi

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$clangxx" \
  -DMM_SANITIZE=ON -DMM_BUILD_FUZZ=ON -DMM_BUILD_TESTS=OFF -DMM_BUILD_BENCH=OFF >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target event_decoder_fuzz make_seed_corpus

corpus="$build_dir/fuzz-corpus"
seeds="$build_dir/fuzz-seeds"
mkdir -p "$corpus" "$build_dir/artifacts"
rm -rf "$seeds"
if [[ -d $fixtures ]]; then
  "$build_dir/make_seed_corpus" "$fixtures" "$seeds"
else
  echo "fuzz.sh: $fixtures not found; fuzzing without fixture seeds" >&2
  mkdir -p "$seeds"
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
echo "== fuzzing the event decoder for ${seconds}s"
"$build_dir/event_decoder_fuzz" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
  -timeout=10 -print_final_stats=1 -artifact_prefix="$build_dir/artifacts/" "$corpus" "$seeds"
