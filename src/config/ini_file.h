// IniFile: the INI dialect of the origin's config.cfg, Python 2's ConfigParser (RawConfigParser):
// [section] headers, `key = value` or `key: value`, '#' and ';' comment lines, an inline comment
// from the first ';' when whitespace precedes it (`delay = 0 ; seconds`), keys case-insensitive
// (read in lower case, as its optionxform does; sections keep their case), and a UTF-8 byte order
// mark at the start (as Windows editors save). A [DEFAULT] section is an ordinary section here;
// config.cpp gives its keys to every section. Every entry remembers its line so errors can say
// "file:line". Not supported: continuation lines (a value indented onto the next line).
//
// Stricter than the origin's Python 2 configparser, like Python 3's (strict = True): a section or
// a key that appears twice is an error naming both lines, not a silent "last one wins". Names are
// letters, digits, '_', '-' and '.': a line whose "key" is anything else (`password hunter2:x`, a
// password written without its '=') is refused without repeating it. Errors never repeat a value.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mm::config {

struct IniEntry {
  std::string section;
  std::string key;
  std::string value;
  int line = 0;
};

// Parses INI text. `origin` names the source in errors (a path). Errors: InvalidArgument with
// origin:line for a line that is neither a section, an entry nor a comment, an entry before any
// section, and a section or key repeated (naming the first line too).
Result<std::vector<IniEntry>> parseIni(std::string_view text, std::string_view origin);

// `text` as an error may show it: at most 64 bytes (cut at a UTF-8 character boundary, then "…"),
// control characters as '?'. For names and values that are not secret.
std::string shownText(std::string_view text);

}  // namespace mm::config
