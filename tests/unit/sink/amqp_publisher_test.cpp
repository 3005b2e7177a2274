// What RabbitMQ says when it refuses a message over its max_message_size (the channel.close it
// sends, rabbit_channel:check_msg_size/3), read into the size and the limit; any other close is not
// such a refusal.
#include "sink/amqp_publisher.h"

#include <amqp_framing.h>
#include <gtest/gtest.h>

namespace mm::sink {
namespace {

TEST(MessageSizeRefusal, ReadsRabbitMqsPreconditionFailed) {
  // RabbitMQ 3.10.8, max_message_size = 1000 (seen in the live tests).
  auto refusal = parseMessageSizeRefusal(
      AMQP_PRECONDITION_FAILED,
      "PRECONDITION_FAILED - message size 2235 is larger than configured max size 1000");
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->size, 2235u);
  EXPECT_EQ(refusal->limit, 1000u);
  // The built-in limit's wording (no max_message_size configured above it).
  refusal = parseMessageSizeRefusal(
      AMQP_PRECONDITION_FAILED,
      "PRECONDITION_FAILED - message size 600000000 is larger than max size 536870912");
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->size, 600000000u);
  EXPECT_EQ(refusal->limit, 536870912u);
}

TEST(MessageSizeRefusal, OtherClosesAreNoRefusal) {
  EXPECT_FALSE(parseMessageSizeRefusal(
      AMQP_PRECONDITION_FAILED,
      "PRECONDITION_FAILED - inequivalent arg 'type' for exchange 'x' in vhost '/'"));
  EXPECT_FALSE(parseMessageSizeRefusal(
      AMQP_NOT_FOUND, "NOT_FOUND - message size 2235 is larger than configured max size 1000"));
  EXPECT_FALSE(parseMessageSizeRefusal(AMQP_PRECONDITION_FAILED,
                                       "PRECONDITION_FAILED - message size is larger"));
  EXPECT_FALSE(parseMessageSizeRefusal(
      AMQP_PRECONDITION_FAILED,
      "PRECONDITION_FAILED - message size 10 is larger than configured max size 20"));
  EXPECT_FALSE(parseMessageSizeRefusal(AMQP_PRECONDITION_FAILED, ""));
}

}  // namespace
}  // namespace mm::sink
