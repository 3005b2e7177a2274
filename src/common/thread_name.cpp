#include "common/thread_name.h"

#include <pthread.h>

#include <algorithm>
#include <array>

namespace mm {

void nameThisThread(std::string_view name) {
  constexpr size_t kMaxNameBytes = 15;  // the kernel's TASK_COMM_LEN less the terminating zero
  std::array<char, kMaxNameBytes + 1> text{};
  std::copy_n(name.begin(), std::min(name.size(), kMaxNameBytes), text.begin());
  // A failure only leaves the inherited name: nothing to report.
  pthread_setname_np(pthread_self(), text.data());
}

}  // namespace mm
