// What a checkpoint save costs (issue 16 item 10): StateFile::save, i.e. write a temporary file,
// fsync it, rename it over the state file and fsync the directory. Reports the wall time and the
// CPU time of the saving thread per save, and the CPU share of a core at the publisher's default
// cadence (20 saves a second, [monitor] checkpoint_interval_ms = 50) and at the old one (5 a
// second). The kernel's journal thread (jbd2) does part of an fsync's work on ext4 and is not
// counted: `perf stat -a` or a system-wide CPU counter over a run shows it (docs/performance.md).
// Run it on the disk that will hold state_path: tmpfs makes fsync free.
//   MM_BENCH_STATE_DIR=/var/lib/mysql-monitor/bench build/checkpoint_bench
// (default: ./checkpoint-bench-state)
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "checkpoint/state_file.h"

namespace mm {
namespace {

void BM_StateFileSave(benchmark::State& state) {
  const char* dir_env = std::getenv("MM_BENCH_STATE_DIR");
  const std::filesystem::path dir = dir_env != nullptr ? dir_env : "checkpoint-bench-state";
  checkpoint::StateFile file((dir / "position").string());
  file.setSource(checkpoint::SourceIdentity{"", 1});
  // A MariaDB checkpoint with a GTID set of three domains, as a replica of a small topology saves.
  checkpoint::Checkpoint mark{"mysql-bin.000042", 4, 0, "0-1-1234567,1-2-99,2-3-4242"};
  for (auto _ : state) {
    mark.offset += 317;
    mark.rows_done = mark.offset % 7;
    const Status saved = file.save(mark);
    if (!saved.isOk()) {
      state.SkipWithError(saved.toString().c_str());
      break;
    }
  }
  // Share of a core = CPU seconds per save x saves per second; an inverted rate is CPU time /
  // value.
  const auto iterations = static_cast<double>(state.iterations());
  const auto kPerSecond = benchmark::Counter::kIsRate | benchmark::Counter::kInvert;
  state.counters["cpu_per_second_at_20_saves"] = benchmark::Counter(iterations / 20.0, kPerSecond);
  state.counters["cpu_per_second_at_5_saves"] = benchmark::Counter(iterations / 5.0, kPerSecond);
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}
BENCHMARK(BM_StateFileSave)->Unit(benchmark::kMicrosecond)->MinTime(2.0);

}  // namespace
}  // namespace mm
