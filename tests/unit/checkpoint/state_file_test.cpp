// The state file: round trip, atomic replacement, and damaged files named as errors (never a silent
// restart from the beginning).
#include "checkpoint/state_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include <gtest/gtest.h>

#include "support/test_directory.h"

namespace mm::checkpoint {
namespace {

class StateFileTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::freshTestDirectory("mm-state-test"); }
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
  EXPECT_EQ(loaded->offset, saved.offset);
  EXPECT_EQ(loaded->rows_done, saved.rows_done);
  for (const auto& entry : std::filesystem::directory_iterator(dir_ / "nested")) {
    EXPECT_EQ(entry.path().filename(), "position") << "left behind: " << entry.path();
  }
}

// Issue 17: the file is written through common/line_format.h; its bytes did not change.
TEST_F(StateFileTest, TheFileHoldsTheSameBytesAsBefore) {
  auto saved = [&](StateFile& state, const Checkpoint& checkpoint) {
    EXPECT_TRUE(state.save(checkpoint).isOk());
    std::ifstream in(path(), std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  const std::string head =
      "# mysql-monitor checkpoint: every change before this point is confirmed\nversion=1\n";
  StateFile state(path());
  EXPECT_EQ(saved(state, Checkpoint{"mysql-bin.000042", 91234, 3}),
            head + "file=mysql-bin.000042\nposition=91234\nrows_done=3\n");
  state.setSource(SourceIdentity{"", 7});
  EXPECT_EQ(saved(state, Checkpoint{"", 0, 0, "0-1-100"}),
            head + "gtid_set=0-1-100\nserver_id=7\nrows_done=0\n");
  state.setSource(SourceIdentity{"3e11fa47-71ca-11e1-9e33-c80aa9429562", 7});
  EXPECT_EQ(saved(state, Checkpoint{"b.1", 4, 18446744073709551615u, "0-1-1"}),
            head + "file=b.1\nposition=4\ngtid_set=0-1-1\nserver_uuid=3e11fa47-71ca-11e1-9e33-"
                   "c80aa9429562\nrows_done=18446744073709551615\n");
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
  EXPECT_NE(loaded.status().message().find("line 4"), std::string::npos)
      << loaded.status().toString();
  EXPECT_NE(loaded.status().message().find("0-1"), std::string::npos);
}

TEST_F(StateFileTest, SaveReplacesThePreviousState) {
  StateFile state(path());
  ASSERT_TRUE(state.save(Checkpoint{"mysql-bin.000001", 100, 0}).isOk());
  ASSERT_TRUE(state.save(Checkpoint{"mysql-bin.000002", 4, 1}).isOk());
  auto loaded = state.load();
  ASSERT_TRUE(loaded.isOk());
  EXPECT_EQ(loaded->file, "mysql-bin.000002");
  EXPECT_EQ(loaded->offset, 4u);
  EXPECT_EQ(loaded->rows_done, 1u);
}

void expectCorrupt(StateFile& state, std::string_view needle) {
  auto loaded = state.load();
  ASSERT_FALSE(loaded.isOk());
  EXPECT_EQ(loaded.status().code(), StatusCode::Corruption);
  EXPECT_NE(loaded.status().message().find(state.path()), std::string::npos)
      << loaded.status().message();
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

// Issue 16, item 8: a state file cut off mid-number was accepted (position=912 of 91234).
TEST_F(StateFileTest, EveryPrefixOfASavedFileIsRefused) {
  StateFile state(path());
  state.setSource(SourceIdentity{"3e11fa47-71ca-11e1-9e33-c80aa9429562", 0});
  ASSERT_TRUE(state.save(Checkpoint{"mysql-bin.000042", 91234, 17, "0-1-100"}).isOk());
  std::ifstream in(path(), std::ios::binary);
  const std::string whole((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_TRUE(state.load().isOk());
  for (size_t length = 0; length < whole.size(); ++length) {
    write(whole.substr(0, length));
    auto loaded = state.loadWithSource();
    ASSERT_FALSE(loaded.isOk()) << "accepted the first " << length << " bytes:\n"
                                << whole.substr(0, length);
    EXPECT_EQ(loaded.status().code(), StatusCode::Corruption);
    EXPECT_NE(loaded.status().message().find("fix or delete the file"), std::string::npos);
  }
}

TEST_F(StateFileTest, CutOffAndRepeatedLinesNameTheLine) {
  StateFile state(path());
  write("version=1\nfile=mysql-bin.000001\nposition=912");
  expectCorrupt(state, "line 3: cut off: the last line has no newline");
  write("version=1\nfile=mysql-bin.000001\nposition=91234\n");
  expectCorrupt(state, "line 4: incomplete: version, rows_done, and file and position");
  write("version=1\nfile=mysql-bin.000001\nposition=91234\nposition=4\nrows_done=0\n");
  expectCorrupt(state, "line 4: 'position' appears twice");
  write("version=1\nfile=mysql-bin.000001\nposition=4\nrows_done=99999999999999999999\n");
  expectCorrupt(state, "line 4: invalid rows_done '99999999999999999999'");
}

// Files written before rows_done moved to the end still load.
TEST_F(StateFileTest, AnOlderFileWithRowsDoneInTheMiddleLoads) {
  write("# mysql-monitor checkpoint\nversion=1\nfile=mysql-bin.000001\nposition=120\nrows_done=2\n"
        "gtid_set=0-1-5\nserver_id=7\n");
  auto loaded = StateFile(path()).loadWithSource();
  ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
  EXPECT_EQ(loaded->checkpoint, (Checkpoint{"mysql-bin.000001", 120, 2, "0-1-5"}));
  EXPECT_EQ(loaded->source.server_id, 7u);
}

// Issue 16, item 7: a state_path the process cannot enter aborted with an uncaught
// std::filesystem::filesystem_error (exit 134). Root enters any directory, so the cases here are
// ones root meets too: a symlink loop (ELOOP; std::filesystem::exists throws on it) and a path
// below a regular file (ENOTDIR).
TEST_F(StateFileTest, AnUnreadablePathIsAnIoErrorNamingPathAndReason) {
  std::filesystem::create_directories(dir_);
  std::filesystem::create_symlink(dir_ / "loop", dir_ / "loop");
  const std::string looped = (dir_ / "loop" / "position").string();
  auto loop = StateFile(looped).load();
  ASSERT_FALSE(loop.isOk());
  EXPECT_EQ(loop.status().code(), StatusCode::Io);
  EXPECT_EQ(loop.status().message(),
            "cannot read state file " + looped +
                ": Too many levels of symbolic links; check [monitor] state_path and "
                "its permissions");
  write("");
  const std::string below_file = path() + "/position";
  auto not_directory = StateFile(below_file).load();
  ASSERT_FALSE(not_directory.isOk());
  EXPECT_NE(not_directory.status().message().find(below_file + ": Not a directory"),
            std::string::npos)
      << not_directory.status().message();
  std::filesystem::create_directories(dir_ / "fifo-dir");
  ASSERT_EQ(::mkfifo((dir_ / "fifo-dir" / "position").c_str(), 0600), 0);
  auto fifo = StateFile((dir_ / "fifo-dir" / "position").string()).load();
  ASSERT_FALSE(fifo.isOk());
  EXPECT_NE(fifo.status().message().find("a FIFO, not a regular file"), std::string::npos);
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

namespace mm::checkpoint {
namespace {

// Issue 18: the snapshot's progress is saved with the checkpoint, names of any characters
// included, and a restart loads it back; a damaged one is refused naming the line.
TEST_F(StateFileTest, SnapshotProgressRoundTripsWithOddTableNames) {
  auto progress = std::make_shared<SnapshotProgress>();
  progress->id = "20261205T011500Z-3f9a";
  progress->tables = {{"shop", "orders"}, {"we.ird,db", "t=1 %é"}};
  progress->after_key = "x2A,x61";
  progress->rows_done = 4096;
  progress->table_started = true;
  progress->refresh_keys = {R"({"id":-5})", R"({"name":"a,b%c"})"};
  progress->boundary = "0=3135";
  Checkpoint saved{"mysql-bin.000001", 100, 0};
  saved.snapshot = progress;
  StateFile state(path());
  ASSERT_TRUE(state.save(saved).isOk());
  auto loaded = state.load();
  ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
  ASSERT_NE(loaded->snapshot, nullptr);
  EXPECT_EQ(*loaded->snapshot, *progress);
  EXPECT_EQ(*loaded, saved);
  // A finished snapshot (no tables left) is not written: nothing to continue.
  saved.snapshot = std::make_shared<SnapshotProgress>(SnapshotProgress{"S", {}, "", 0, false});
  ASSERT_TRUE(state.save(saved).isOk());
  loaded = state.load();
  ASSERT_TRUE(loaded.isOk());
  EXPECT_EQ(loaded->snapshot, nullptr);
}

TEST_F(StateFileTest, DamagedSnapshotProgressIsCorruptionNamingTheLine) {
  write("version=1\nfile=mysql-bin.000001\nposition=4\nsnapshot_id=S\nsnapshot_tables=shop\n"
        "rows_done=0\n");
  auto loaded = StateFile(path()).load();
  ASSERT_FALSE(loaded.isOk());
  EXPECT_EQ(loaded.status().code(), StatusCode::Corruption);
  EXPECT_NE(loaded.status().message().find("line 5"), std::string::npos)
      << loaded.status().toString();
  write("version=1\nfile=mysql-bin.000001\nposition=4\nsnapshot_rows_done=3\nrows_done=0\n");
  loaded = StateFile(path()).load();
  ASSERT_FALSE(loaded.isOk());
  EXPECT_NE(loaded.status().message().find("snapshot_id and snapshot_tables"), std::string::npos)
      << loaded.status().toString();
}

}  // namespace
}  // namespace mm::checkpoint

namespace mm::checkpoint {
namespace {

// A state file cut off inside the snapshot part (no rows_done line, which stays last) is refused,
// never read as "no snapshot"; a file without the part loads with none.
TEST_F(StateFileTest, CutOffSnapshotProgressIsRefusedAndAbsentIsNull) {
  auto progress = std::make_shared<SnapshotProgress>(
      SnapshotProgress{"S-1", {{"shop", "a.b"}}, "x01", 12, true});
  Checkpoint saved{"mysql-bin.000001", 100, 0};
  saved.snapshot = progress;
  StateFile state(path());
  ASSERT_TRUE(state.save(saved).isOk());
  std::ifstream in(path());
  std::stringstream text;
  text << in.rdbuf();
  const std::string full = text.str();
  ASSERT_EQ(full.rfind("rows_done="), full.rfind('\n', full.size() - 2) + 1) << full;
  const size_t cut = full.find("snapshot_rows_done=");
  ASSERT_NE(cut, std::string::npos) << full;
  write(full.substr(0, cut + 5));
  EXPECT_FALSE(state.load().isOk());
  write(full.substr(0, cut));
  EXPECT_FALSE(state.load().isOk()) << "no rows_done line: cut off";
  write("version=1\nfile=mysql-bin.000001\nposition=4\nrows_done=0\n");
  auto plain = state.load();
  ASSERT_TRUE(plain.isOk()) << plain.status().toString();
  EXPECT_EQ(plain->snapshot, nullptr);
}

}  // namespace
}  // namespace mm::checkpoint
