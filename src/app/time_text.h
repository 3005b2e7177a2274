// Times as the commands print them: UTC, ISO 8601, to the second ("2026-11-25T10:00:00Z").
#pragma once

#include <cstdint>
#include <string>

namespace mm::app {

std::string utcTimeText(int64_t unix_seconds);

}  // namespace mm::app
