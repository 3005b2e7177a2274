#include "mysql/snapshot_key.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "binlog/column_type.h"
#include "common/base64.h"

namespace mm::mysql {
namespace {

using binlog::TableMapColumn;

std::string hex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += fmt::format("{:02X}", c);
  }
  return out;
}

bool unhex(std::string_view text, std::string& out) {
  if (text.size() % 2 != 0) {
    return false;
  }
  for (size_t i = 0; i < text.size(); i += 2) {
    unsigned v = 0;
    if (std::from_chars(text.data() + i, text.data() + i + 2, v, 16).ptr != text.data() + i + 2) {
      return false;
    }
    out.push_back(static_cast<char>(v));
  }
  return true;
}

bool isTemporal(uint8_t t) { return keyTextKind(t) == KeyTextKind::Temporal; }
bool isNumber(uint8_t t) { return keyTextKind(t) == KeyTextKind::Number; }

// Charset and collation names are [a-z0-9_] (information_schema's CHARACTER_SET_NAME and
// COLLATION_NAME): safe to write into SQL unquoted.
bool isPlainName(std::string_view name) {
  return !name.empty() &&
         name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string_view::npos;
}

bool isTextColumn(const ColumnSql& sql) {
  return sql.charset != "binary" && isPlainName(sql.charset) && isPlainName(sql.collation);
}

// The SQL literal of a JSON number for `column`. A FLOAT column holds a float: the message's
// shortest float text, read as a double, would not equal it; the float widened to a double does.
std::string numberLiteral(const TableMapColumn& column, const rapidjson::Value& value) {
  if (value.IsUint64()) {
    return std::to_string(value.GetUint64());
  }
  if (value.IsInt64()) {
    return std::to_string(value.GetInt64());
  }
  if (column.real_type == binlog::MYSQL_TYPE_FLOAT) {
    return fmt::format("{}", static_cast<double>(static_cast<float>(value.GetDouble())));
  }
  return fmt::format("{}", value.GetDouble());
}

// One value of a "keys" object as an SQL literal of `column`.
Result<std::string> jsonValueLiteral(const TableMapColumn& column, const ColumnSql& sql,
                                     const rapidjson::Value& value, std::string_view json) {
  if (value.IsNumber()) {
    return numberLiteral(column, value);
  }
  if (!value.IsString()) {
    return Status::invalidArgument(
        fmt::format("keys {}: the value of {} is neither a number nor a string", json, sql.name));
  }
  std::string text(value.GetString(), value.GetStringLength());
  if (isTemporal(column.real_type)) {
    // "2024-01-01T00:00:00.5Z" as the message writes it; the session's time zone is UTC.
    std::replace(text.begin(), text.end(), 'T', ' ');
    if (!text.empty() && text.back() == 'Z') {
      text.pop_back();
    }
    return keyLiteral(column, sql, text);
  }
  if (column.real_type == binlog::MYSQL_TYPE_NEWDECIMAL) {
    return keyLiteral(column, sql, text);
  }
  if (isTextColumn(sql)) {
    // ENUM members and text are UTF-8 in a message: converted to the column's charset.
    return fmt::format("CONVERT(_utf8mb4 X'{}' USING {}) COLLATE {}", hex(text), sql.charset,
                       sql.collation);
  }
  std::string bytes;
  if (!decodeBase64(text, bytes)) {
    return Status::invalidArgument(
        fmt::format("keys {}: the value of {} is not base64", json, sql.name));
  }
  return fmt::format("X'{}'", hex(bytes));
}

}  // namespace

KeyTextKind keyTextKind(uint8_t real_type) {
  switch (real_type) {
    case binlog::MYSQL_TYPE_YEAR:
    case binlog::MYSQL_TYPE_ENUM:
    case binlog::MYSQL_TYPE_SET: return KeyTextKind::Number;
    case binlog::MYSQL_TYPE_DATE:
    case binlog::MYSQL_TYPE_DATETIME2:
    case binlog::MYSQL_TYPE_TIMESTAMP2:
    case binlog::MYSQL_TYPE_TIME2: return KeyTextKind::Temporal;
    default: return binlog::isNumericType(real_type) ? KeyTextKind::Number : KeyTextKind::Bytes;
  }
}

std::string quoteIdentifier(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    out += c == '`' ? std::string("``") : std::string(1, c);
  }
  return out + "`";
}

