// The /readyz rule over scripted samples and a fake clock: connections, and a stall on either side
// of the pipeline timed from when it began.
#include "metrics/readiness.h"

#include <gtest/gtest.h>

namespace mm::metrics {
namespace {

using namespace std::chrono_literals;

class ReadinessRuleTest : public ::testing::Test {
 protected:
  ReadinessSample streaming(binlog::Position read, std::optional<binlog::Position> server) {
    ReadinessSample s;
    s.source_connected = true;
    s.broker_connected = true;
    s.read = std::move(read);
    s.server = std::move(server);
    return s;
  }
  // Judges `sample` at `at` seconds after the start.
  Readiness at(std::chrono::seconds at, const ReadinessSample& sample) {
    return rule_.judge(sample, start_ + at);
  }

  ReadinessRule rule_{60s};
  const std::chrono::steady_clock::time_point start_{std::chrono::hours(1)};
};

TEST_F(ReadinessRuleTest, ReadyWhileStreamingAndCaughtUp) {
  const auto sample =
      streaming({"mysql-bin.000001", 500}, binlog::Position{"mysql-bin.000001", 500});
  EXPECT_TRUE(at(0s, sample).ready);
  const Readiness later = at(3600s, sample);
  EXPECT_TRUE(later.ready) << "an idle source never stalls: " << later.reason;
  EXPECT_EQ(later.reason, "ready: streaming at mysql-bin.000001:500, broker connected");
}

TEST_F(ReadinessRuleTest, NotReadyWithoutEitherConnectionSayingWhich) {
  auto sample = streaming({"mysql-bin.000001", 500}, std::nullopt);
  sample.source_connected = false;
  EXPECT_EQ(at(0s, sample).reason, "not ready: the binlog stream is not connected");
  sample.source_connected = true;
  sample.broker_connected = false;
  EXPECT_EQ(at(1s, sample).reason, "not ready: the broker is not connected");
  EXPECT_FALSE(at(2s, sample).ready);
}

TEST_F(ReadinessRuleTest, ReaderStandingStillWhileTheServerMovesOnIsAStallAfterStallSeconds) {
  const auto caught_up =
      streaming({"mysql-bin.000001", 500}, binlog::Position{"mysql-bin.000001", 500});
  const auto behind =
      streaming({"mysql-bin.000001", 500}, binlog::Position{"mysql-bin.000001", 900});
  EXPECT_TRUE(at(0s, caught_up).ready);
  EXPECT_TRUE(at(600s, caught_up).ready);
  // The server moves on at 601 s: the stall is timed from there, not from the reader's last move.
  EXPECT_TRUE(at(601s, behind).ready);
  EXPECT_TRUE(at(660s, behind).ready);
  const Readiness stalled = at(661s, behind);
  EXPECT_FALSE(stalled.ready);
  EXPECT_EQ(stalled.reason, "not ready: stalled: the server's binlog is at mysql-bin.000001:900 "
                            "but the reader has stayed "
                            "at mysql-bin.000001:500 for 60 s ([metrics] stall_seconds = 60)");
}

TEST_F(ReadinessRuleTest, AReaderThatKeepsMovingIsNotStalledHoweverFarBehind) {
  for (int i = 0; i < 100; ++i) {
    const auto sample = streaming({"mysql-bin.000001", 100u + static_cast<uint64_t>(i)},
                                  binlog::Position{"mysql-bin.000009", 4});
    EXPECT_TRUE(at(std::chrono::seconds(i * 10), sample).ready) << i;
  }
}

TEST_F(ReadinessRuleTest, MovingAgainEndsTheStall) {
  const auto behind = streaming({"mysql-bin.000001", 500}, binlog::Position{"mysql-bin.000002", 4});
  EXPECT_TRUE(at(0s, behind).ready);
  EXPECT_TRUE(at(1s, behind).ready);
  EXPECT_FALSE(at(61s, behind).ready);
  EXPECT_TRUE(
      at(62s, streaming({"mysql-bin.000001", 800}, binlog::Position{"mysql-bin.000002", 4})).ready);
}

TEST_F(ReadinessRuleTest, ARotatedIdleServerIsNotAStall) {
  // FLUSH LOGS on an idle server: the reader follows the rotation, the checkpoint stays behind.
  const auto rotated =
      streaming({"mysql-bin.000002", 256}, binlog::Position{"mysql-bin.000002", 256});
  EXPECT_TRUE(at(0s, rotated).ready);
  EXPECT_TRUE(at(3600s, rotated).ready);
}

TEST_F(ReadinessRuleTest, AStaleServerPositionBehindTheReaderIsNotAStall) {
  const auto ahead =
      streaming({"mysql-bin.000003", 500}, binlog::Position{"mysql-bin.000002", 900});
  EXPECT_TRUE(at(0s, ahead).ready);
  EXPECT_TRUE(at(600s, ahead).ready);
}

TEST_F(ReadinessRuleTest, UnconfirmedMessagesWithoutACheckpointForStallSecondsIsAStall) {
  auto sample = streaming({"mysql-bin.000001", 500}, binlog::Position{"mysql-bin.000001", 500});
  sample.checkpoints_saved = 10;
  EXPECT_TRUE(at(0s, sample).ready);
  EXPECT_TRUE(at(500s, sample).ready) << "nothing waits: idle";
  sample.messages_unconfirmed = 25;
  EXPECT_TRUE(at(501s, sample).ready) << "timed from when the messages started waiting";
  EXPECT_TRUE(at(560s, sample).ready);
  const Readiness stalled = at(561s, sample);
  EXPECT_FALSE(stalled.ready);
  EXPECT_EQ(
      stalled.reason,
      "not ready: stalled: 25 messages await the broker's confirmation and no checkpoint was saved "
      "for 60 s ([metrics] stall_seconds = 60)");
  sample.checkpoints_saved = 11;
  EXPECT_TRUE(at(562s, sample).ready) << "a saved checkpoint means confirms arrive";
}

TEST_F(ReadinessRuleTest, ConfirmsArrivingKeepItReady) {
  auto sample = streaming({"mysql-bin.000001", 500}, std::nullopt);
  sample.messages_unconfirmed = 1000;
  for (int i = 0; i < 100; ++i) {
    sample.checkpoints_saved = static_cast<uint64_t>(i);
    EXPECT_TRUE(at(std::chrono::seconds(i * 30), sample).ready) << i;
  }
}

TEST(SampleReadiness, IgnoresAStaleServerPosition) {
  Stats stats;
  stats.setReadFile("mysql-bin.000001");
  set<uint64_t>(stats.read_position, 77);
  stats.setServerState(ServerBinlogState{{"mysql-bin.000001", 900}, 0, 1000});
  const auto fresh = sampleReadiness(stats, 1030, std::chrono::seconds(30));
  ASSERT_TRUE(fresh.server.has_value());
  EXPECT_EQ(fresh.server->offset, 900u);
  EXPECT_EQ(fresh.read, (binlog::Position{"mysql-bin.000001", 77}));
  EXPECT_FALSE(sampleReadiness(stats, 1031, std::chrono::seconds(30)).server.has_value());
}

}  // namespace
}  // namespace mm::metrics

namespace mm::metrics {
namespace {

// Issue 19: a standby is alive (/healthz) but not ready: it is not the one serving.
TEST_F(ReadinessRuleTest, AStandbyIsNotReadyWhateverItsConnections) {
  auto sample = streaming({"mysql-bin.000001", 500}, std::nullopt);
  sample.standby = true;
  const Readiness readiness = at(0s, sample);
  EXPECT_FALSE(readiness.ready);
  EXPECT_EQ(readiness.reason,
            "not ready: standby: another monitor of this [monitor] name is active");
  sample.standby = false;
  EXPECT_TRUE(at(1s, sample).ready);
}

}  // namespace
}  // namespace mm::metrics
