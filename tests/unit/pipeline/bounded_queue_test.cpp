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

TEST(BoundedQueue, PushAllAndPopAllKeepTheOrderAndTheByteCount) {
  BoundedQueue<int> queue(100, 1000);
  std::vector<std::pair<int, size_t>> batch{{1, 10}, {2, 20}, {3, 30}};
  ASSERT_TRUE(queue.pushAll(batch, std::stop_token{}));
  EXPECT_TRUE(batch.empty());
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

TEST(BoundedQueue, PushAllWaitsForRoomForTheWholeBatch) {
  BoundedQueue<int> queue(3, 1000);
  std::vector<std::pair<int, size_t>> first{{1, 1}, {2, 1}};
  ASSERT_TRUE(queue.pushAll(first, std::stop_token{}));
  std::atomic<bool> pushed{false};
  std::jthread producer([&] {
    std::vector<std::pair<int, size_t>> second{{3, 1}, {4, 1}};
    pushed = queue.pushAll(second, std::stop_token{});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds{50});
  EXPECT_FALSE(pushed) << "2 queued + 2 more would exceed 3 items";
  std::vector<int> out;
  EXPECT_EQ(queue.popAllFor(out, 1, std::chrono::milliseconds{0}), 1u);
  producer.join();
  EXPECT_TRUE(pushed);
  EXPECT_EQ(queue.popAll(out, 10, std::stop_token{}), 3u);
  EXPECT_EQ(out, (std::vector<int>{1, 2, 3, 4}));
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

TEST(BoundedQueue, PushAllGivesUpWhenStopped) {
  BoundedQueue<int> queue(1, 1000);
  std::vector<std::pair<int, size_t>> first{{1, 1}};
  ASSERT_TRUE(queue.pushAll(first, std::stop_token{}));
  std::stop_source stop;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
    stop.request_stop();
  });
  std::vector<std::pair<int, size_t>> second{{2, 1}};
  EXPECT_FALSE(queue.pushAll(second, stop.get_token()));
  EXPECT_TRUE(second.empty()) << "the batch is dropped";
}

}  // namespace
}  // namespace mm::pipeline
