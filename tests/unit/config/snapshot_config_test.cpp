// The [snapshot] section (README "Operations: snapshot"): defaults, the file, the environment and
// --set, and errors naming the key and the allowed values.
#include <gtest/gtest.h>

#include "config/config.h"

namespace mm::config {
namespace {

TEST(SnapshotConfig, DefaultsKeepTodaysBehaviour) {
  auto config = parseConfig("", "empty.cfg");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->snapshot.mode, SnapshotMode::Never);
  EXPECT_EQ(config->snapshot.chunk_rows, 1024);
  EXPECT_EQ(config->snapshot.max_rows_per_second, 0);
  EXPECT_EQ(config->snapshot.keyless_max_rows, 100000);
}

TEST(SnapshotConfig, FileEnvironmentAndSet) {
  auto config = buildConfig(
      "[snapshot]\nmode = initial\nchunk_rows = 1000\nmax_rows_per_second = 5000\n", "s.cfg",
      {{"MYSQL_MONITOR_SNAPSHOT_CHUNK_ROWS", "2000"}}, {"snapshot.keyless_max_rows=7"});
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->snapshot.mode, SnapshotMode::Initial);
  EXPECT_EQ(config->snapshot.chunk_rows, 2000);
  EXPECT_EQ(config->snapshot.max_rows_per_second, 5000);
  EXPECT_EQ(config->snapshot.keyless_max_rows, 7);
}

TEST(SnapshotConfig, BadValuesNameTheKeyAndTheRange) {
  auto bad_mode = parseConfig("[snapshot]\nmode = always\n", "s.cfg");
  ASSERT_FALSE(bad_mode.isOk());
  EXPECT_NE(bad_mode.status().message().find("s.cfg:2"), std::string::npos);
  EXPECT_NE(bad_mode.status().message().find("never"), std::string::npos)
      << bad_mode.status().message();
  EXPECT_NE(bad_mode.status().message().find("initial"), std::string::npos);
  for (const char* text : {"[snapshot]\nchunk_rows = 0\n", "[snapshot]\nchunk_rows = 1000001\n",
                           "[snapshot]\nmax_rows_per_second = -1\n"}) {
    auto config = parseConfig(text, "s.cfg");
    ASSERT_FALSE(config.isOk()) << text;
    EXPECT_NE(config.status().message().find("[snapshot]"), std::string::npos)
        << config.status().message();
  }
  auto edges = parseConfig("[snapshot]\nchunk_rows = 1000000\n", "s.cfg");
  ASSERT_TRUE(edges.isOk()) << edges.status().toString();
  EXPECT_EQ(edges->snapshot.chunk_rows, 1000000);
}

}  // namespace
}  // namespace mm::config
