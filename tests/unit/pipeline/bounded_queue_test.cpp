// BoundedQueue reports its depth (items and bytes) to a metrics gauge as items come and go.
#include "pipeline/bounded_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace mm::pipeline {
namespace {

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
  std::jthread producer([&] { pushed = queue.push(4, 1, std::stop_token{}); });
  std::this_thread::sleep_for(std::chrono::milliseconds{20});
  ASSERT_TRUE(queue.popFor(std::chrono::milliseconds{0}).has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds{50});
  EXPECT_FALSE(pushed) << "3 of 4 queued: the producer is not woken for every item taken";
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
  std::jthread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
    stop.request_stop();
  });
  EXPECT_FALSE(queue.push(2, 1, stop.get_token())) << "full until stopped";
  std::vector<int> out;
  EXPECT_EQ(queue.popAll(out, 10, std::stop_token{}), 1u);
  EXPECT_EQ(out, (std::vector<int>{1})) << "the item pushed when stopped is dropped";
}

}  // namespace
}  // namespace mm::pipeline
