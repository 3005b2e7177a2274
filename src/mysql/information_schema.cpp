#include "mysql/information_schema.h"

#include <algorithm>
#include <optional>
#include <string_view>

#include <mysql.h>

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

std::optional<std::string> jsonValidColumn(std::string_view check_clause) {
  constexpr std::string_view kPrefix = "json_valid(`";
  if (check_clause.size() < kPrefix.size() + 2 ||
      check_clause.substr(0, kPrefix.size()) != kPrefix ||
      check_clause.substr(check_clause.size() - 2) != "`)") {
    return std::nullopt;
  }
  // Backticks inside the name are doubled.
  std::string name;
  const std::string_view quoted =
      check_clause.substr(kPrefix.size(), check_clause.size() - kPrefix.size() - 2);
  for (size_t i = 0; i < quoted.size(); ++i) {
    if (quoted[i] == '`') {
      if (i + 1 >= quoted.size() || quoted[i + 1] != '`') {
        return std::nullopt;  // more than one column: json_valid(`a`) AND ...
      }
      ++i;
    }
    name.push_back(quoted[i]);
  }
  return name;
}

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

Result<std::vector<Row>> InformationSchema::queryWithRetry(const std::string& sql) {
  auto rows = connection_.query(sql);
  if (!rows.isOk()) {
    // One retry on a fresh connection: the schema connection idles between DDLs and may time out.
    MM_RETURN_IF_ERROR(connection_.connect(options_));
    rows = connection_.query(sql);
  }
  return rows;
}

namespace {

// A row of information_schema.COLUMNS: COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, CHARACTER_SET_NAME,
// IS_NULLABLE.
binlog::SchemaColumn schemaColumn(const Row& row) {
  binlog::SchemaColumn column;
  column.name = row[0].value_or("");
  const std::string data_type = row[1].value_or("");
  const std::string column_type = row[2].value_or("");
  column.is_unsigned = column_type.find("unsigned") != std::string::npos;
  column.is_binary = isBinaryType(data_type, row[3]);
  column.charset = binlog::charsetByName(row[3].value_or(""));
  column.is_json = data_type == "json";
  if (data_type == "enum" || data_type == "set") {
    column.members = parseMembers(column_type);
  }
  column.data_type = data_type;
  column.nullable = row[4].value_or("YES") == "YES";
  return column;
}

// Rows of information_schema.STATISTICS (INDEX_NAME, COLUMN_NAME) of the unique indexes: the rows
// of one index are contiguous, in the server's order of indexes, PRIMARY first.
void addUniqueKeys(const std::vector<Row>& index_columns, binlog::TableSchema& schema) {
  for (const Row& row : index_columns) {
    const std::string index = row[0].value_or("");
    if (schema.unique_keys.empty() || schema.unique_keys.back().name != index) {
      schema.unique_keys.push_back(binlog::UniqueKey{index, {}});
    }
    schema.unique_keys.back().columns.push_back(row[1].value_or(""));
  }
}

}  // namespace

