// The [amqp] settings become the publisher's options.
#include "app/configuration.h"

#include <gtest/gtest.h>

#include "config/config.h"

namespace mm::app {
namespace {

// Headers cost the broker throughput, so by default only a headers exchange, which routes on them,
// gets them.
TEST(AmqpOptions, HeadersAreSentToAHeadersExchangeOrWhenAskedFor) {
  const auto publishesHeaders = [](const char* exchange_type, const char* headers) {
    auto config = config::parseConfig(std::string("[amqp]\nexchange_type = ") + exchange_type +
                                          "\n" + (*headers ? "headers = " : "") + headers + "\n",
                                      "headers.cfg");
    EXPECT_TRUE(config.isOk()) << config.status().toString();
    return config.isOk() && amqpOptions(*config).headers;
  };
  EXPECT_FALSE(publishesHeaders("fanout", ""));
  EXPECT_FALSE(publishesHeaders("topic", "auto"));
  EXPECT_TRUE(publishesHeaders("headers", ""));
  EXPECT_TRUE(publishesHeaders("topic", "on"));
  EXPECT_TRUE(publishesHeaders("fanout", "true"));
  EXPECT_FALSE(publishesHeaders("headers", "off"));
}

TEST(AmqpOptions, BrokersComeFromTheParsedList) {
  auto config = config::parseConfig("[amqp]\nhost = a, b:5673\nport = 5700\n", "brokers.cfg");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  const sink::AmqpOptions options = amqpOptions(*config);
  ASSERT_EQ(options.brokers.size(), 2u);
  EXPECT_EQ(options.brokers[0].host, "a");
  EXPECT_EQ(options.brokers[0].port, 5700);
  EXPECT_EQ(options.brokers[1].host, "b");
  EXPECT_EQ(options.brokers[1].port, 5673);
}

}  // namespace
}  // namespace mm::app
