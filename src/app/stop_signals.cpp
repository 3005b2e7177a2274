#include "app/stop_signals.h"

#include <signal.h>

#include <cerrno>

namespace mm::app {
namespace {

sigset_t stopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void blockStopSignals() {
  const sigset_t set = stopSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

std::optional<int> waitForStopSignal(std::chrono::milliseconds timeout) {
  const sigset_t set = stopSignals();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - std::chrono::steady_clock::now());
    const timespec wait{static_cast<time_t>(std::max<int64_t>(left.count(), 0) / 1'000'000'000),
                        static_cast<long>(std::max<int64_t>(left.count(), 0) % 1'000'000'000)};
    const int signal = sigtimedwait(&set, nullptr, &wait);
    if (signal > 0) {
      return signal;
    }
    // EINTR: another signal (e.g. SIGCHLD) cut the wait short; wait for the rest.
    if (errno != EINTR || left.count() <= 0) {
      return std::nullopt;
    }
  }
}

}  // namespace mm::app
