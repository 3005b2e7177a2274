// readRegularFile: only regular files, bounded, never blocking on a FIFO; errors name the path
// and the reason.
#include "common/regular_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace mm {
namespace {

class RegularFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           fmt::format("mm-regular-file-{}-{}", getpid(),
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string write(const std::string& name, const std::string& content) const {
    std::ofstream(path(name), std::ios::binary) << content;
    return path(name);
  }
  std::filesystem::path dir_;
};

TEST_F(RegularFileTest, ReadsARegularFileAndItsMode) {
  const std::string file = write("f", "abc\n");
  ASSERT_EQ(::chmod(file.c_str(), 0640), 0);
  auto read = readRegularFile(file, 4);
  ASSERT_TRUE(read.isOk()) << read.status().toString();
  EXPECT_EQ(read->content, "abc\n");
  EXPECT_EQ(read->mode & 07777, 0640u);
}

TEST_F(RegularFileTest, MissingFileIsFlagged) {
  bool missing = false;
  auto read = readRegularFile(path("none"), 10, &missing);
  ASSERT_FALSE(read.isOk());
  EXPECT_TRUE(missing);
  EXPECT_EQ(read.status().message(), path("none") + ": No such file or directory");
}

TEST_F(RegularFileTest, APathUnderAFileIsAnErrorNotMissing) {
  const std::string file = write("f", "x");
  bool missing = true;
  auto read = readRegularFile(file + "/x", 10, &missing);
  ASSERT_FALSE(read.isOk());
  EXPECT_FALSE(missing);
  EXPECT_EQ(read.status().message(), file + "/x: Not a directory");
}

TEST_F(RegularFileTest, ASymlinkLoopIsAnErrorNamingTheReason) {
  std::filesystem::create_symlink(path("loop"), path("loop"));
  auto read = readRegularFile(path("loop") + "/position", 10);
  ASSERT_FALSE(read.isOk());
  EXPECT_EQ(read.status().message(), path("loop") + "/position: Too many levels of symbolic links");
}

TEST_F(RegularFileTest, AFifoIsRefusedWithoutBlocking) {
  ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0);
  auto read = readRegularFile(path("fifo"), 10);
  ASSERT_FALSE(read.isOk());
  EXPECT_EQ(read.status().message(), path("fifo") + ": a FIFO, not a regular file");
  EXPECT_FALSE(checkRegularFileReadable(path("fifo")).isOk());
}

TEST_F(RegularFileTest, DevicesAndDirectoriesAreRefused) {
  auto zero = readRegularFile("/dev/zero", 4096);
  ASSERT_FALSE(zero.isOk());
  EXPECT_EQ(zero.status().message(), "/dev/zero: a character device, not a regular file");
  auto directory = readRegularFile(dir_.string(), 4096);
  ASSERT_FALSE(directory.isOk());
  EXPECT_EQ(directory.status().message(), dir_.string() + ": a directory, not a regular file");
}

TEST_F(RegularFileTest, AFileLargerThanTheLimitIsRefused) {
  const std::string file = write("big", std::string(4097, 'x'));
  auto read = readRegularFile(file, 4096);
  ASSERT_FALSE(read.isOk());
  EXPECT_EQ(read.status().message(), file + ": larger than 4096 bytes");
  EXPECT_TRUE(readRegularFile(write("fits", std::string(4096, 'x')), 4096).isOk());
}

// /proc files are regular files that report a size of 0: read to their end all the same.
TEST_F(RegularFileTest, AFileLongerThanItsReportedSizeIsReadWhole) {
  auto read = readRegularFile("/proc/self/status", 1 << 16);
  ASSERT_TRUE(read.isOk()) << read.status().toString();
  EXPECT_EQ(read->content.rfind("Name:", 0), 0u) << read->content.substr(0, 40);
  EXPECT_NE(read->content.find("\nPid:"), std::string::npos);
  auto bounded = readRegularFile("/proc/self/status", 16);
  ASSERT_FALSE(bounded.isOk());
  EXPECT_EQ(bounded.status().message(), "/proc/self/status: larger than 16 bytes");
}

}  // namespace
}  // namespace mm
