// How Python 2.7 spells values as text, for the origin message format (message/message_format.h):
// the origin built its messages with `json.dumps` and `str()` (docs/migrating-from-the-python-
// monitor.md, "Messages in origin mode"). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mm::message {

// Appends `utf8` (well-formed UTF-8) quoted as Python 2's json.dumps writes a string with
// ensure_ascii: '"', '\\', \b \f \n \r \t by name, every other byte outside ' '..'~' as \uXXXX in
// lower-case hex, characters past U+FFFF as a surrogate pair ("🎉" -> "\ud83c\udf89").
void appendPythonJsonString(std::string_view utf8, std::string& out);

// repr(float) in Python 2.7, which json.dumps writes for a float: the shortest digits that read
// back to `value`, in fixed notation with at least one fraction digit ("0.1", "100.0") unless the
// decimal exponent is below -4 or above 15 ("1e-05", "1.7976931348623157e+308").
void appendPythonRepr(double value, std::string& out);

// str(float) in Python 2.7: 12 significant digits, ".0" added to an integral value
// ("1.10000002384" for FLOAT 1.1 widened to a double, "1796391992.07", "1e+16").
std::string pythonStr(double value);

// str(datetime.timedelta(microseconds=micros)) in Python 2.7: "9:05:00", "4 days, 4:00:00",
// "-1 day, 23:59:59" (days are floored, the rest is positive), ".500000" when there are
// microseconds.
std::string pythonTimedelta(int64_t micros);

}  // namespace mm::message
