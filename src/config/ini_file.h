// IniFile: the INI dialect of the origin's config-example.cfg (Python configparser's common subset):
// [section] headers, `key = value` or `key: value`, '#' and ';' comment lines. Keys and sections are
// case-sensitive as written; every entry remembers its line so errors can say "file:line".
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
// origin:line for a line that is neither a section, an entry nor a comment, or an entry before any
// section.
Result<std::vector<IniEntry>> parseIni(std::string_view text, std::string_view origin);

}  // namespace mm::config
