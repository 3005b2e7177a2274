// TableFilter: which tables' changes the monitor publishes ([mysql] database, tables,
// exclude_tables). The reader applies it, so the rows events of filtered tables go no further than
// their TABLE_MAP: they are never queued, decoded into values or turned into messages.
//
// A table passes when its schema is one of `databases` (or that list is empty), it matches one of
// `tables` (or that list is empty), and it matches none of `exclude_tables`. Patterns are
// "db.table" where '*' stands for any run of characters ("shop.*", "*.audit_*"); names compare
// exactly, as MySQL does on Linux. Immutable and thread-safe once built.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mm::pipeline {

struct TableFilterOptions {
  std::vector<std::string> databases;
  std::vector<std::string> tables;
  std::vector<std::string> exclude_tables;
};

class TableFilter {
 public:
  TableFilter() = default;
  explicit TableFilter(TableFilterOptions options) : options_(std::move(options)) {}

  bool passes(std::string_view database, std::string_view table) const;

 private:
  TableFilterOptions options_;
};

// Does `text` match `pattern`, where '*' matches any run of characters (including none)?
bool matchesWildcard(std::string_view pattern, std::string_view text);

}  // namespace mm::pipeline
