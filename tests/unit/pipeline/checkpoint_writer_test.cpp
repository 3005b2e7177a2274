// CheckpointWriter (issue 16 item 10): the publisher hands marks over without waiting for the disk,
// the newest is saved, marks offered in between are dropped, the final save happens in finish(),
// and a failed save is sticky and named.
#include "pipeline/checkpoint_writer.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

namespace mm::pipeline {
namespace {

using namespace std::chrono_literals;

checkpoint::Checkpoint at(uint64_t position) { return checkpoint::Checkpoint{"mysql-bin.000001", position, 0}; }

// A directory of this test's own.
std::filesystem::path testDir() {
  return std::filesystem::temp_directory_path() /
         ("mm_checkpoint_writer_" + std::to_string(::getpid()) + "_" +
          ::testing::UnitTest::GetInstance()->current_test_info()->name());
}

class CheckpointWriterTest : public ::testing::Test {
 protected:
  void TearDown() override { std::filesystem::remove_all(testDir()); }

  std::optional<checkpoint::Checkpoint> onDisk() const {
    auto loaded = state_.load();
    return loaded.isOk() && !loaded->empty() ? std::optional(*loaded) : std::nullopt;
  }

  checkpoint::StateFile state_{(testDir() / "position").string()};
  SystemClock clock_;
  std::atomic<int> saves_{0};
  CheckpointWriter writer_{state_, clock_, 20ms, at(4), [this](const checkpoint::Checkpoint&) { ++saves_; }};
};

TEST_F(CheckpointWriterTest, TheNewestMarkIsSavedAndTheOnesBetweenAreDropped) {
  for (uint64_t position = 100; position <= 100'000; position += 100) {
    writer_.offer(at(position));
  }
  for (int i = 0; i < 1000 && onDisk() != at(100'000); ++i) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(onDisk(), at(100'000));
  EXPECT_LE(saves_.load(), 10) << "a save per offer: the marks in between were not dropped";
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
  EXPECT_EQ(saves_.load(), 1);
}

TEST(CheckpointWriter, AFailedSaveIsStickyAndNamesTheCheckpoint) {
  checkpoint::StateFile state("/dev/null/position");  // a directory that cannot exist
  SystemClock clock;
  CheckpointWriter writer(state, clock, 20ms, at(4), {});
  writer.offer(at(500));
  for (int i = 0; i < 1000 && writer.status().isOk(); ++i) {
    std::this_thread::sleep_for(1ms);
  }
  const Status failed = writer.status();
  EXPECT_EQ(failed.code(), StatusCode::Io) << failed.toString();
  EXPECT_NE(failed.message().find("cannot save the checkpoint"), std::string::npos) << failed.toString();
  EXPECT_EQ(writer.finish(at(600)).code(), StatusCode::Io) << "finish() forgot the earlier failure";
}

}  // namespace
}  // namespace mm::pipeline
