#include "config/ini_file.h"

#include <fmt/format.h>

#include "common/strings.h"

namespace mm::config {
Result<std::vector<IniEntry>> parseIni(std::string_view text, std::string_view origin) {
  std::vector<IniEntry> entries;
  std::string section;
  int line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const auto newline = text.find('\n');
    std::string_view line = trim(text.substr(0, newline));
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    if (line.empty() || line[0] == '#' || line[0] == ';') {
      continue;
    }
    if (line.front() == '[') {
      if (line.back() != ']' || trim(line.substr(1, line.size() - 2)).empty()) {
        return Status::invalidArgument(fmt::format("{}:{}: malformed section header '{}'", origin,
                                                   line_number, line));
      }
      section = std::string(trim(line.substr(1, line.size() - 2)));
      continue;
    }
    const auto separator = line.find_first_of("=:");
    if (separator == std::string_view::npos || trim(line.substr(0, separator)).empty()) {
      // The line itself is not repeated: it may be a password written without its '='.
      return Status::invalidArgument(fmt::format(
          "{}:{}: expected 'key = value', a [section] or a comment", origin, line_number));
    }
    if (section.empty()) {
      return Status::invalidArgument(fmt::format("{}:{}: key '{}' appears before any [section]", origin,
                                                 line_number, trim(line.substr(0, separator))));
    }
    entries.push_back(IniEntry{section, std::string(trim(line.substr(0, separator))),
                               std::string(trim(line.substr(separator + 1))), line_number});
  }
  return entries;
}

}  // namespace mm::config
