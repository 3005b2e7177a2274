// eventually(): for a test that waits for another thread's visible effect (a file saved, a counter
// moved) when that thread signals nothing. It polls the condition until it holds or a limit
// passes, pausing a little longer each time (0.1 ms up to 10 ms), so the wait ends with the event
// and never stands in for it: a test must still assert the result.
#pragma once

#include <algorithm>
#include <chrono>
#include <thread>

namespace mm::test {

template <typename Condition>
bool eventually(Condition done, std::chrono::milliseconds limit = std::chrono::seconds{5}) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::chrono::microseconds pause{100};
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return done();
    }
    std::this_thread::sleep_for(pause);
    pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds{10});
  }
  return true;
}

}  // namespace mm::test
