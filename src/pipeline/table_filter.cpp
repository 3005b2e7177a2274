#include "pipeline/table_filter.h"

#include <algorithm>

namespace mm::pipeline {

bool matchesWildcard(std::string_view pattern, std::string_view text) {
  // Greedy match with backtracking to the last '*': linear for patterns with one star and at
  // worst O(pattern x text), fine for names.
  size_t p = 0, t = 0;
  size_t star = std::string_view::npos, star_text = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_text = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_text;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') {
    ++p;
  }
  return p == pattern.size();
}

bool TableFilter::passes(std::string_view database, std::string_view table) const {
  if (!options_.databases.empty() && std::find(options_.databases.begin(), options_.databases.end(),
                                               database) == options_.databases.end()) {
    return false;
  }
  std::string qualified;
  qualified.reserve(database.size() + 1 + table.size());
  qualified.append(database).append(".").append(table);
  auto matches = [&](const std::string& pattern) { return matchesWildcard(pattern, qualified); };
  if (!options_.tables.empty() &&
      std::none_of(options_.tables.begin(), options_.tables.end(), matches)) {
    return false;
  }
  return std::none_of(options_.exclude_tables.begin(), options_.exclude_tables.end(), matches);
}

}  // namespace mm::pipeline
