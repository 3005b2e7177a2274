// nameThisThread: gives the calling thread a name that `top -H`, `ps -L`, perf and gdb show, so an
// operator (or a profile) can tell the pipeline stages apart. Linux keeps at most 15 bytes of it.
#pragma once

#include <string_view>

namespace mm {

void nameThisThread(std::string_view name);

}  // namespace mm
