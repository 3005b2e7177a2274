#include "support/fixtures.h"

#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace mm::test {

std::optional<std::string> fixturePath(const std::string& relative) {
  std::filesystem::path path = std::filesystem::path(MM_SHARED_FIXTURES_DIR) / relative;
  if (!std::filesystem::exists(path)) {
    return std::nullopt;
  }
  return path.string();
}

std::vector<uint8_t> readFileBytes(const std::string& path) {
  if (path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0) {
    gzFile file = gzopen(path.c_str(), "rb");
    if (file == nullptr) {
      return {};
    }
    std::vector<uint8_t> out;
    uint8_t buffer[1 << 16];
    int n = 0;
    while ((n = gzread(file, buffer, sizeof buffer)) > 0) {
      out.insert(out.end(), buffer, buffer + n);
    }
    gzclose(file);
    return out;
  }
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace mm::test
