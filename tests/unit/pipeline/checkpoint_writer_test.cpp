// CheckpointWriter (issue 16 item 10): the publisher hands marks over without waiting for the disk,
// the newest is saved, marks offered in between are dropped, the final save happens in finish(),
// and a failed save is sticky and named. Each save is counted in the Stats given; the waits between
// saves are on the Clock (a fake one here, so nothing sleeps).
#include "pipeline/checkpoint_writer.h"

#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>

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

namespace mm::pipeline {
namespace {

// A state store whose saves wait until release(): a state server that stopped answering.
class StalledStore final : public checkpoint::StateStore {
 public:
  Result<checkpoint::SavedState> loadWithSource() override { return checkpoint::SavedState{}; }
  void setSource(checkpoint::SourceIdentity) override {}
  Status save(const checkpoint::Checkpoint&) override {
    std::unique_lock lock(mutex_);
    ++saves_started_;
    released_cv_.wait(lock, [&] { return released_; });
    return Status::ok();
  }
  std::string describe() const override { return "a stalled store"; }
  DocumentStore& documents() override { return documents_; }

  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    released_cv_.notify_all();
  }
  int savesStarted() {
    std::lock_guard lock(mutex_);
    return saves_started_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable released_cv_;
  bool released_ = false;
  int saves_started_ = 0;
  DirectoryDocuments documents_{"/nonexistent"};
};

// Issue 19: a leader whose state server stopped answering stops publishing once a confirm window
// went out past the last saved mark (pipeline/publisher_stage.h
// PublisherOptions::lease_valid_until).
TEST(CheckpointWriterBehind, OnlyAnOfferWaitingPastTheAllowanceWithTheLimitPassedIsBehind) {
  StalledStore store;
  test::FakeClock clock;
  metrics::Stats stats;
  {
    CheckpointWriter writer(store, clock, 20ms, checkpoint::Checkpoint{}, stats);
    EXPECT_FALSE(writer.behind(200ms, 1000, 100)) << "nothing offered: nothing waits";
    writer.offer(at(100), 50);
    ASSERT_TRUE(test::eventually([&] { return store.savesStarted() == 1; }));
    EXPECT_FALSE(writer.behind(200ms, 1000, 100)) << "the offer is not older than the allowance";
    clock.advance(300ms);
    EXPECT_TRUE(writer.behind(200ms, 1000, 100)) << "1000 sent, none past a saved mark";
    EXPECT_FALSE(writer.behind(200ms, 100, 100)) << "within the limit";
    store.release();
    // Saved: the mark offered at 50 items is the last saved, and nothing else waits.
    ASSERT_TRUE(test::eventually([&] { return metrics::get(stats.checkpoints_saved) == 1; }));
    EXPECT_FALSE(writer.behind(200ms, 1000, 100));
    writer.offer(at(200), 900);
    clock.advance(300ms);
    ASSERT_TRUE(test::eventually([&] { return metrics::get(stats.checkpoints_saved) == 2; }));
    EXPECT_FALSE(writer.behind(200ms, 1000, 100)) << "saved at once: nothing waits";
    EXPECT_TRUE(writer.finish(at(200)).isOk());
  }
}

}  // namespace
}  // namespace mm::pipeline
