#include "message/row_change.h"

#include "message/json_buffer.h"

namespace mm::message {

std::optional<size_t> EncodedColumns::find(uint32_t column) const {
  // Linear: a section lists a handful of columns, and finding one is rarer than writing it.
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].column == column) {
      return i;
    }
  }
  return std::nullopt;
}

void EncodedColumns::append(uint32_t column, std::string_view json) {
  const size_t start = text_.size();
  text_.append(json);
  entries_.push_back(Entry{column, start, json.size()});
}

void EncodedColumns::put(uint32_t column, std::string_view json) {
  const std::optional<size_t> at = find(column);
  if (!at) {
    append(column, json);
    return;
  }
  // The text may view into text_ itself (a value copied from this list): append before pointing.
  const size_t start = text_.size();
  text_.append(json);
  entries_[*at].offset = start;
  entries_[*at].size = json.size();
}

bool RowChange::changesKey() const {
  for (size_t i = 0; i < after.size(); ++i) {
    if (keys.find(after.column(i))) {
      return true;
    }
  }
  return false;
}

EncodedColumns RowChange::keysAfter() const {
  EncodedColumns result;
  for (size_t i = 0; i < keys.size(); ++i) {
    const std::optional<size_t> assigned = after.find(keys.column(i));
    result.append(keys.column(i), assigned ? after.value(*assigned) : keys.value(i));
  }
  return result;
}

std::string_view changeType(binlog::RowsKind kind) {
  switch (kind) {
    case binlog::RowsKind::Write: return "row_insert";
    case binlog::RowsKind::Update: return "row_update";
    case binlog::RowsKind::Delete: return "row_delete";
  }
  return "row_unknown";
}

std::string columnsObject(const binlog::TableMap& table, const EncodedColumns& columns) {
  std::string out(1, '{');
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i != 0) {
      out.push_back(',');
    }
    appendJsonString(table.columns[columns.column(i)].name, out);
    out.push_back(':');
    out.append(columns.value(i));
  }
  out.push_back('}');
  return out;
}

}  // namespace mm::message
