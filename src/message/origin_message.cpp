#include "message/origin_message.h"

#include <fmt/format.h>

#include "message/origin_value.h"
#include "message/python_text.h"

namespace mm::message {
namespace {

void appendSection(std::string_view name, const binlog::TableMap& table,
                   const EncodedColumns& columns, std::string& out) {
  out.append(", \"").append(name).append("\": {");
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i != 0) {
      out.append(", ");
    }
    appendPythonJsonString(table.columns[columns.column(i)].name, out);
    out.append(": ").append(columns.value(i));
  }
  out.push_back('}');
}

// The "keys" object: an update's keys as they are after it, each key as the origin wrote it.
void appendKeys(const binlog::TableMap& table, const RowChange& change, std::string& out) {
  const EncodedColumns keys =
      change.kind == binlog::RowsKind::Update ? change.keysAfter() : change.keys;
  out.append(", \"keys\": {");
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i != 0) {
      out.append(", ");
    }
    const binlog::TableMapColumn& column = table.columns[keys.column(i)];
    appendPythonJsonString(column.name, out);
    out.append(": ");
    appendOriginKey(column, keys.value(i), change.kind, out);
  }
  out.push_back('}');
}

}  // namespace

void appendOriginRowMessage(const binlog::TableMap& table, const RowChange& change,
                            int64_t publish_timestamp, std::string& out, OriginParts& parts) {
  const size_t start = out.size();
  out.append("{\"type\": \"").append(changeType(change.kind)).append("\", \"table_name\": ");
  appendPythonJsonString(table.table, out);
  parts.keys_begin = out.size() + std::string_view(", \"keys\": ").size() - start;
  appendKeys(table, change, out);
  parts.keys_end = out.size() - start;
  switch (change.kind) {
    case binlog::RowsKind::Write: appendSection("values", table, change.values, out); break;
    case binlog::RowsKind::Update:
      appendSection("before_values", table, change.before, out);
      appendSection("after_values", table, change.after, out);
      break;
    case binlog::RowsKind::Delete: break;
  }
  parts.tail_begin = out.size() - start;
  out.append(fmt::format(", \"binlog_timestamp\": {}, \"timestamp\": {}}}",
                         change.origin.binlog_timestamp, publish_timestamp));
}

std::string originHeartbeatMessage(int64_t publish_timestamp) {
  return fmt::format("{{\"timestamp\": {}, \"type\": \"heartbeat\"}}", publish_timestamp);
}

std::string originHeartbeatId(double unix_seconds) { return "hb-" + pythonStr(unix_seconds); }

}  // namespace mm::message