std::string keyColumnList(const binlog::TableMap& map) {
  std::string out;
  for (uint32_t k : map.primary_key) {
    out += (out.empty() ? "" : ", ") + quoteIdentifier(map.columns[k].name);
  }
  return out;
}

std::string encodeKeyText(const std::vector<std::string>& values) {
  std::string out;
  for (const std::string& value : values) {
    out += (out.empty() ? "x" : ",x") + hex(value);
  }
  return out;
}

Result<std::vector<std::string>> decodeKeyText(std::string_view text) {
  std::vector<std::string> values;
  for (size_t start = 0; start <= text.size();) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view part = text.substr(start, comma - start);
    std::string value;
    if (part.empty() || part.front() != 'x' || !unhex(part.substr(1), value)) {
      return Status::invalidArgument(fmt::format(
          "snapshot key '{}' is not a key text (x and hex digits per value, joined by ',')", text));
    }
    values.push_back(std::move(value));
    start = comma + 1;
  }
  return values;
}

Result<std::string> keyLiteral(const TableMapColumn& column, const ColumnSql& sql,
                               std::string_view text) {
  auto invalid = [&] {
    return Status::invalidArgument(fmt::format("snapshot key value '{}' does not fit column {}",
                                               text, sql.name.empty() ? column.name : sql.name));
  };
  if (isNumber(column.real_type)) {
    if (text.empty() || text.find_first_not_of("0123456789.-+e") != std::string_view::npos) {
      return invalid();
    }
    return std::string(text);
  }
  if (isTemporal(column.real_type)) {
    if (text.empty() || text.find_first_not_of("0123456789:-. ") != std::string_view::npos) {
      return invalid();
    }
    return fmt::format("'{}'", text);
  }
  if (isTextColumn(sql)) {
    return fmt::format("_{} X'{}' COLLATE {}", sql.charset, hex(text), sql.collation);
  }
  return fmt::format("X'{}'", hex(text));
}

Result<std::string> rowsAfter(const binlog::TableMap& map, const std::vector<ColumnSql>& columns,
                              std::string_view after) {
  auto values = decodeKeyText(after);
  if (values.isOk() && values->size() != map.primary_key.size()) {
    values = Status::invalidArgument(
        fmt::format("snapshot key '{}' has {} values", after, values->size()));
  }
  if (!values.isOk()) {
    return values.status().withContext(
        fmt::format("snapshot of {}.{}, whose key has {} columns (the state file names another "
                    "table, or was edited)",
                    map.database, map.table, map.primary_key.size()));
  }
  // Spelled out as `a > x OR (a = x AND b > y)`: MariaDB reads a row comparison `(a, b) > (x, y)`
  // by walking the whole index from its start (EXPLAIN: type "index"), which makes a table's
  // chunks quadratic; the disjunction is a range scan that starts at the bound.
  std::string equal_prefix;
  std::string disjunction;
  for (size_t k = 0; k < values->size(); ++k) {
    const uint32_t column = map.primary_key[k];
    auto literal = keyLiteral(map.columns[column], columns.at(column), (*values)[k]);
    if (!literal.isOk()) {
      return literal.status().withContext(
          fmt::format("snapshot of {}.{} after key '{}'", map.database, map.table, after));
    }
    const std::string name = quoteIdentifier(map.columns[column].name);
    disjunction += fmt::format("{}({}{} > {})", k == 0 ? "" : " OR ", equal_prefix, name, *literal);
    equal_prefix += fmt::format("{} = {} AND ", name, *literal);
  }
  return fmt::format("WHERE ({})", disjunction);
}

Result<std::string> keysObjectLiterals(const binlog::TableMap& map,
                                       const std::vector<ColumnSql>& columns,
                                       std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return Status::invalidArgument(fmt::format("keys {} is not a JSON object", json));
  }
  std::string tuple;
  for (uint32_t k : map.primary_key) {
    const TableMapColumn& column = map.columns[k];
    const auto member = doc.FindMember(
        rapidjson::Value(column.name.data(), static_cast<rapidjson::SizeType>(column.name.size())));
    if (member == doc.MemberEnd() || member->value.IsNull()) {
      return Status::invalidArgument(fmt::format("keys {} lacks key column {} of {}.{}", json,
                                                 column.name, map.database, map.table));
    }
    auto literal = jsonValueLiteral(column, columns.at(k), member->value, json);
    if (!literal.isOk()) {
      return literal.status();
    }
    tuple += (tuple.empty() ? "" : ", ") + *literal;
  }
  return tuple;
}

}  // namespace mm::mysql
