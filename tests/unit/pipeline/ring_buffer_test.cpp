#include "pipeline/ring_buffer.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>

namespace mm::pipeline {
namespace {

TEST(RingBuffer, KeepsOrderAcrossGrowthAndWrapping) {
  RingBuffer<std::string> ring;
  int pushed = 0;
  int popped = 0;
  // Interleaved pushes and pops make the head wrap around before, during and after each growth.
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 7; ++i) {
      ring.push_back(std::to_string(pushed++));
    }
    for (int i = 0; i < 5; ++i) {
      ASSERT_EQ(ring.front(), std::to_string(popped++));
      ring.pop_front();
    }
    ASSERT_EQ(ring.size(), static_cast<size_t>(pushed - popped));
    for (size_t i = 0; i < ring.size(); ++i) {
      ASSERT_EQ(ring[i], std::to_string(popped + static_cast<int>(i)));
    }
    ASSERT_EQ(ring.back(), std::to_string(pushed - 1));
  }
  while (!ring.empty()) {
    ASSERT_EQ(ring.front(), std::to_string(popped++));
    ring.pop_front();
  }
  EXPECT_EQ(popped, pushed);
}

TEST(RingBuffer, ReleasesAnElementWhenItIsPopped) {
  RingBuffer<std::shared_ptr<int>> ring;
  auto first = std::make_shared<int>(1);
  auto second = std::make_shared<int>(2);
  ring.push_back(first);
  ring.push_back(second);
  EXPECT_EQ(first.use_count(), 2);
  ring.pop_front();
  EXPECT_EQ(first.use_count(), 1);
  EXPECT_EQ(second.use_count(), 2);
  ring.clear();
  EXPECT_EQ(second.use_count(), 1);
  EXPECT_TRUE(ring.empty());
}

TEST(RingBuffer, DestroysWhatItStillHolds) {
  auto value = std::make_shared<int>(7);
  {
    RingBuffer<std::shared_ptr<int>> ring;
    for (int i = 0; i < 40; ++i) {
      ring.push_back(value);
    }
    EXPECT_EQ(value.use_count(), 41);
  }
  EXPECT_EQ(value.use_count(), 1);
}

}  // namespace
}  // namespace mm::pipeline
