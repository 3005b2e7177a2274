// CheckpointWriter (issue 16 item 10): the publisher hands marks over without waiting for the disk,
// the newest is saved, marks offered in between are dropped, the final save happens in finish(),
// and a failed save is sticky and named. Each save is counted in the Stats given; the waits between
// saves are on the Clock (a fake one here, so nothing sleeps).
#include "pipeline/checkpoint_writer.h"

#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "checkpoint/state_file.h"
#include "support/eventually.h"
#include "support/fake_clock.h"

namespace mm::pipeline {
namespace {

using namespace std::chrono_literals;

checkpoint::Checkpoint at(uint64_t position) {
  return checkpoint::Checkpoint{"mysql-bin.000001", position, 0};
}

// A directory of this test's own.
std::filesystem::path testDir() {
  return std::filesystem::temp_directory_path() /
         ("mm_checkpoint_writer_" + std::to_string(::getpid()) + "_" +
          ::testing::UnitTest::GetInstance()->current_test_info()->name());
}

class CheckpointWriterTest : public ::testing::Test {
 protected:
  void TearDown() override { std::filesystem::remove_all(testDir()); }

  std::optional<checkpoint::Checkpoint> onDisk() {
    auto loaded = state_.load();
    return loaded.isOk() && !loaded->empty() ? std::optional(*loaded) : std::nullopt;
  }

  uint64_t saves() const { return metrics::get(stats_.checkpoints_saved); }

  checkpoint::StateFile state_{(testDir() / "position").string()};
  test::FakeClock clock_;
  metrics::Stats stats_;
  CheckpointWriter writer_{state_, clock_, 20ms, at(4), stats_};
};

TEST_F(CheckpointWriterTest, TheNewestMarkIsSavedAndTheOnesBetweenAreDropped) {
  for (uint64_t position = 100; position <= 100'000; position += 100) {
    writer_.offer(at(position));
  }
  // The metrics are told after the save: once they name the last mark, it is on disk.
  EXPECT_TRUE(test::eventually([&] {
    const auto reported = stats_.checkpoint();
    return reported.has_value() && reported->at.offset == 100'000;
  })) << "the metrics were not told of the last save";
  EXPECT_EQ(onDisk(), at(100'000));
  EXPECT_LE(saves(), 10u) << "a save per offer: the marks in between were not dropped";
  EXPECT_TRUE(writer_.status().isOk());
  EXPECT_TRUE(writer_.finish(at(100'000)).isOk());
}

TEST_F(CheckpointWriterTest, FinishSavesTheFinalMarkAtOnceAndNothingWhenUnchanged) {
  EXPECT_TRUE(writer_.finish(at(4)).isOk());
  EXPECT_EQ(onDisk(), std::nullopt) << "the mark it started from was saved again";
  EXPECT_TRUE(writer_.finish(checkpoint::Checkpoint{}).isOk());
  EXPECT_EQ(onDisk(), std::nullopt) << "an empty mark was saved";
  EXPECT_TRUE(writer_.finish(at(900)).isOk());
  EXPECT_EQ(onDisk(), at(900));
  EXPECT_EQ(saves(), 1u);
}

TEST_F(CheckpointWriterTest, AMarkOfferedSoonAfterASaveWaitsForTheIntervalOnTheClock) {
  writer_.offer(at(100));
  ASSERT_TRUE(test::eventually([&] { return saves() == 1; }));
  const auto waited_before = clock_.waited();
  writer_.offer(at(200));
  ASSERT_TRUE(test::eventually([&] { return saves() == 2; }));
  EXPECT_EQ(onDisk(), at(200));
  // The fake clock did not move between the saves but for the writer's own wait.
  EXPECT_GE(clock_.waited() - waited_before, 20ms) << "saved before the interval had passed";
  EXPECT_TRUE(writer_.finish(at(200)).isOk());
}

TEST(CheckpointWriter, AFailedSaveIsStickyAndNamesTheCheckpoint) {
  checkpoint::StateFile state("/dev/null/position");  // a directory that cannot exist
  test::FakeClock clock;
  metrics::Stats stats;
  CheckpointWriter writer(state, clock, 20ms, at(4), stats);
  writer.offer(at(500));
  EXPECT_TRUE(test::eventually([&] { return !writer.status().isOk(); }));
  EXPECT_EQ(metrics::get(stats.checkpoints_saved), 0u);
  const Status failed = writer.status();
  EXPECT_EQ(failed.code(), StatusCode::Io) << failed.toString();
  EXPECT_NE(failed.message().find("cannot save the checkpoint"), std::string::npos)
      << failed.toString();
  EXPECT_EQ(writer.finish(at(600)).code(), StatusCode::Io) << "finish() forgot the earlier failure";
}

}  // namespace
}  // namespace mm::pipeline
