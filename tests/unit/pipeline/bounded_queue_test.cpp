// BoundedQueue reports its depth (items and bytes) to a metrics gauge as items come and go; a
// blocked producer wakes once the queue is half empty, and gives up when stopped. The tests that
// block a thread wait for the kernel to report it asleep (/proc), not for a fixed time.
#include "pipeline/bounded_queue.h"

#include <sys/types.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace mm::pipeline {
namespace {

// The scheduler state of thread `tid` of this process ('R' running, 'S' asleep in a wait, ...).
char threadState(pid_t tid) {
  std::ifstream stat("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::stringstream text;
  text << stat.rdbuf();
  const std::string line = text.str();
  const size_t name_end = line.rfind(')');  // the name may hold spaces and parentheses
  return name_end == std::string::npos || name_end + 2 >= line.size() ? '?' : line[name_end + 2];
}

// Waits (up to 5 s) until the thread that stored its id in `tid` sleeps: it is blocked in the
// call it made after storing it.
bool waitUntilAsleep(const std::atomic<pid_t>& tid) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{5};
  while (std::chrono::steady_clock::now() < deadline) {
    if (tid.load() != 0 && threadState(tid.load()) == 'S') {
      return true;
    }
    std::this_thread::yield();
  }
  return false;
}

TEST(BoundedQueue, ReportsItsDepthToTheGauge) {
  metrics::QueueGauge gauge;
  BoundedQueue<int> queue(8, 1000, &gauge);
  ASSERT_TRUE(queue.push(1, 100, std::stop_token{}));
  ASSERT_TRUE(queue.push(2, 250, std::stop_token{}));
  EXPECT_EQ(metrics::get(gauge.items), 2u);
  EXPECT_EQ(metrics::get(gauge.bytes), 350u);
  ASSERT_EQ(queue.popFor(std::chrono::milliseconds{0}), 1);
  EXPECT_EQ(metrics::get(gauge.items), 1u);
  EXPECT_EQ(metrics::get(gauge.bytes), 250u);
  queue.close();
  ASSERT_EQ(queue.popFor(std::chrono::milliseconds{0}), 2);
  EXPECT_EQ(queue.popFor(std::chrono::milliseconds{0}), std::nullopt);
  EXPECT_EQ(metrics::get(gauge.items), 0u);
  EXPECT_EQ(metrics::get(gauge.bytes), 0u);
}

TEST(BoundedQueue, WorksWithoutAGauge) {
  BoundedQueue<int> queue(1, 10);
  ASSERT_TRUE(queue.push(1, 5, std::stop_token{}));
  EXPECT_EQ(queue.sizeBytes(), 5u);
}

TEST(BoundedQueue, PopAllKeepsTheOrderAndTheByteCount) {
  BoundedQueue<int> queue(100, 1000);
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(queue.push(i, 10 * static_cast<size_t>(i), std::stop_token{}));
  }
  EXPECT_EQ(queue.sizeBytes(), 60u);
  std::vector<int> out{0};
  EXPECT_EQ(queue.popAllFor(out, 2, std::chrono::milliseconds{0}), 2u) << "at most `max` items";
  EXPECT_EQ(queue.sizeBytes(), 30u);
  EXPECT_EQ(queue.popAll(out, 10, std::stop_token{}), 1u);
  EXPECT_EQ(out, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(queue.sizeBytes(), 0u);
  EXPECT_EQ(queue.popAllFor(out, 10, std::chrono::milliseconds{1}), 0u);
  EXPECT_FALSE(queue.drained());
  queue.close();
  EXPECT_EQ(queue.popAllFor(out, 10, std::chrono::milliseconds{1}), 0u);
  EXPECT_TRUE(queue.drained());
}

TEST(BoundedQueue, ABlockedProducerWakesOnceTheQueueIsHalfEmpty) {
  BoundedQueue<int> queue(4, 1000);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(queue.push(i, 1, std::stop_token{}));
  }
  std::atomic<bool> pushed{false};
  std::atomic<pid_t> producer_id{0};
  std::jthread producer([&] {
    producer_id = ::gettid();
    pushed = queue.push(4, 1, std::stop_token{});
  });
  ASSERT_TRUE(waitUntilAsleep(producer_id)) << "the producer did not block on the full queue";
  ASSERT_TRUE(queue.popFor(std::chrono::milliseconds{0}).has_value());
  // A woken thread is runnable as soon as the wake-up call returns: still asleep now means it was
  // not woken.
  EXPECT_EQ(threadState(producer_id), 'S')
      << "3 of 4 queued: the producer is not woken for every item taken";
  EXPECT_FALSE(pushed);
  ASSERT_TRUE(queue.popFor(std::chrono::milliseconds{0}).has_value());
  producer.join();
  EXPECT_TRUE(pushed) << "2 of 4 queued: half empty wakes it";
  std::vector<int> out;
  EXPECT_EQ(queue.popAll(out, 10, std::stop_token{}), 3u);
  EXPECT_EQ(out, (std::vector<int>{2, 3, 4}));
}

TEST(BoundedQueue, PushGivesUpWhenStopped) {
  BoundedQueue<int> queue(1, 1000);
  ASSERT_TRUE(queue.push(1, 1, std::stop_token{}));
  std::stop_source stop;
  std::atomic<pid_t> producer_id{0};
  std::atomic<int> pushed{-1};
  std::jthread producer([&] {
    producer_id = ::gettid();
    pushed = queue.push(2, 1, stop.get_token()) ? 1 : 0;
  });
  ASSERT_TRUE(waitUntilAsleep(producer_id)) << "the producer did not block on the full queue";
  stop.request_stop();
  producer.join();
  EXPECT_EQ(pushed.load(), 0) << "full until stopped";
  std::vector<int> out;
  EXPECT_EQ(queue.popAll(out, 10, std::stop_token{}), 1u);
  EXPECT_EQ(out, (std::vector<int>{1})) << "the item pushed when stopped is dropped";
}

}  // namespace
}  // namespace mm::pipeline
