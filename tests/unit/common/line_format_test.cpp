// line_format: records by line with comments skipped and lines counted, errors naming the file,
// the line and the fix, key=value and escaped tab-separated fields, and a writer whose bytes the
// reader reads back.
#include "common/line_format.h"

#include <gtest/gtest.h>

namespace mm::line_format {
namespace {

const Origin kOrigin{"test file /x", "fix it"};

// The records of `text` as "N:record" lines, or the error.
std::string records(std::string_view text, LastLine last_line) {
  LineReader reader(text, kOrigin, last_line);
  std::string out;
  const Status status = reader.forEachRecord([&](std::string_view record) {
    out += std::to_string(reader.lineNumber()) + ":" + std::string(record) + "|";
    return Status::ok();
  });
  return status.isOk() ? out : status.toString();
}

TEST(LineReader, SkipsBlankAndCommentLinesButCountsThem) {
  EXPECT_EQ(records("# head\na=1\n\n#x\nb=2\n", LastLine::NeedsNewline), "2:a=1|5:b=2|");
  EXPECT_EQ(records("", LastLine::NeedsNewline), "");
  EXPECT_EQ(records(" # not a comment\n", LastLine::NeedsNewline), "1: # not a comment|");
}

TEST(LineReader, ALastLineWithoutItsNewlineIsCutOffOnlyWhenLinesNeedOne) {
  EXPECT_EQ(records("a=1\nb=2", LastLine::NeedsNewline),
            "Corruption: test file /x line 2: cut off: the last line has no newline; fix it");
  EXPECT_EQ(records("a=1\n# cut", LastLine::NeedsNewline),
            "Corruption: test file /x line 2: cut off: the last line has no newline; fix it");
  EXPECT_EQ(records("a=1\nb=2", LastLine::MayLackNewline), "1:a=1|2:b=2|");
  EXPECT_EQ(records("a=1\r\n", LastLine::MayLackNewline), "1:a=1\r|") << "bytes kept as written";
}

TEST(LineReader, StopsAtTheFirstErrorARecordReturnsAndNamesItsLine) {
  LineReader reader("a\nb\nc\n", kOrigin, LastLine::NeedsNewline);
  int seen = 0;
  const Status status = reader.forEachRecord([&](std::string_view record) {
    ++seen;
    return record == "b" ? reader.error("bad b") : Status::ok();
  });
  EXPECT_EQ(seen, 2);
  EXPECT_EQ(status.code(), StatusCode::Corruption);
  EXPECT_EQ(status.message(), "test file /x line 2: bad b; fix it");
  EXPECT_EQ(reader.errorAt(7, "missing").message(), "test file /x line 7: missing; fix it");
}

TEST(SplitKeyValue, SplitsAtTheFirstEqualsSignAndTrimsNothing) {
  auto entry = splitKeyValue("gtid_set= a=b ");
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->key, "gtid_set");
  EXPECT_EQ(entry->value, " a=b ");
  entry = splitKeyValue("empty=");
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->value, "");
  EXPECT_FALSE(splitKeyValue("no separator").has_value());
}

TEST(SplitFields, EveryTabSeparatesAndEscapesAreUndone) {
  auto fields = splitFields("a\t\tb\\tc\\\\\\n\\r\t");
  ASSERT_TRUE(fields.isOk());
  EXPECT_EQ(*fields, (std::vector<std::string>{"a", "", "b\tc\\\n\r", ""}));
  fields = splitFields("\t");
  ASSERT_TRUE(fields.isOk());
  EXPECT_EQ(*fields, (std::vector<std::string>{"", ""}));
  EXPECT_EQ(splitFields("a\\q").status().message(), "a bad escape sequence");
  EXPECT_FALSE(splitFields("ends in\\").isOk());
}

TEST(LineWriter, WritesTheBytesTheFilesHoldAndReadsBack) {
  LineWriter writer;
  writer.comment("a comment");
  writer.keyValue("file", "mysql-bin.000042");
  writer.keyValue("position", uint64_t{91234});
  writer.fields({"column", "tab\there", "", "back\\slash"}, {"new\nline", "cr\r"});
  EXPECT_EQ(writer.text(), "# a comment\nfile=mysql-bin.000042\nposition=91234\n"
                           "column\ttab\\there\t\tback\\\\slash\tnew\\nline\tcr\\r\n");
  std::vector<std::vector<std::string>> read;
  LineReader reader(writer.text(), kOrigin, LastLine::NeedsNewline);
  ASSERT_TRUE(reader
                  .forEachRecord([&](std::string_view record) {
                    if (record.starts_with("column")) {
                      read.push_back(*splitFields(record));
                    }
                    return Status::ok();
                  })
                  .isOk());
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0], (std::vector<std::string>{"column", "tab\there", "", "back\\slash",
                                               "new\nline", "cr\r"}));
  writer.clear();
  EXPECT_EQ(writer.text(), "");
}

}  // namespace
}  // namespace mm::line_format
