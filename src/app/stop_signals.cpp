#include "app/stop_signals.h"

#include <signal.h>

#include <cerrno>

namespace mm::app {
namespace {

sigset_t stopSignals(bool hang_up) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (hang_up) {
    sigaddset(&set, SIGHUP);
  }
  return set;
}

}  // namespace

void blockStopSignals(bool hang_up) {
  const sigset_t set = stopSignals(hang_up);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

std::optional<int> waitForStopSignal(std::chrono::milliseconds timeout) {
  // SIGHUP is in the set only when blocked: sigtimedwait() takes a pending blocked signal, and an
  // unblocked SIGHUP keeps its default action (tail, check and status end on a hang-up).
  sigset_t blocked;
  pthread_sigmask(SIG_BLOCK, nullptr, &blocked);
  const sigset_t set = stopSignals(sigismember(&blocked, SIGHUP) == 1);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(
        deadline - std::chrono::steady_clock::now());
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
