// Line formats: the small text files the daemon writes for itself and reads back, a record per
// line. Two use it: the state file (checkpoint/state_file.h, `key=value` lines) and the schema
// history (schema/schema_history.h, tab-separated fields with `\\`, `\t`, `\n`, `\r` escaped).
//
// Reading: LineReader walks the records (blank lines and lines starting with '#' are skipped, but
// counted) and numbers the lines, so that every error names the file, the line and the problem
// and says how to repair the file: "state file PATH line 3: invalid position '12x'; fix or
// delete the file (...)". A file whose last line lacks its newline can be one that was cut off
// (a full disk, a partial copy); a format that always ends its lines (the state file) says so
// and is refused with "cut off: the last line has no newline". Values are taken byte for byte:
// nothing is trimmed, no quoting.
// Writing: LineWriter appends records; it produces the bytes the files have always held, so
// files written before it keep loading and the files on disk did not change.
//
// Why the configuration file (config/ini_file.h) has its own reader: an operator writes it, not
// the daemon, in Python configparser's dialect: [section] headers, `key = value` or `key: value`
// with spaces trimmed, ';' comments as well as '#', a UTF-8 byte order mark, a last line that
// may lack its newline, and errors that never repeat a line (it may hold a password). Here
// nothing is trimmed (a value is every byte after the first '='), there are no sections, and an
// error shows the value it refuses.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/function_ref.h"
#include "common/status.h"

namespace mm::line_format {

// What a file is and how to repair it, for errors: "{name} line {n}: {problem}; {fix}".
struct Origin {
  std::string name;  // "state file /var/lib/mysql-monitor/position"
  std::string fix;   // "fix or delete the file"
};

enum class LastLine {
  NeedsNewline,    // every line was written with its newline: a last line without one is cut off
  MayLackNewline,  // the last line is read as it is
};

class LineReader {
 public:
  // `text` must outlive the reader.
  LineReader(std::string_view text, Origin origin, LastLine last_line)
      : text_(text), origin_(std::move(origin)), last_line_(last_line) {}

  // Calls `record` with each line that is not blank and not a '#' comment, in order, without its
  // newline; stops at the first error it returns. Corruption for a cut-off last line.
  Status forEachRecord(FunctionRef<Status(std::string_view record)> record);

  // The number of the line read last (from 1; 0 before the first).
  int lineNumber() const { return line_number_; }
  // Corruption "{name} line {lineNumber()}: {problem}; {fix}".
  Status error(std::string_view problem) const { return errorAt(line_number_, problem); }
  Status errorAt(int line_number, std::string_view problem) const;

 private:
  std::string_view text_;
  Origin origin_;
  LastLine last_line_;
  int line_number_ = 0;
};

// A `key=value` line split at its first '='; nullopt when it has none.
struct KeyValue {
  std::string_view key;
  std::string_view value;
};
std::optional<KeyValue> splitKeyValue(std::string_view line);

// A line's tab-separated fields with `\\`, `\t`, `\n`, `\r` unescaped; every tab separates
// (a line ending in a tab ends with an empty field). InvalidArgument "a bad escape sequence".
Result<std::vector<std::string>> splitFields(std::string_view line);

class LineWriter {
 public:
  // "# text\n".
  void comment(std::string_view text);
  // "key=value\n". Neither holds a newline (the callers write names and numbers).
  void keyValue(std::string_view key, std::string_view value);
  void keyValue(std::string_view key, uint64_t value);
  // The fields, then `more`, escaped and joined by tabs, then "\n".
  void fields(std::initializer_list<std::string_view> fields,
              const std::vector<std::string>& more = {});
  void clear() { text_.clear(); }

  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

}  // namespace mm::line_format
