// The state file's record of the source server (server_uuid / server_id), and compatibility with
// files written before it existed.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "checkpoint/state_file.h"
#include "support/sql_client.h"

namespace mm::checkpoint {
namespace {

class StateFileSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / test::uniqueName("mm-state-source");
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string path() const { return (dir_ / "position").string(); }
  void write(const std::string& text) const { std::ofstream(path()) << text; }

  std::filesystem::path dir_;
};

TEST_F(StateFileSourceTest, MariadbServerIdRoundTrips) {
  StateFile state(path());
  state.setSource(SourceIdentity{"", 7});
  ASSERT_TRUE(state.save(Checkpoint{"mysql-bin.000003", 1234, 2}).isOk());
  auto loaded = StateFile(path()).loadWithSource();
  ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
  EXPECT_EQ(loaded->checkpoint, (Checkpoint{"mysql-bin.000003", 1234, 2}));
  EXPECT_EQ(loaded->source, (SourceIdentity{"", 7}));
}

TEST_F(StateFileSourceTest, MysqlServerUuidRoundTrips) {
  StateFile state(path());
  state.setSource(SourceIdentity{"3e11fa47-71ca-11e1-9e33-c80aa9429562", 0});
  ASSERT_TRUE(state.save(Checkpoint{"binlog.000001", 4, 0}).isOk());
  auto loaded = StateFile(path()).loadWithSource();
  ASSERT_TRUE(loaded.isOk());
  EXPECT_EQ(loaded->source.server_uuid, "3e11fa47-71ca-11e1-9e33-c80aa9429562");
  EXPECT_EQ(toString(loaded->source), "server_uuid 3e11fa47-71ca-11e1-9e33-c80aa9429562");
}

TEST_F(StateFileSourceTest, FileWithoutIdentityStillLoads) {
  write("version=1\nfile=mysql-bin.000042\nposition=1234\nrows_done=0\n");
  auto loaded = StateFile(path()).loadWithSource();
  ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
  EXPECT_EQ(loaded->checkpoint, (Checkpoint{"mysql-bin.000042", 1234, 0}));
  EXPECT_TRUE(loaded->source.empty());
}

TEST_F(StateFileSourceTest, SaveWithoutIdentityWritesNone) {
  ASSERT_TRUE(StateFile(path()).save(Checkpoint{"mysql-bin.000001", 4, 0}).isOk());
  std::ifstream in(path());
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find("server_"), std::string::npos) << text;
}

TEST_F(StateFileSourceTest, BadIdentityIsCorruptionNamingTheLine) {
  write("version=1\nfile=mysql-bin.000042\nposition=1234\nserver_id=0\n");
  auto loaded = StateFile(path()).loadWithSource();
  ASSERT_FALSE(loaded.isOk());
  EXPECT_EQ(loaded.status().code(), StatusCode::Corruption);
  EXPECT_NE(loaded.status().message().find("line 4: invalid server_id '0'"), std::string::npos)
      << loaded.status().message();
}

}  // namespace
}  // namespace mm::checkpoint
