// BoundedQueue reports its depth (items and bytes) to a metrics gauge as items come and go.
#include "pipeline/bounded_queue.h"

#include <gtest/gtest.h>

namespace mm::pipeline {
namespace {

TEST(BoundedQueue, ReportsItsDepthToTheGauge) {
  metrics::QueueGauge gauge;
  BoundedQueue<int> queue(8, 1000, &gauge);
  ASSERT_TRUE(queue.push(1, 100, std::stop_token{}));
  ASSERT_TRUE(queue.push(2, 250, std::stop_token{}));
  EXPECT_EQ(metrics::get(gauge.items), 2u);
  EXPECT_EQ(metrics::get(gauge.bytes), 350u);
  ASSERT_EQ(queue.pop(std::stop_token{}), 1);
  EXPECT_EQ(metrics::get(gauge.items), 1u);
  EXPECT_EQ(metrics::get(gauge.bytes), 250u);
  queue.close();
  ASSERT_EQ(queue.pop(std::stop_token{}), 2);
  EXPECT_EQ(queue.pop(std::stop_token{}), std::nullopt);
  EXPECT_EQ(metrics::get(gauge.items), 0u);
  EXPECT_EQ(metrics::get(gauge.bytes), 0u);
}

TEST(BoundedQueue, WorksWithoutAGauge) {
  BoundedQueue<int> queue(1, 10);
  ASSERT_TRUE(queue.push(1, 5, std::stop_token{}));
  EXPECT_EQ(queue.sizeBytes(), 5u);
}

}  // namespace
}  // namespace mm::pipeline
