// Atomic replacement of a small file: writers never share a temporary file (issue 16: two monitors
// on one state_path shared position.tmp and one died with a misleading rename error).
#include "common/atomic_file.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "support/test_directory.h"

namespace mm {
namespace {

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::freshTestDirectory("mm-atomic-file-test"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static std::string read(const std::filesystem::path& path) {
    std::ostringstream text;
    text << std::ifstream(path).rdbuf();
    return text.str();
  }

  std::filesystem::path dir_;
};

TEST_F(AtomicFileTest, ConcurrentWritersOfOnePathAllSucceedAndLeaveNoTemporaryFile) {
  const std::string path = (dir_ / "position").string();
  constexpr int kWrites = 40;
  Status failures[2];
  auto writer = [&](int id) {
    for (int i = 0; i < kWrites && failures[id].isOk(); ++i) {
      failures[id] = writeFileAtomically(path, "writer " + std::to_string(id) + "\n");
    }
  };
  {
    std::jthread a(writer, 0);
    std::jthread b(writer, 1);
  }
  EXPECT_TRUE(failures[0].isOk()) << failures[0].toString();
  EXPECT_TRUE(failures[1].isOk()) << failures[1].toString();
  const std::string content = read(path);
  EXPECT_TRUE(content == "writer 0\n" || content == "writer 1\n") << content;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    EXPECT_EQ(entry.path().filename(), "position") << "left behind: " << entry.path();
  }
}

TEST_F(AtomicFileTest, AnotherWritersTemporaryFileIsLeftAlone) {
  std::filesystem::create_directories(dir_);
  const std::string path = (dir_ / "position").string();
  std::ofstream(path + ".tmp") << "someone else's";
  ASSERT_TRUE(writeFileAtomically(path, "mine\n").isOk());
  EXPECT_EQ(read(path), "mine\n");
  EXPECT_EQ(read(path + ".tmp"), "someone else's");
}

}  // namespace
}  // namespace mm
