// The Python monitor's state file (checkpoint/origin_state.h), as its State.save() wrote it.
#include "checkpoint/origin_state.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "support/monitor_process.h"
#include "support/test_directory.h"

namespace mm::checkpoint {
namespace {

class OriginState : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::freshTestDirectory("mm-origin-state"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& text) {
    const std::string path = (dir_ / "state.json").string();
    EXPECT_TRUE(test::writeTextFile(path, text));
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(OriginState, ReadsTheFixturesFormat) {
  // ../shared/fixtures/origin/state.json: no trailing newline.
  auto state =
      loadOriginState(write(R"({"binlog_file": "binlog.000014", "binlog_position": 43569344})"));
  ASSERT_TRUE(state.isOk()) << state.status().toString();
  ASSERT_TRUE(state->has_value());
  EXPECT_EQ(**state, (binlog::Position{"binlog.000014", 43569344}));
}

TEST_F(OriginState, NoFileAnEmptyOneOrNullsMeanNoPosition) {
  auto none = loadOriginState((dir_ / "absent.json").string());
  ASSERT_TRUE(none.isOk());
  EXPECT_FALSE(none->has_value());
  for (const char* text : {"", "\n", R"({"binlog_file": null, "binlog_position": null})"}) {
    auto state = loadOriginState(write(text));
    ASSERT_TRUE(state.isOk()) << text;
    EXPECT_FALSE(state->has_value()) << text;
  }
}

TEST_F(OriginState, AnythingElseIsCorruptionNamingTheFile) {
  for (const char* text : {"{", "[]", R"({"binlog_file": "binlog.000014"})",
                           R"({"binlog_file": 5, "binlog_position": 43569344})",
                           R"({"binlog_file": "binlog.000014", "binlog_position": -1})",
                           R"({"binlog_file": "binlog.000014", "binlog_position": "4"})"}) {
    const std::string path = write(text);
    auto state = loadOriginState(path);
    ASSERT_FALSE(state.isOk()) << text;
    EXPECT_EQ(state.status().code(), StatusCode::Corruption) << text;
    EXPECT_NE(state.status().message().find(path), std::string::npos);
  }
}

}  // namespace
}  // namespace mm::checkpoint
