// Python 2.7's text of values (message/python_text.h), against what the origin's recorded messages
// hold (../shared/fixtures/origin/README.md, "Body format and surprising renderings").
#include "message/python_text.h"

#include <gtest/gtest.h>

namespace mm::message {
namespace {

std::string jsonString(std::string_view utf8) {
  std::string out;
  appendPythonJsonString(utf8, out);
  return out;
}

std::string repr(double value) {
  std::string out;
  appendPythonRepr(value, out);
  return out;
}

TEST(PythonText, JsonStringEscapesAsEnsureAscii) {
  EXPECT_EQ(jsonString("café 日本 🎉"), R"("caf\u00e9 \u65e5\u672c \ud83c\udf89")");
  EXPECT_EQ(jsonString("line1\nline2\t\"quoted\" \\ back"),
            R"("line1\nline2\t\"quoted\" \\ back")");
  EXPECT_EQ(jsonString(std::string("\x01\x7f\b\f\r", 5)), R"("\u0001\u007f\b\f\r")");
  EXPECT_EQ(jsonString(std::string("a\0b", 3)), R"("a\u0000b")");
  EXPECT_EQ(jsonString("ÿ€😀"), R"("\u00ff\u20ac\ud83d\ude00")");
  EXPECT_EQ(jsonString(""), R"("")");
}

TEST(PythonText, ReprIsTheShortestRoundTripInPythonsNotation) {
  EXPECT_EQ(repr(static_cast<double>(1.1f)), "1.100000023841858");
  EXPECT_EQ(repr(static_cast<double>(0.1f)), "0.10000000149011612");
  EXPECT_EQ(repr(static_cast<double>(3.40282e38f)), "3.402820018375656e+38");
  EXPECT_EQ(repr(-static_cast<double>(3.40282e38f)), "-3.402820018375656e+38");
  EXPECT_EQ(repr(3.141592653589793), "3.141592653589793");
  EXPECT_EQ(repr(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(repr(0.1), "0.1");
  EXPECT_EQ(repr(-0.5), "-0.5");
  EXPECT_EQ(repr(2.5), "2.5");
  EXPECT_EQ(repr(0.0), "0.0");
  EXPECT_EQ(repr(-0.0), "-0.0");
  EXPECT_EQ(repr(100.0), "100.0");
  EXPECT_EQ(repr(1e15), "1000000000000000.0");
  EXPECT_EQ(repr(1e16), "1e+16");
  EXPECT_EQ(repr(0.0001), "0.0001");
  EXPECT_EQ(repr(0.00001), "1e-05");
  EXPECT_EQ(repr(1.5e-300), "1.5e-300");
}

TEST(PythonText, StrKeepsTwelveDigits) {
  EXPECT_EQ(pythonStr(static_cast<double>(1.1f)), "1.10000002384");
  EXPECT_EQ(pythonStr(1.1), "1.1");
  EXPECT_EQ(pythonStr(1796391992.0734), "1796391992.07");
  EXPECT_EQ(pythonStr(1796391992.0), "1796391992.0");
  EXPECT_EQ(pythonStr(1e16), "1e+16");
  EXPECT_EQ(pythonStr(-2.5), "-2.5");
}

TEST(PythonText, TimedeltaAsStr) {
  constexpr int64_t kS = 1000000;
  EXPECT_EQ(pythonTimedelta((13 * 3600 + 45 * 60 + 10) * kS), "13:45:10");
  EXPECT_EQ(pythonTimedelta((9 * 3600 + 5 * 60) * kS), "9:05:00");
  EXPECT_EQ(pythonTimedelta(0), "0:00:00");
  EXPECT_EQ(pythonTimedelta(24 * 3600 * kS), "1 day, 0:00:00");
  EXPECT_EQ(pythonTimedelta(100 * 3600 * kS), "4 days, 4:00:00");
  EXPECT_EQ(pythonTimedelta((838 * 3600 + 59 * 60 + 59) * kS), "34 days, 22:59:59");
  // Negative values floor to whole days; the rest is positive (the true values the origin lost).
  EXPECT_EQ(pythonTimedelta(-3600 * kS), "-1 day, 23:00:00");
  EXPECT_EQ(pythonTimedelta(-(12 * 3600 + 34 * 60 + 56) * kS), "-1 day, 11:25:04");
  EXPECT_EQ(pythonTimedelta(-(24 * 3600 + 1) * kS), "-2 days, 23:59:59");
  EXPECT_EQ(pythonTimedelta(-(838 * 3600 + 59 * 60 + 59) * kS), "-35 days, 1:00:01");
  EXPECT_EQ(pythonTimedelta(-1 * kS), "-1 day, 23:59:59");
  EXPECT_EQ(pythonTimedelta(10 * kS + 500000), "0:00:10.500000");
}

}  // namespace
}  // namespace mm::message
