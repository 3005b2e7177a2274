// [mysql] start_position is checked when the configuration loads (exit 2), not at first start;
// the [amqp] settings become the publisher's options.
#include "app/configuration.h"

#include <gtest/gtest.h>

#include "config/config.h"

namespace mm::app {
namespace {

TEST(StartPosition, AcceptsKeywordsPositionsAndGtidSets) {
  for (const char* spec : {"current", "earliest", "mysql-bin.000001:4", "binlog.000042:91234",
                           "0-1-100", "0-1-100,1-2-5", "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-100"}) {
    EXPECT_TRUE(checkStartPosition(spec).isOk()) << spec << ": " << checkStartPosition(spec).message();
  }
}

TEST(StartPosition, RejectsAnythingElseNamingTheKeyAndTheForms) {
  for (const char* spec : {"latest", "mysql-bin.000001:3", "mysql-bin.000001:", ":100", "mysql-bin.000001:x"}) {
    const Status status = checkStartPosition(spec);
    ASSERT_FALSE(status.isOk()) << spec;
    EXPECT_EQ(status.code(), StatusCode::InvalidArgument);
    EXPECT_NE(status.message().find(std::string("[mysql] start_position: '") + spec +
                                    "' is not one of current, earliest, FILE:POS"),
              std::string::npos)
        << status.message();
  }
}

// Headers cost the broker throughput, so by default only a headers exchange, which routes on them,
// gets them.
TEST(AmqpOptions, HeadersAreSentToAHeadersExchangeOrWhenAskedFor) {
  const auto publishesHeaders = [](const char* exchange_type, const char* headers) {
    auto config = config::parseConfig(
        std::string("[amqp]\nexchange_type = ") + exchange_type + "\n" + (*headers ? "headers = " : "") + headers + "\n",
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

}  // namespace
}  // namespace mm::app
