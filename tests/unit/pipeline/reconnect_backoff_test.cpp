#include "pipeline/reconnect_backoff.h"

#include <set>

#include <gtest/gtest.h>

namespace mm::pipeline {
namespace {

using std::chrono::milliseconds;

TEST(ReconnectBackoff, DoublesWithJitterUpToTheCap) {
  ReconnectBackoff backoff(milliseconds{500}, milliseconds{4000}, 42);
  for (int64_t ceiling : {500, 1000, 2000, 4000, 4000, 4000}) {
    const milliseconds delay = backoff.next();
    EXPECT_GE(delay.count(), ceiling / 2) << "attempt with ceiling " << ceiling;
    EXPECT_LE(delay.count(), ceiling) << "attempt with ceiling " << ceiling;
  }
}

TEST(ReconnectBackoff, JitterSpreadsDelays) {
  ReconnectBackoff backoff(milliseconds{1000}, milliseconds{1000}, 7);
  std::set<int64_t> seen;
  for (int i = 0; i < 20; ++i) {
    seen.insert(backoff.next().count());
  }
  EXPECT_GT(seen.size(), 5u) << "clients reconnecting together must not all wait the same";
}

TEST(ReconnectBackoff, ResetStartsOver) {
  ReconnectBackoff backoff(milliseconds{100}, milliseconds{10000}, 1);
  for (int i = 0; i < 6; ++i) {
    (void)backoff.next();
  }
  backoff.reset();
  EXPECT_LE(backoff.next().count(), 100);
}

}  // namespace
}  // namespace mm::pipeline
