// The state file: round trip, atomic replacement, and damaged files named as errors (never a silent
// restart from the beginning).
#include "checkpoint/state_file.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace mm::checkpoint {
namespace {

class StateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mm-state-test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string path() const { return (dir_ / "nested" / "position").string(); }
  void write(const std::string& text) {
    std::filesystem::create_directories(dir_ / "nested");
    std::ofstream(path()) << text;
  }

  std::filesystem::path dir_;
};

TEST_F(StateFileTest, MissingFileMeansNoCheckpoint) {
  auto loaded = StateFile(path()).load();
  ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
  EXPECT_TRUE(loaded->empty());
}

TEST_F(StateFileTest, SaveThenLoadRoundTripsAndLeavesNoTemporaryFile) {
  StateFile state(path());
  const Checkpoint saved{"mysql-bin.000042", 91234, 3};
  ASSERT_TRUE(state.save(saved).isOk());
  auto loaded = state.load();
  ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
  EXPECT_EQ(loaded->file, saved.file);
  EXPECT_EQ(loaded->position, saved.position);
  EXPECT_EQ(loaded->rows_done, saved.rows_done);
  for (const auto& entry : std::filesystem::directory_iterator(dir_ / "nested")) {
    EXPECT_EQ(entry.path().filename(), "position") << "left behind: " << entry.path();
  }
}

TEST_F(StateFileTest, GtidSetRoundTripsInBothDialects) {
  StateFile state(path());
  for (const std::string gtids : {"0-1-100,1-2-5", "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7"}) {
    ASSERT_TRUE(state.save(Checkpoint{"mysql-bin.000042", 120, 0, gtids}).isOk());
    auto loaded = state.load();
    ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
    EXPECT_EQ(loaded->gtid_set, gtids);
  }
}

TEST_F(StateFileTest, MalformedGtidSetIsCorruptionNamingTheLine) {
  write("version=1\nfile=mysql-bin.000001\nposition=4\ngtid_set=0-1\n");
  auto loaded = StateFile(path()).load();
  ASSERT_FALSE(loaded.isOk());
  EXPECT_EQ(loaded.status().code(), StatusCode::Corruption);
  EXPECT_NE(loaded.status().message().find("line 4"), std::string::npos) << loaded.status().toString();
  EXPECT_NE(loaded.status().message().find("0-1"), std::string::npos);
}

TEST_F(StateFileTest, SaveReplacesThePreviousState) {
  StateFile state(path());
  ASSERT_TRUE(state.save(Checkpoint{"mysql-bin.000001", 100, 0}).isOk());
  ASSERT_TRUE(state.save(Checkpoint{"mysql-bin.000002", 4, 1}).isOk());
  auto loaded = state.load();
  ASSERT_TRUE(loaded.isOk());
  EXPECT_EQ(loaded->file, "mysql-bin.000002");
  EXPECT_EQ(loaded->position, 4u);
  EXPECT_EQ(loaded->rows_done, 1u);
}

void expectCorrupt(StateFile& state, std::string_view needle) {
  auto loaded = state.load();
  ASSERT_FALSE(loaded.isOk());
  EXPECT_EQ(loaded.status().code(), StatusCode::Corruption);
  EXPECT_NE(loaded.status().message().find(state.path()), std::string::npos) << loaded.status().message();
  EXPECT_NE(loaded.status().message().find(needle), std::string::npos) << loaded.status().message();
}

TEST_F(StateFileTest, DamagedFilesAreErrorsNamingFileAndLine) {
  StateFile state(path());
  write("version=1\nfile=mysql-bin.000001\nposition=12x\n");
  expectCorrupt(state, "line 3: invalid position '12x'");
  write("version=1\nfile=mysql-bin.000001\nposition=100\nbogus=1\n");
  expectCorrupt(state, "line 4: unknown key 'bogus'");
  write("version=1\nfile=mysql-bin.000001\n");
  expectCorrupt(state, "incomplete");
  write("garbage\n");
  expectCorrupt(state, "line 1: expected key=value");
  write("version=9\nfile=a\nposition=4\n");
  expectCorrupt(state, "unsupported version");
  write("version=1\nfile=../etc/passwd\nposition=4\n");
  expectCorrupt(state, "invalid binlog file name");
  write("version=1\nfile=mysql-bin.000001\nposition=3\n");
  expectCorrupt(state, "invalid position '3'");
}

TEST_F(StateFileTest, UnwritableDirectoryIsAnIoError) {
  write("");
  StateFile state((dir_ / "nested" / "position" / "below-a-file").string());
  Status status = state.save(Checkpoint{"mysql-bin.000001", 4, 0});
  ASSERT_FALSE(status.isOk());
  EXPECT_EQ(status.code(), StatusCode::Io);
}

}  // namespace
}  // namespace mm::checkpoint
