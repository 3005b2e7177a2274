// The [metrics] section: listen address or off, stall_seconds, errors naming the key.
#include <gtest/gtest.h>

#include "config/config.h"

namespace mm::config {
namespace {

TEST(MetricsConfig, ListensOnLoopbackPort9650ByDefault) {
  auto config = parseConfig("", "empty.cfg");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_TRUE(config->metrics.enabled);
  EXPECT_EQ(config->metrics.host, "127.0.0.1");
  EXPECT_EQ(config->metrics.port, 9650);
  EXPECT_EQ(config->metrics.stall_seconds, 60);
}

TEST(MetricsConfig, ReadsListenAndStallSeconds) {
  auto config = parseConfig("[metrics]\nlisten = 0.0.0.0:9100\nstall_seconds = 120\n", "m.cfg");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_TRUE(config->metrics.enabled);
  EXPECT_EQ(config->metrics.host, "0.0.0.0");
  EXPECT_EQ(config->metrics.port, 9100);
  EXPECT_EQ(config->metrics.stall_seconds, 120);
}

TEST(MetricsConfig, StallSecondsSurvivesALaterListen) {
  auto config = parseConfig("[metrics]\nstall_seconds = 30\nlisten = [::1]:9651\n", "m.cfg");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->metrics.host, "::1");
  EXPECT_EQ(config->metrics.port, 9651);
  EXPECT_EQ(config->metrics.stall_seconds, 30);
}

TEST(MetricsConfig, OffDisablesTheServer) {
  auto config = parseConfig("[metrics]\nlisten = off\n", "m.cfg");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_FALSE(config->metrics.enabled);
}

TEST(MetricsConfig, EnvironmentTurnsItOff) {
  auto config = buildConfig("", "empty.cfg", {{"MYSQL_MONITOR_METRICS_LISTEN", "off"}}, {});
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_FALSE(config->metrics.enabled);
}

TEST(MetricsConfig, ListenWithoutPortIsAnErrorNamingTheKey) {
  auto config = parseConfig("[metrics]\nlisten = 127.0.0.1\n", "m.cfg");
  ASSERT_FALSE(config.isOk());
  EXPECT_EQ(config.status().message(), "m.cfg:2: [metrics] listen: '127.0.0.1' names no port "
                                       "(HOST:PORT, e.g. 127.0.0.1:9650, or off)");
}

TEST(MetricsConfig, BadPortIsAnErrorNamingTheKey) {
  auto config = parseConfig("[metrics]\nlisten = localhost:http\n", "m.cfg");
  ASSERT_FALSE(config.isOk());
  EXPECT_NE(
      config.status().message().find("m.cfg:2: [metrics] listen: 'localhost:http' has a bad port"),
      std::string::npos)
      << config.status().message();
}

TEST(MetricsConfig, StallSecondsOutOfRangeIsAnError) {
  auto config = parseConfig("[metrics]\nstall_seconds = 1\n", "m.cfg");
  ASSERT_FALSE(config.isOk());
  EXPECT_EQ(config.status().message(), "m.cfg:2: [metrics] stall_seconds: 1 is outside 2..86400");
}

TEST(MetricsConfig, AmqpHostErrorsStillNameTheirKey) {
  auto config = parseConfig("[amqp]\nhost = rabbit:x\n", "m.cfg");
  ASSERT_FALSE(config.isOk());
  EXPECT_NE(config.status().message().find("[amqp] host: 'rabbit:x' has a bad port"),
            std::string::npos)
      << config.status().message();
}

}  // namespace
}  // namespace mm::config
