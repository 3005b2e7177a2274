#include "pipeline/reconnect_backoff.h"

#include <algorithm>

namespace mm::pipeline {

std::chrono::milliseconds ReconnectBackoff::next() {
  ceiling_ = ceiling_.count() == 0 ? initial_ : std::min(ceiling_ * 2, max_);
  std::uniform_int_distribution<int64_t> jitter(ceiling_.count() / 2, ceiling_.count());
  return std::chrono::milliseconds{jitter(random_)};
}

}  // namespace mm::pipeline
