#include "mysql/information_schema.h"

#include <fmt/format.h>

namespace mm::mysql {
namespace {

bool isBinaryType(const std::string& data_type, const std::optional<std::string>& charset) {
  if (charset && *charset == "binary") {
    return true;
  }
  return data_type == "binary" || data_type == "varbinary" || data_type == "tinyblob" ||
         data_type == "blob" || data_type == "mediumblob" || data_type == "longblob";
}

}  // namespace

std::vector<std::string> parseMembers(std::string_view column_type) {
  std::vector<std::string> members;
  const auto open = column_type.find('(');
  if (open == std::string_view::npos) {
    return members;
  }
  std::string current;
  bool in_quote = false;
  for (size_t i = open + 1; i < column_type.size(); ++i) {
    const char c = column_type[i];
    if (!in_quote) {
      if (c == '\'') {
        in_quote = true;
        current.clear();
      } else if (c == ')') {
        break;
      }
      continue;
    }
    if (c == '\'') {
      if (i + 1 < column_type.size() && column_type[i + 1] == '\'') {
        current.push_back('\'');
        ++i;
      } else {
        in_quote = false;
        members.push_back(current);
      }
    } else if (c == '\\' && i + 1 < column_type.size()) {
      current.push_back(column_type[++i]);
    } else {
      current.push_back(c);
    }
  }
  return members;
}

Result<binlog::TableSchema> InformationSchema::lookup(std::string_view database, std::string_view table) {
  if (!connection_.connected()) {
    MM_RETURN_IF_ERROR(connection_.connect(options_));
  }
  const std::string sql = fmt::format(
      "SELECT c.COLUMN_NAME, c.DATA_TYPE, c.COLUMN_TYPE, c.CHARACTER_SET_NAME, s.SEQ_IN_INDEX "
      "FROM information_schema.COLUMNS c LEFT JOIN information_schema.STATISTICS s "
      "ON s.TABLE_SCHEMA = c.TABLE_SCHEMA AND s.TABLE_NAME = c.TABLE_NAME "
      "AND s.COLUMN_NAME = c.COLUMN_NAME AND s.INDEX_NAME = 'PRIMARY' "
      "WHERE c.TABLE_SCHEMA = {} AND c.TABLE_NAME = {} ORDER BY c.ORDINAL_POSITION",
      quoteLiteral(connection_, database), quoteLiteral(connection_, table));
  auto rows = connection_.query(sql);
  if (!rows.isOk()) {
    // One retry on a fresh connection: the schema connection idles between DDLs and may time out.
    MM_RETURN_IF_ERROR(connection_.connect(options_));
    rows = connection_.query(sql);
    if (!rows.isOk()) {
      return rows.status();
    }
  }
  if (rows->empty()) {
    return Status::invalidArgument(fmt::format(
        "table {}.{} is not in information_schema on {} (dropped since the event was written, or "
        "the user lacks SELECT on it)",
        database, table, connection_.where()));
  }
  binlog::TableSchema schema;
  for (const Row& row : *rows) {
    binlog::SchemaColumn column;
    column.name = row[0].value_or("");
    const std::string data_type = row[1].value_or("");
    const std::string column_type = row[2].value_or("");
    column.is_unsigned = column_type.find("unsigned") != std::string::npos;
    column.is_binary = isBinaryType(data_type, row[3]);
    if (row[4]) {
      column.is_primary_key = true;
      column.key_ordinal = static_cast<uint32_t>(std::stoul(*row[4]));
    }
    if (data_type == "enum" || data_type == "set") {
      column.members = parseMembers(column_type);
    }
    schema.columns.push_back(std::move(column));
  }
  return schema;
}

}  // namespace mm::mysql