Result<binlog::TableSchema> InformationSchema::lookup(std::string_view database,
                                                      std::string_view table) {
  if (!connection_.connected()) {
    MM_RETURN_IF_ERROR(connection_.connect(options_));
  }
  const std::string where =
      fmt::format("TABLE_SCHEMA = {} AND TABLE_NAME = {}", quoteLiteral(connection_, database),
                  quoteLiteral(connection_, table));
  auto rows = queryWithRetry(
      fmt::format("SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, CHARACTER_SET_NAME, IS_NULLABLE "
                  "FROM information_schema.COLUMNS WHERE {} ORDER BY ORDINAL_POSITION",
                  where));
  if (!rows.isOk()) {
    return rows.status();
  }
  if (rows->empty()) {
    return Status::invalidArgument(fmt::format(
        "table {}.{} is not in information_schema on {} (dropped since the event was written, or "
        "the user lacks SELECT on it)",
        database, table, connection_.where()));
  }
  // Unique indexes in the server's own order, which lists PRIMARY first and then the unique
  // indexes over NOT NULL columns (the order MySQL and MariaDB keep keys in).
  auto unique_index_columns = queryWithRetry(
      fmt::format("SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS "
                  "WHERE {} AND NON_UNIQUE = 0",
                  where));
  if (!unique_index_columns.isOk()) {
    return unique_index_columns.status();
  }
  binlog::TableSchema schema;
  for (const Row& row : *rows) {
    schema.columns.push_back(schemaColumn(row));
  }
  MM_RETURN_IF_ERROR(markMariadbJsonColumns(database, table, schema));
  addUniqueKeys(*unique_index_columns, schema);
  binlog::markRowKey(schema);
  auto collation = queryWithRetry(
      fmt::format("SELECT TABLE_COLLATION FROM information_schema.TABLES WHERE {}", where));
  if (!collation.isOk()) {
    return collation.status();
  }
  if (!collation->empty()) {
    schema.default_charset = binlog::charsetOfCollationName((*collation)[0][0].value_or(""));
  }
  return schema;
}

Status InformationSchema::markMariadbJsonColumns(std::string_view database, std::string_view table,
                                                 binlog::TableSchema& schema) {
  const bool has_longtext =
      std::any_of(schema.columns.begin(), schema.columns.end(),
                  [](const auto& column) { return column.data_type == "longtext"; });
  const std::string_view server = mysql_get_server_info(connection_.handle());
  if (!has_longtext || server.find("MariaDB") == std::string_view::npos) {
    return Status::ok();
  }
  // MariaDB's JSON is LONGTEXT plus CHECK (json_valid(`col`)); only its CHECK_CONSTRAINTS (which,
  // unlike MySQL's, has TABLE_NAME) says which LONGTEXT holds JSON.
  auto checks = queryWithRetry(fmt::format(
      "SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = {} "
      "AND TABLE_NAME = {}",
      quoteLiteral(connection_, database), quoteLiteral(connection_, table)));
  if (!checks.isOk()) {
    return checks.status();
  }
  for (const Row& row : *checks) {
    const auto name = jsonValidColumn(row[0].value_or(""));
    for (binlog::SchemaColumn& column : schema.columns) {
      if (name && column.name == *name) {
        column.is_json = true;
      }
    }
  }
  return Status::ok();
}

Result<std::vector<binlog::TableName>> InformationSchema::listTables(
    const std::vector<std::string>& databases) {
  if (!connection_.connected()) {
    MM_RETURN_IF_ERROR(connection_.connect(options_));
  }
  std::string where =
      "TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')";
  if (!databases.empty()) {
    where = "TABLE_SCHEMA IN (";
    for (size_t i = 0; i < databases.size(); ++i) {
      where += (i == 0 ? "" : ", ") + quoteLiteral(connection_, databases[i]);
    }
    where += ")";
  }
  auto rows =
      queryWithRetry(fmt::format("SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES "
                                 "WHERE {} AND TABLE_TYPE = 'BASE TABLE' "
                                 "ORDER BY TABLE_SCHEMA, TABLE_NAME",
                                 where));
  if (!rows.isOk()) {
    return rows.status();
  }
  std::vector<binlog::TableName> tables;
  for (const Row& row : *rows) {
    tables.push_back(binlog::TableName{row[0].value_or(""), row[1].value_or("")});
  }
  return tables;
}

Result<binlog::Charset> InformationSchema::databaseCharset(std::string_view database) {
  if (!connection_.connected()) {
    MM_RETURN_IF_ERROR(connection_.connect(options_));
  }
  auto rows = queryWithRetry(fmt::format(
      "SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = {}",
      quoteLiteral(connection_, database)));
  if (!rows.isOk()) {
    return rows.status();
  }
  if (rows->empty()) {
    return Status::invalidArgument(fmt::format("database {} is not in information_schema on {}",
                                               database, connection_.where()));
  }
  return binlog::charsetByName((*rows)[0][0].value_or(""));
}

}  // namespace mm::mysql
