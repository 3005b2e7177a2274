// SchemaHistory: capture, follow DDL, persist, and resume at a checkpoint with the schema as it
// was.
#include "schema/schema_history.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "common/document_store.h"

#include "support/fake_table_schema_source.h"
#include "support/test_directory.h"

namespace mm::schema {
namespace {

using binlog::Position;
using binlog::TableName;
using test::schemaColumn;

const TableName kT{"db", "t"};

std::string names(const binlog::TableSchema& schema) {
  std::string out;
  for (const auto& c : schema.columns) {
    out += (out.empty() ? "" : ",") + c.name + (c.is_primary_key ? "*" : "");
  }
  return out;
}

class SchemaHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::freshTestDirectory("mm-schema-history");
    documents_ = std::make_unique<DirectoryDocuments>(dir_.string());
    binlog::TableSchema t;
    t.columns = {schemaColumn("id", "int", false), schemaColumn("a", "varchar")};
    t.unique_keys = {{"PRIMARY", {"id"}}};
    catalog_.set(kT, t);
    binlog::TableSchema other;
    other.columns = {schemaColumn("x", "int")};
    catalog_.set({"unwatched", "o"}, other);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  SchemaHistory history() {
    return SchemaHistory({"schema_history", {"db"}}, *documents_, catalog_);
  }
  std::string path() const { return (dir_ / "schema_history").string(); }
  std::string file() const {
    std::ifstream in(path());
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  std::string at(SchemaHistory& h, const TableName& name = kT) {
    auto schema = h.table(name, Position{"bin.000009", 1});
    return schema.isOk() ? names(*schema) : schema.status().toString();
  }

  std::filesystem::path dir_;
  std::unique_ptr<DirectoryDocuments> documents_;
  test::FakeTableSchemaSource catalog_;
};

TEST_F(SchemaHistoryTest, CaptureTakesTheWatchedDatabasesAndWritesThemAtOnce) {
  SchemaHistory h = history();
  ASSERT_TRUE(h.capture({"bin.000001", 100}).isOk());
  EXPECT_EQ(h.model().tables().size(), 1u);
  EXPECT_EQ(at(h), "id*,a");
  EXPECT_NE(
      file().find(
          "table\tbin."
          "000001\t100\tdb\tt\t\ncolumn\tid\tint\t\t\ncolumn\ta\tvarchar\tn\t\nkey\tPRIMARY\tid\n"),
      std::string::npos)
      << file();
}

// Issue 17: the file is written through common/line_format.h; its bytes did not change.
TEST_F(SchemaHistoryTest, TheFileHoldsTheSameBytesAsBefore) {
  binlog::TableSchema odd;
  odd.columns = {schemaColumn("tab\there", "enum"), schemaColumn("n", "int", false)};
  odd.columns[0].members = {"a\tb", "", "c\\"};
  odd.columns[1].is_unsigned = true;
  odd.unique_keys = {{"PRIMARY", {"n"}}};
  catalog_.set({"db", "odd"}, odd);
  SchemaHistory h = history();
  ASSERT_TRUE(h.capture({"bin.000001", 100}).isOk());
  ASSERT_TRUE(h.applyDdl("DROP TABLE t", "db", {"bin.000001", 200}).isOk());
  ASSERT_TRUE(h.applyDdl("ALTER TABLE odd\nADD SYSTEM VERSIONING", "db", {"bin.000002", 4}).isOk());
  catalog_.drop({"db", "odd"});
  ASSERT_TRUE(h.applyDdl("ALTER TABLE odd ADD SYSTEM VERSIONING", "db", {"bin.000002", 9}).isOk());
  const std::string odd_table =
      "\tdb\todd\t\ncolumn\ttab\\there\tenum\tn\t\ta\\tb\t\tc\\\\\ncolumn\tn\tint\tu\t\n"
      "key\tPRIMARY\tn\n";
  EXPECT_EQ(file(),
            "# mysql-monitor schema history: the schema at a binlog point, then every change after "
            "it\nversion\t1\n"
            "table\tbin.000001\t100" +
                odd_table +
                "table\tbin.000001\t100\tdb\tt\t\ncolumn\tid\tint\t\t\ncolumn\ta\tvarchar\tn\t\n"
                "key\tPRIMARY\tid\n"
                "ddl\tbin.000001\t200\tdb\tDROP TABLE t\n"
                "ddl\tbin.000002\t4\tdb\tALTER TABLE odd\\nADD SYSTEM VERSIONING\n"
                "table\tbin.000002\t4" +
                odd_table +
                "ddl\tbin.000002\t9\tdb\tALTER TABLE odd ADD SYSTEM VERSIONING\n"
                "forget\tbin.000002\t9\tdb\todd\n");
}

TEST_F(SchemaHistoryTest, ResumeReplaysUpToTheCheckpointOnly) {
  {
    SchemaHistory h = history();
    ASSERT_TRUE(h.capture({"bin.000001", 100}).isOk());
    ASSERT_TRUE(h.applyDdl("ALTER TABLE t ADD b INT", "db", {"bin.000001", 200}).isOk());
    ASSERT_TRUE(h.applyDdl("ALTER TABLE t DROP a", "db", {"bin.000002", 300}).isOk());
    ASSERT_TRUE(h.applyDdl("ALTER TABLE unwatched.o ADD y INT", "db", {"bin.000002", 400}).isOk());
    EXPECT_EQ(at(h), "id*,b");
  }
  EXPECT_EQ(file().find("unwatched"), std::string::npos)
      << "statements on other databases are not kept";
  catalog_.drop(kT);  // resuming must not need the server
  const int lookups = catalog_.lookups;
  const std::string written = file();
  struct Case {
    Position checkpoint;
    std::string expected;
  };
  for (const Case& c : {Case{{"bin.000001", 100}, "id*,a"}, Case{{"bin.000001", 200}, "id*,a"},
                        Case{{"bin.000001", 201}, "id*,a,b"}, Case{{"bin.000002", 4}, "id*,a,b"},
                        Case{{"bin.000002", 301}, "id*,b"}}) {
    std::ofstream(path()) << written;  // each resume rewrites the file as of its checkpoint
    SchemaHistory h = history();
    ASSERT_TRUE(h.resume(c.checkpoint).isOk());
    EXPECT_EQ(at(h), c.expected) << c.checkpoint.file << ":" << c.checkpoint.offset;
  }
  EXPECT_EQ(catalog_.lookups, lookups);
  // Resuming compacts the file into one snapshot at the checkpoint; later statements are dropped
  // (the stream replays them).
  EXPECT_EQ(file().find("ddl"), std::string::npos) << file();
  SchemaHistory h = history();
  ASSERT_TRUE(h.resume({"bin.000002", 301}).isOk());
  EXPECT_EQ(at(h), "id*,b");
}

TEST_F(SchemaHistoryTest, ResumeAfterAnEarlierCheckpointDropsWhatFollows) {
  {
    SchemaHistory h = history();
    ASSERT_TRUE(h.capture({"bin.000001", 100}).isOk());
    ASSERT_TRUE(h.applyDdl("ALTER TABLE t ADD b INT", "db", {"bin.000001", 200}).isOk());
  }
  {
    SchemaHistory h = history();
    ASSERT_TRUE(h.resume({"bin.000001", 150}).isOk());
    EXPECT_EQ(at(h), "id*,a");
    // The stream replays the ALTER, and a different later one.
    ASSERT_TRUE(h.applyDdl("ALTER TABLE t ADD b INT", "db", {"bin.000001", 200}).isOk());
    ASSERT_TRUE(h.applyDdl("ALTER TABLE t ADD c INT FIRST", "db", {"bin.000001", 300}).isOk());
  }
  SchemaHistory h = history();
  ASSERT_TRUE(h.resume({"bin.000001", 400}).isOk());
  EXPECT_EQ(at(h), "c,id*,a,b");
}

TEST_F(SchemaHistoryTest, UnparsableDdlReReadsTheTableAndRecordsTheResult) {
  SchemaHistory h = history();
  ASSERT_TRUE(h.capture({"bin.000001", 100}).isOk());
  binlog::TableSchema versioned;
  versioned.columns = {schemaColumn("id", "int", false), schemaColumn("a", "varchar"),
                       schemaColumn("row_start", "timestamp", false),
                       schemaColumn("row_end", "timestamp", false)};
  versioned.unique_keys = {{"PRIMARY", {"id", "row_end"}}};
  catalog_.set(kT, versioned);
  const int lookups = catalog_.lookups;
  ASSERT_TRUE(h.applyDdl("ALTER TABLE t ADD SYSTEM VERSIONING", "db", {"bin.000001", 200}).isOk());
  EXPECT_EQ(catalog_.lookups, lookups + 1);
  EXPECT_EQ(at(h), "id*,a,row_start,row_end*");
  // A conflicting ALTER (a column the history lacks) is repaired the same way.
  ASSERT_TRUE(
      h.applyDdl("ALTER TABLE t DROP COLUMN never_there", "db", {"bin.000001", 300}).isOk());
  EXPECT_EQ(catalog_.lookups, lookups + 2);
  catalog_.drop(kT);
  SchemaHistory resumed = history();
  ASSERT_TRUE(resumed.resume({"bin.000001", 250}).isOk());
  EXPECT_EQ(at(resumed), "id*,a,row_start,row_end*") << "the re-read result was recorded";
}

TEST_F(SchemaHistoryTest, UnknownTablesAreReadWhenFirstNeeded) {
  SchemaHistory h = history();
  ASSERT_TRUE(h.capture({"bin.000001", 100}).isOk());
  ASSERT_TRUE(h.applyDdl("RENAME TABLE unwatched.o TO db.o", "db", {"bin.000001", 200}).isOk());
  EXPECT_EQ(h.model().find({"db", "o"}), nullptr);
  binlog::TableSchema o;
  o.columns = {schemaColumn("x", "int"), schemaColumn("z", "int")};
  catalog_.set({"db", "o"}, o);
  EXPECT_EQ(at(h, {"db", "o"}), "x,z");
  EXPECT_NE(file().find("table\tbin.000009\t1\tdb\to"), std::string::npos) << file();
  EXPECT_NE(at(h, {"db", "gone"}).find("not in the fake information_schema"), std::string::npos);
}

TEST_F(SchemaHistoryTest, TablesCreatedWithoutACharsetTakeTheDatabasesFromTheCatalog) {
  catalog_.database_charsets["db"] = binlog::Charset::Latin1;
  {
    SchemaHistory h = history();
    ASSERT_TRUE(h.capture({"bin.000001", 100}).isOk());
    ASSERT_TRUE(h.applyDdl("CREATE TABLE n (a VARCHAR(3))", "db", {"bin.000001", 200}).isOk());
    ASSERT_TRUE(
        h.applyDdl("CREATE TABLE m (a VARCHAR(3)) CHARSET utf8mb4", "db", {"bin.000001", 300})
            .isOk());
    EXPECT_EQ(h.model().find({"db", "n"})->columns[0].charset, binlog::Charset::Latin1);
    EXPECT_EQ(h.model().find({"db", "m"})->columns[0].charset, binlog::Charset::Utf8mb4);
  }
  catalog_.database_charsets.clear();
  SchemaHistory h = history();
  ASSERT_TRUE(h.resume({"bin.000001", 400}).isOk());
  EXPECT_EQ(h.model().find({"db", "n"})->columns[0].charset, binlog::Charset::Latin1) << file();
}

TEST_F(SchemaHistoryTest, MissingFileIsCapturedAndDamagedFileIsAnError) {
  SchemaHistory fresh = history();
  ASSERT_TRUE(fresh.resume({"bin.000001", 100}).isOk());
  EXPECT_EQ(at(fresh), "id*,a");
  for (const char* content :
       {"version\t2\n", "table\tbin.000001\t100\tdb\tt\t\n", "version\t1\ncolumn\tid\tint\t\t\n",
        "version\t1\ntable\tbin.000001\tx\tdb\tt\t\n", "version\t1\nwhat\tbin.000001\t1\tdb\tt\n",
        "version\t1\nddl\tbin\\q\t1\tdb\tx\n"}) {
    std::ofstream(path()) << content;
    SchemaHistory h = history();
    const Status status = h.resume({"bin.000001", 100});
    EXPECT_EQ(status.code(), StatusCode::Corruption) << content;
    EXPECT_NE(status.message().find(path() + " line "), std::string::npos) << status.message();
  }
}

// Issue 16, item 7: std::filesystem::exists threw (uncaught: exit 134) on a path it cannot stat.
TEST_F(SchemaHistoryTest, AnUnreadablePathIsAnIoErrorNotAnAbort) {
  std::filesystem::create_directories(dir_);
  std::filesystem::create_symlink(dir_ / "loop", dir_ / "loop");
  const std::string looped = (dir_ / "loop" / "schema_history").string();
  DirectoryDocuments looped_directory((dir_ / "loop").string());
  SchemaHistory h({"schema_history", {"db"}}, looped_directory, catalog_);
  const Status status = h.resume({"bin.000001", 100});
  EXPECT_EQ(status.code(), StatusCode::Io);
  EXPECT_EQ(status.message(),
            "cannot read schema history " + looped + ": Too many levels of symbolic links");
}

TEST_F(SchemaHistoryTest, FieldsWithTabsAndNewlinesRoundTrip) {
  binlog::TableSchema odd;
  odd.columns = {schemaColumn("tab\there", "enum"), schemaColumn("new\nline\\", "int")};
  odd.columns[0].members = {"a\tb", "", "c\\"};
  catalog_.set({"db", "odd"}, odd);
  {
    SchemaHistory h = history();
    ASSERT_TRUE(h.capture({"bin.000001", 100}).isOk());
    ASSERT_TRUE(h.applyDdl("ALTER TABLE odd COMMENT 'x\ty'", "db", {"bin.000001", 200}).isOk());
  }
  catalog_.drop({"db", "odd"});
  SchemaHistory h = history();
  ASSERT_TRUE(h.resume({"bin.000001", 300}).isOk());
  const binlog::TableSchema* loaded = h.model().find({"db", "odd"});
  ASSERT_NE(loaded, nullptr);
  EXPECT_EQ(loaded->columns[0].name, "tab\there");
  EXPECT_EQ(loaded->columns[1].name, "new\nline\\");
  EXPECT_EQ(loaded->columns[0].members, (std::vector<std::string>{"a\tb", "", "c\\"}));
}

}  // namespace
}  // namespace mm::schema
