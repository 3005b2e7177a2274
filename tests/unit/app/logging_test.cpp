// JSON log lines: one object per line with time, level, logger and message, every string escaped so
// the line parses whatever the message holds.
#include "app/logging.h"

#include <sstream>

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

namespace mm::app {
namespace {

std::string logOneLine(const std::string& message) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  spdlog::logger logger("json-test", sink);
  logger.set_formatter(jsonLinesFormatter());
  logger.warn("{}", message);
  return out.str();
}

TEST(JsonLogLines, HoldTimeLevelLoggerAndMessage) {
  const std::string line = logOneLine("connected to db:3306");
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line";
  rapidjson::Document doc;
  doc.Parse(line.c_str());
  ASSERT_FALSE(doc.HasParseError()) << line;
  EXPECT_STREQ(doc["level"].GetString(), "warning");
  EXPECT_STREQ(doc["logger"].GetString(), "json-test");
  EXPECT_STREQ(doc["message"].GetString(), "connected to db:3306");
  const std::string time = doc["time"].GetString();
  EXPECT_EQ(time.size(), 24u) << time;  // 2026-11-25T10:00:00.123Z
  EXPECT_EQ(time.back(), 'Z') << time;
  EXPECT_EQ(time[10], 'T') << time;
}

TEST(JsonLogLines, EscapeQuotesControlCharactersAndBadUtf8) {
  const std::string message = std::string("say \"hi\"\\ \n\t\x01 caf\xC3\xA9 bad\xFF end");
  const std::string line = logOneLine(message);
  EXPECT_NE(line.find(R"(say \"hi\"\\ \n\t\u0001 café bad\ufffd end)"), std::string::npos) << line;
  rapidjson::Document doc;
  doc.Parse(line.c_str());
  ASSERT_FALSE(doc.HasParseError()) << line;
  EXPECT_EQ(std::string(doc["message"].GetString()),
            "say \"hi\"\\ \n\t\x01 caf\xC3\xA9 bad\xEF\xBF\xBD end");
}

TEST(JsonLogLines, RejectTruncatedAndOverlongSequences) {
  // A lead byte at the very end, and an overlong encoding of '/': both replaced, never copied.
  const std::string line = logOneLine(std::string("a\xC3") + "|" + std::string("\xC0\xAF"));
  rapidjson::Document doc;
  doc.Parse(line.c_str());
  ASSERT_FALSE(doc.HasParseError()) << line;
  EXPECT_NE(line.find(R"(a\ufffd|\ufffd\ufffd)"), std::string::npos) << line;
}

}  // namespace
}  // namespace mm::app
