#include "config/ini_file.h"

#include <map>
#include <utility>

#include <fmt/format.h>

#include "common/strings.h"

namespace mm::config {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

bool isName(std::string_view text) {
  if (text.empty()) {
    return false;
  }
  for (const char c : text) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!allowed) {
      return false;
    }
  }
  return true;
}

// The value as Python 2's RawConfigParser reads it: it ends at the first ';' when whitespace
// precedes it (a ';' inside a value, as in a password, stays), and "" is the empty value.
std::string_view withoutInlineComment(std::string_view value) {
  value = trim(value);
  const size_t semicolon = value.find(';');
  if (semicolon != std::string_view::npos) {
    // Python reads optval[pos - 1], the last character when the ';' comes first.
    const char before = semicolon == 0 ? value.back() : value[semicolon - 1];
    if (before == ' ' || before == '\t') {
      value = trim(value.substr(0, semicolon));
    }
  }
  return value == "\"\"" ? std::string_view{} : value;
}

}  // namespace

std::string shownText(std::string_view text) {
  constexpr size_t kMaxShown = 64;
  std::string_view head = text;
  if (head.size() > kMaxShown) {
    head = head.substr(0, kMaxShown);
    // Not inside a UTF-8 sequence: drop continuation bytes, then the lead byte they follow.
    while (!head.empty() && (static_cast<unsigned char>(text[head.size()]) & 0xC0) == 0x80) {
      head.remove_suffix(1);
    }
  }
  std::string out;
  out.reserve(head.size() + 3);
  for (const char c : head) {
    const auto byte = static_cast<unsigned char>(c);
    out.push_back(byte < 0x20 || byte == 0x7F ? '?' : c);
  }
  if (head.size() < text.size()) {
    out.append("…");
  }
  return out;
}

Result<std::vector<IniEntry>> parseIni(std::string_view text, std::string_view origin) {
  if (text.substr(0, kUtf8Bom.size()) == kUtf8Bom) {
    text.remove_prefix(kUtf8Bom.size());
  }
  std::vector<IniEntry> entries;
  std::string section;
  std::map<std::string, int> section_lines;                      // section -> its header's line
  std::map<std::pair<std::string, std::string>, int> key_lines;  // (section, key) -> line
  int line_number = 0;
  auto bad = [&](std::string_view why) {
    return Status::invalidArgument(fmt::format("{}:{}: {}", origin, line_number, why));
  };
  while (!text.empty()) {
    ++line_number;
    const auto newline = text.find('\n');
    std::string_view line = trim(text.substr(0, newline));
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    if (line.empty() || line[0] == '#' || line[0] == ';') {
      continue;
    }
    // The line itself is never repeated: it may hold a password written wrongly.
    if (line.front() == '[') {
      const std::string_view name = line.back() == ']' ? trim(line.substr(1, line.size() - 2)) : "";
      if (!isName(name)) {
        return bad("malformed section header: expected [name] (letters, digits, '_', '-', '.')");
      }
      section = std::string(name);
      const auto [first, inserted] = section_lines.emplace(section, line_number);
      if (!inserted) {
        return bad(fmt::format("section [{}] appears again (first at {}:{}): merge them into one",
                               shownText(section), origin, first->second));
      }
      continue;
    }
    const auto separator = line.find_first_of("=:");
    const std::string key =
        asciiLower(separator == std::string_view::npos ? "" : trim(line.substr(0, separator)));
    if (!isName(key)) {
      return bad(
          "expected 'key = value', a [section] or a comment (a key is letters, digits, '_', '-', "
          "'.'); the line is not repeated, as it may hold a secret");
    }
    if (section.empty()) {
      return bad(fmt::format("key '{}' appears before any [section]", shownText(key)));
    }
    const auto [first, inserted] = key_lines.emplace(std::pair{section, key}, line_number);
    if (!inserted) {
      return bad(fmt::format("[{}] {} is set again (first at {}:{}): keep one", shownText(section),
                             shownText(key), origin, first->second));
    }
    entries.push_back(IniEntry{
        section, key, std::string(withoutInlineComment(line.substr(separator + 1))), line_number});
  }
  return entries;
}

}  // namespace mm::config
