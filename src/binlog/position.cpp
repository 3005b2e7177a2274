#include "binlog/position.h"

#include "common/decimal.h"

namespace mm::binlog {

std::optional<uint64_t> fileSequence(std::string_view file) {
  const size_t dot = file.rfind('.');
  if (dot == std::string_view::npos) {
    return std::nullopt;
  }
  return parseDecimal<uint64_t>(file.substr(dot + 1));
}

bool comesBefore(const Position& a, const Position& b) {
  if (a.file != b.file) {
    const auto a_sequence = fileSequence(a.file);
    const auto b_sequence = fileSequence(b.file);
    if (a_sequence && b_sequence && *a_sequence != *b_sequence) {
      return *a_sequence < *b_sequence;
    }
    return a.file < b.file;
  }
  return a.offset < b.offset;
}

uint64_t nextEventOffset(uint64_t start, uint32_t event_size, uint32_t log_pos) {
  if (log_pos == 0) {
    return start + event_size;
  }
  uint64_t end = (start & ~0xFFFFFFFFULL) | log_pos;
  if (end < start) {
    end += 1ULL << 32;
  }
  return end;
}

}  // namespace mm::binlog
