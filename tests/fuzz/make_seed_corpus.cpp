// Writes the fuzzer's seed corpus from the shared binlog fixtures, read in place: for each file,
// its FORMAT_DESCRIPTION followed by runs of up to 8 events (split with BinlogFile), each also cut
// short inside its last event. Seeds start with setup byte 0 (no built-in FDE, checksums not
// verified): see event_decoder_fuzz.cpp.
//   make_seed_corpus FIXTURES_DIR OUT_DIR
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "binlog/binlog_file.h"

namespace {

std::vector<uint8_t> readFile(const std::filesystem::path& path) {
  std::vector<uint8_t> bytes;
  if (path.extension() == ".gz") {
    gzFile file = gzopen(path.c_str(), "rb");
    if (file == nullptr) {
      return bytes;
    }
    std::vector<uint8_t> chunk(1 << 16);
    int n = 0;
    while ((n = gzread(file, chunk.data(), static_cast<unsigned>(chunk.size()))) > 0) {
      bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + n);
    }
    gzclose(file);
    return bytes;
  }
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s FIXTURES_DIR OUT_DIR\n", argv[0]);
    return 2;
  }
  constexpr size_t kEventsPerSeed = 8;
  constexpr size_t kMaxSeedBytes = 16 << 10;
  const std::filesystem::path out_dir = argv[2];
  std::filesystem::create_directories(out_dir);
  size_t seeds = 0;
  auto write = [&](const std::vector<uint8_t>& seed) {
    std::ofstream(out_dir / ("seed-" + std::to_string(seeds++)), std::ios::binary)
        .write(reinterpret_cast<const char*>(seed.data()),
               static_cast<std::streamsize>(seed.size()));
  };
  for (const auto& entry : std::filesystem::recursive_directory_iterator(argv[1])) {
    if (!entry.is_regular_file() || entry.path().filename() == "MANIFEST.md") {
      continue;
    }
    const std::vector<uint8_t> bytes = readFile(entry.path());
    auto file = mm::binlog::BinlogFile::open(bytes);
    if (!file.isOk()) {
      continue;
    }
    std::vector<std::span<const uint8_t>> events;
    for (;;) {
      auto next = file->next();
      if (!next.isOk() || !next->has_value()) {
        break;
      }
      events.push_back(**next);
    }
    if (events.empty()) {
      continue;
    }
    for (size_t first = 1; first < events.size(); first += kEventsPerSeed) {
      std::vector<uint8_t> seed = {0};
      seed.insert(seed.end(), events[0].begin(), events[0].end());
      size_t last_start = seed.size();
      for (size_t i = first; i < std::min(events.size(), first + kEventsPerSeed); ++i) {
        if (seed.size() + events[i].size() > kMaxSeedBytes) {
          break;
        }
        last_start = seed.size();
        seed.insert(seed.end(), events[i].begin(), events[i].end());
      }
      write(seed);
      // The same run ending in the middle of its last event.
      seed.resize(last_start + (seed.size() - last_start) / 2);
      write(seed);
    }
  }
  std::printf("%zu seeds in %s\n", seeds, out_dir.c_str());
  return seeds > 0 ? 0 : 1;
}
