// One monitor per state directory (issue 16): a second holder is refused with the first one's PID
// and the lock file, and the lock is free again once its holder is gone.
#include "checkpoint/state_lock.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "support/test_directory.h"

namespace mm::checkpoint {
namespace {

class StateLockTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::freshTestDirectory("mm-state-lock-test"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
};

TEST_F(StateLockTest, SecondHolderIsRefusedNamingThePidAndTheLockFile) {
  const std::string state = (dir_ / "state").string();  // created by acquire()
  auto first = StateLock::acquire(state);
  ASSERT_TRUE(first.isOk()) << first.status().toString();
  EXPECT_EQ(first->path(), (dir_ / "state" / "lock").string());
  // flock() locks belong to an open file description, so a second acquire() in this process
  // conflicts exactly as another process would.
  auto second = StateLock::acquire(state);
  ASSERT_FALSE(second.isOk());
  EXPECT_EQ(second.status().code(), StatusCode::InvalidArgument);
  const std::string& message = second.status().message();
  EXPECT_NE(message.find("pid " + std::to_string(getpid())), std::string::npos) << message;
  EXPECT_NE(message.find(first->path()), std::string::npos) << message;
  EXPECT_NE(message.find("[monitor] state_path"), std::string::npos) << message;
}

TEST_F(StateLockTest, ReleasedWhenTheHolderIsGone) {
  const std::string state = dir_.string();
  {
    auto first = StateLock::acquire(state);
    ASSERT_TRUE(first.isOk()) << first.status().toString();
    StateLock moved = std::move(*first);  // the lock follows the object
    EXPECT_FALSE(StateLock::acquire(state).isOk());
  }
  auto again = StateLock::acquire(state);
  EXPECT_TRUE(again.isOk()) << again.status().toString();
}

TEST_F(StateLockTest, UnusableDirectoryIsAnErrorNamingIt) {
  std::filesystem::create_directories(dir_);
  const std::string file = (dir_ / "plain-file").string();
  std::ofstream(file) << "not a directory";
  auto lock = StateLock::acquire(file + "/state");
  ASSERT_FALSE(lock.isOk());
  EXPECT_EQ(lock.status().code(), StatusCode::Io);
  EXPECT_NE(lock.status().message().find(file), std::string::npos) << lock.status().message();
}

}  // namespace
}  // namespace mm::checkpoint
