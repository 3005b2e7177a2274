#include "mysql/snapshot_reader.h"

#include <mysql.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <map>
#include <set>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "binlog/column_type.h"
#include "binlog/column_value.h"
#include "binlog/value_encoder.h"
#include "common/base64.h"
#include "common/decimal.h"
#include "mysql/binary_logs.h"

namespace mm::mysql {
namespace {

using binlog::TableMapColumn;

std::string quoteName(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    out += c == '`' ? "``" : std::string(1, c);
  }
  return out + "`";
}

std::string tableSql(const binlog::TableName& t) {
  return quoteName(t.database) + "." + quoteName(t.table);
}

std::string hex(std::string_view bytes) {
  std::string out;
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

bool isTemporal(uint8_t t) {
  return t == binlog::MYSQL_TYPE_DATE || t == binlog::MYSQL_TYPE_DATETIME2 ||
         t == binlog::MYSQL_TYPE_TIMESTAMP2 || t == binlog::MYSQL_TYPE_TIME2;
}

bool isNumber(uint8_t t) {
  switch (t) {
    case binlog::MYSQL_TYPE_TINY:
    case binlog::MYSQL_TYPE_SHORT:
    case binlog::MYSQL_TYPE_INT24:
    case binlog::MYSQL_TYPE_LONG:
    case binlog::MYSQL_TYPE_LONGLONG:
    case binlog::MYSQL_TYPE_YEAR:
    case binlog::MYSQL_TYPE_FLOAT:
    case binlog::MYSQL_TYPE_DOUBLE:
    case binlog::MYSQL_TYPE_NEWDECIMAL:
    case binlog::MYSQL_TYPE_ENUM:
    case binlog::MYSQL_TYPE_SET: return true;
    default: return false;
  }
}

// Charset names are [a-z0-9_] (information_schema's CHARACTER_SET_NAME / COLLATION_NAME).
bool isPlainName(std::string_view name) {
  return !name.empty() &&
         name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string_view::npos;
}

// The binlog type and metadata a column of information_schema.COLUMNS is logged with:
// DATA_TYPE, COLUMN_TYPE, CHARACTER_OCTET_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE,
// DATETIME_PRECISION.
Status binlogType(const Row& row, size_t members, TableMapColumn& c) {
  const std::string data_type = row[1].value_or("");
  auto number = [&](size_t i) { return parseDecimal<uint64_t>(row[i].value_or("0")).value_or(0); };
  const uint64_t octets = number(3);
  auto set = [&](uint8_t type, uint16_t metadata, uint8_t real_type = 0) {
    c.type = type;
    c.real_type = real_type != 0 ? real_type : type;
    c.metadata = metadata;
  };
  using namespace binlog;
  static const std::map<std::string, uint8_t, std::less<>> kFixed = {
      {"tinyint", MYSQL_TYPE_TINY},    {"smallint", MYSQL_TYPE_SHORT},
      {"mediumint", MYSQL_TYPE_INT24}, {"int", MYSQL_TYPE_LONG},
      {"bigint", MYSQL_TYPE_LONGLONG}, {"year", MYSQL_TYPE_YEAR},
      {"date", MYSQL_TYPE_DATE}};
  static const std::map<std::string, uint16_t, std::less<>> kBlobs = {
      {"tinytext", 1},   {"tinyblob", 1}, {"text", 2},     {"blob", 2}, {"mediumtext", 3},
      {"mediumblob", 3}, {"longtext", 4}, {"longblob", 4}, {"json", 4}};
  static const std::set<std::string, std::less<>> kGeometry = {
      "geometry",        "point",        "linestring",         "polygon",       "multipoint",
      "multilinestring", "multipolygon", "geometrycollection", "geomcollection"};
  if (auto it = kFixed.find(data_type); it != kFixed.end()) {
    set(it->second, 0);
  } else if (data_type == "float") {
    set(MYSQL_TYPE_FLOAT, 4);
  } else if (data_type == "double" || data_type == "real") {
    set(MYSQL_TYPE_DOUBLE, 8);
  } else if (data_type == "decimal" || data_type == "numeric") {
    set(MYSQL_TYPE_NEWDECIMAL, static_cast<uint16_t>(number(4) << 8 | number(5)));
  } else if (data_type == "bit") {
    set(MYSQL_TYPE_BIT, static_cast<uint16_t>((number(4) / 8) << 8 | (number(4) % 8)));
  } else if (data_type == "datetime") {
    set(MYSQL_TYPE_DATETIME2, static_cast<uint16_t>(number(6)));
  } else if (data_type == "timestamp") {
    set(MYSQL_TYPE_TIMESTAMP2, static_cast<uint16_t>(number(6)));
  } else if (data_type == "time") {
    set(MYSQL_TYPE_TIME2, static_cast<uint16_t>(number(6)));
  } else if (data_type == "varchar" || data_type == "varbinary") {
    set(MYSQL_TYPE_VARCHAR, static_cast<uint16_t>(octets));
  } else if (data_type == "char" || data_type == "binary") {
    set(MYSQL_TYPE_STRING, static_cast<uint16_t>(octets));
  } else if (data_type == "enum") {
    set(MYSQL_TYPE_STRING, members > 255 ? 2 : 1, MYSQL_TYPE_ENUM);
  } else if (data_type == "set") {
    const uint16_t bytes = static_cast<uint16_t>((members + 7) / 8);
    set(MYSQL_TYPE_STRING, bytes > 4 ? 8 : bytes, MYSQL_TYPE_SET);
  } else if (auto blob = kBlobs.find(data_type); blob != kBlobs.end()) {
    set(MYSQL_TYPE_BLOB, blob->second);
  } else if (kGeometry.contains(data_type)) {
    set(MYSQL_TYPE_GEOMETRY, 4);
  } else {
    return Status::unsupported(fmt::format("column {} has type {}, which the snapshot cannot read",
                                           row[0].value_or(""), row[2].value_or(data_type)));
  }
  return Status::ok();
}

// A bound result column of the prepared SELECT.
struct Bound {
  enum class As { Integer, Float, Double, Time, Bytes };
  As as = As::Bytes;
  int64_t integer = 0;
  float f = 0;
  double d = 0;
  MYSQL_TIME time{};
  std::string bytes;
  unsigned long length = 0;
  my_bool is_null = 0;
  my_bool error = 0;
};

Bound::As boundAs(const TableMapColumn& c) {
  switch (c.real_type) {
    case binlog::MYSQL_TYPE_FLOAT: return Bound::As::Float;
    case binlog::MYSQL_TYPE_DOUBLE: return Bound::As::Double;
    case binlog::MYSQL_TYPE_NEWDECIMAL: return Bound::As::Bytes;
    default: break;
  }
  if (isTemporal(c.real_type)) {
    return Bound::As::Time;
  }
  return isNumber(c.real_type) ? Bound::As::Integer : Bound::As::Bytes;
}

binlog::SqlValue sqlValue(const TableMapColumn& c, const Bound& b) {
  binlog::SqlValue v;
  switch (b.as) {
    case Bound::As::Integer:
      v.kind = c.is_unsigned ? binlog::SqlValue::Kind::Unsigned : binlog::SqlValue::Kind::Signed;
      v.i = b.integer;
      v.u = static_cast<uint64_t>(b.integer);
      break;
    case Bound::As::Float:
      v.kind = binlog::SqlValue::Kind::Float;
      v.f = b.f;
      break;
    case Bound::As::Double:
      v.kind = binlog::SqlValue::Kind::Double;
      v.d = b.d;
      break;
    case Bound::As::Time:
      v.kind = binlog::SqlValue::Kind::Temporal;
      v.negative = b.time.neg != 0;
      v.year = b.time.year;
      v.month = b.time.month;
      v.day = b.time.day;
      v.hour = b.time.hour;
      v.minute = b.time.minute;
      v.second = b.time.second;
      v.micros = static_cast<uint32_t>(b.time.second_part);
      break;
    case Bound::As::Bytes:
      v.kind = binlog::SqlValue::Kind::Bytes;
      v.bytes = std::string_view(b.bytes.data(), b.length);
      break;
  }
  return v;
}

// A key value's text form (SnapshotReader's key text before hex): what keyLiteral reads back.
std::string keyText(const TableMapColumn& c, const Bound& b) {
  switch (b.as) {
    case Bound::As::Integer:
      return c.is_unsigned ? std::to_string(static_cast<uint64_t>(b.integer))
                           : std::to_string(b.integer);
    case Bound::As::Float: return fmt::format("{}", b.f);
    case Bound::As::Double: return fmt::format("{}", b.d);
    case Bound::As::Time: {
      const MYSQL_TIME& t = b.time;
      if (c.real_type == binlog::MYSQL_TYPE_TIME2) {
        return fmt::format("{}{:02}:{:02}:{:02}.{:06}", t.neg ? "-" : "", t.hour, t.minute,
                           t.second, t.second_part);
      }
      return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}", t.year, t.month, t.day,
                         t.hour, t.minute, t.second, t.second_part);
    }
    case Bound::As::Bytes: return std::string(b.bytes.data(), b.length);
  }
  return {};
}

std::string selectList(const binlog::TableMap& map) {
  std::string out;
  for (const auto& c : map.columns) {
    out += out.empty() ? "" : ", ";
    const bool indexed =
        c.real_type == binlog::MYSQL_TYPE_ENUM || c.real_type == binlog::MYSQL_TYPE_SET;
    out += indexed ? quoteName(c.name) + "+0" : quoteName(c.name);
  }
  return out;
}

std::string keyList(const binlog::TableMap& map) {
  std::string out;
  for (uint32_t k : map.primary_key) {
    out += (out.empty() ? "" : ", ") + quoteName(map.columns[k].name);
  }
  return out;
}

}  // namespace

Result<std::string> keyLiteral(const TableMapColumn& column, const SnapshotReader::ColumnSql& sql,
                               std::string_view text) {
  auto invalid = [&] {
    return Status::invalidArgument(
        fmt::format("snapshot key value '{}' does not fit column {}", text, column.name));
  };
  if (isNumber(column.real_type)) {
    if (text.empty() || text.find_first_not_of("0123456789.-+e") != std::string_view::npos) {
      return invalid();
    }
    return std::string(text);
  }
  if (isTemporal(column.real_type)) {
    if (text.find_first_not_of("0123456789:-. ") != std::string_view::npos) {
      return invalid();
    }
    return fmt::format("'{}'", text);
  }
  if (!sql.charset.empty() && sql.charset != "binary" && isPlainName(sql.charset) &&
      isPlainName(sql.collation)) {
    return fmt::format("_{} X'{}' COLLATE {}", sql.charset, hex(text), sql.collation);
  }
  return fmt::format("X'{}'", hex(text));
}

Status SnapshotReader::connect() {
  if (connection_.connected()) {
    return Status::ok();
  }
  MM_RETURN_IF_ERROR(connection_.connect(options_));
  mariadb_ = std::string_view(mysql_get_server_info(connection_.handle())).find("MariaDB") !=
             std::string_view::npos;
  // Strings as their bytes in the column's charset (decoded like binlog values), TIMESTAMP in
  // UTC as the binlog holds it, and one snapshot per chunk.
  for (const char* sql :
       {"SET SESSION character_set_results = binary", "SET SESSION time_zone = '+00:00'",
        "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"}) {
    if (Status s = connection_.execute(sql); !s.isOk()) {
      connection_.close();
      return s;
    }
  }
  return Status::ok();
}

Result<std::vector<binlog::TableName>> SnapshotReader::listTables(
    const std::vector<std::string>& databases) {
  return information_schema_.listTables(databases);
}

Result<SnapshotTable> SnapshotReader::describe(const binlog::TableName& table) {
  MM_RETURN_IF_ERROR(connect());
  auto schema = information_schema_.lookup(table.database, table.table);
  if (!schema.isOk()) {
    return schema.status();
  }
  auto rows = connection_.query(fmt::format(
      "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, CHARACTER_OCTET_LENGTH, NUMERIC_PRECISION, "
      "NUMERIC_SCALE, DATETIME_PRECISION, CHARACTER_SET_NAME, COLLATION_NAME FROM "
      "information_schema.COLUMNS WHERE TABLE_SCHEMA = {} AND TABLE_NAME = {} ORDER BY "
      "ORDINAL_POSITION",
      quoteLiteral(connection_, table.database), quoteLiteral(connection_, table.table)));
  if (!rows.isOk()) {
    return rows.status().withContext(
        fmt::format("snapshot of {}.{}: reading its columns", table.database, table.table));
  }
  if (rows->size() != schema->columns.size()) {
    return Status::io(fmt::format("{}.{} changed while it was described; trying again",
                                  table.database, table.table));
  }
  binlog::TableMap map;
  map.database = table.database;
  map.table = table.table;
  std::vector<ColumnSql> sql;
  for (size_t i = 0; i < rows->size(); ++i) {
    const Row& row = (*rows)[i];
    TableMapColumn c;
    MM_RETURN_IF_ERROR(
        binlogType(row, schema->columns[i].members.size(), c)
            .withContext(fmt::format("snapshot of {}.{}", table.database, table.table)));
    c.nullable = schema->columns[i].nullable;
    binlog::ValueLayout layout;
    if (binlog::valueLayout(c, layout).isOk()) {
      c.value_width = layout.fixed;
      c.value_prefix = layout.prefix;
    }
    map.columns.push_back(std::move(c));
    sql.push_back({row[0].value_or(""), row[7].value_or(""), row[8].value_or("")});
  }
  auto completed = binlog::completeTableMap(map, *schema);
  if (!completed.isOk()) {
    return completed.status();
  }
  auto estimate = connection_.query(fmt::format("SELECT TABLE_ROWS FROM information_schema.TABLES "
                                                "WHERE TABLE_SCHEMA = {} AND TABLE_NAME = {}",
                                                quoteLiteral(connection_, table.database),
                                                quoteLiteral(connection_, table.table)));
  SnapshotTable out;
  out.name = table;
  out.keyless = completed->primary_key.empty();
  out.estimated_rows = estimate.isOk() && !estimate->empty()
                           ? parseDecimal<uint64_t>((*estimate)[0][0].value_or("0")).value_or(0)
                           : 0;
  out.map = std::make_shared<const binlog::TableMap>(std::move(*completed));
  columns_[table.database + "." + table.table] = std::move(sql);
  return out;
}

const std::vector<SnapshotReader::ColumnSql>& SnapshotReader::columnsOf(
    const SnapshotTable& table) {
  return columns_[table.name.database + "." + table.name.table];
}

Result<SnapshotChunk> SnapshotReader::readChunk(const SnapshotTable& table, std::string_view after,
                                                size_t limit) {
  MM_RETURN_IF_ERROR(connect());
  const binlog::TableMap& map = *table.map;
  if (table.keyless) {
    auto chunk = select(table, "", limit + 1);
    if (chunk.isOk() && chunk->rows.size() > limit) {
      return Status::invalidArgument(fmt::format(
          "{}.{} has no primary key and no unique index over NOT NULL columns, and more than {} "
          "rows: it is read in one pass, which [snapshot] keyless_max_rows bounds. Add a primary "
          "key, or raise keyless_max_rows",
          map.database, map.table, limit));
    }
    if (chunk.isOk()) {
      chunk->end_of_table = true;
    }
    return chunk;
  }
  std::string where;
  if (!after.empty()) {
    std::string bound;
    size_t k = 0;
    for (size_t start = 0; start <= after.size(); ++k) {
      const size_t comma = std::min(after.find(',', start), after.size());
      std::string text;
      const std::string_view part = after.substr(start, comma - start);
      if (k >= map.primary_key.size() || part.empty() || part.front() != 'x' ||
          !unhex(part.substr(1), text)) {
        return Status::invalidArgument(
            fmt::format("snapshot key '{}' does not fit the key of {}.{} (the state file names "
                        "another table, or was edited)",
                        after, map.database, map.table));
      }
      const uint32_t column = map.primary_key[k];
      auto literal = keyLiteral(map.columns[column], columnsOf(table)[column], text);
      if (!literal.isOk()) {
        return literal.status();
      }
      bound += (bound.empty() ? "" : ", ") + *literal;
      start = comma + 1;
    }
    if (k != map.primary_key.size()) {
      return Status::invalidArgument(
          fmt::format("snapshot key '{}' has {} values; the key of {}.{} has {} columns", after, k,
                      map.database, map.table, map.primary_key.size()));
    }
    where = fmt::format("WHERE ({}) > ({})", keyList(map), bound);
  }
  auto chunk = select(table, where, limit);
  if (chunk.isOk()) {
    chunk->end_of_table = chunk->rows.size() < limit;
  }
  return chunk;
}

Result<SnapshotChunk> SnapshotReader::readKeys(const SnapshotTable& table,
                                               const std::vector<std::string>& keys_json) {
  MM_RETURN_IF_ERROR(connect());
  const binlog::TableMap& map = *table.map;
  std::string list;
  for (const std::string& json : keys_json) {
    rapidjson::Document doc;
    doc.Parse(json.c_str());
    if (doc.HasParseError() || !doc.IsObject()) {
      return Status::invalidArgument(fmt::format("'{}' is not a keys object", json));
    }
    std::string tuple;
    for (uint32_t k : map.primary_key) {
      const TableMapColumn& c = map.columns[k];
      auto member = doc.FindMember(c.name.c_str());
      if (member == doc.MemberEnd() || member->value.IsNull()) {
        return Status::invalidArgument(fmt::format("'{}' lacks key column {}", json, c.name));
      }
      std::string text;
      const ColumnSql& sql = columnsOf(table)[k];
      if (member->value.IsString()) {
        text.assign(member->value.GetString(), member->value.GetStringLength());
        if (isTemporal(c.real_type)) {
          std::replace(text.begin(), text.end(), 'T', ' ');
          if (!text.empty() && text.back() == 'Z') {
            text.pop_back();
          }
        } else if (sql.charset.empty() || sql.charset == "binary") {
          std::string bytes;
          if (!decodeBase64(text, bytes)) {
            return Status::invalidArgument(fmt::format("'{}': {} is not base64", json, c.name));
          }
          text = std::move(bytes);
        }
      } else if (member->value.IsNumber()) {
        text = member->value.IsUint64()  ? std::to_string(member->value.GetUint64())
               : member->value.IsInt64() ? std::to_string(member->value.GetInt64())
                                         : fmt::format("{}", member->value.GetDouble());
      }
      const bool utf8_text = member->value.IsString() && !isTemporal(c.real_type) &&
                             !sql.charset.empty() && sql.charset != "binary" &&
                             isPlainName(sql.charset) && isPlainName(sql.collation);
      Result<std::string> literal =
          utf8_text ? Result<std::string>(fmt::format("CONVERT(_utf8mb4 X'{}' USING {}) COLLATE {}",
                                                      hex(text), sql.charset, sql.collation))
                    : keyLiteral(c, sql, text);
      if (!literal.isOk()) {
        return literal.status();
      }
      tuple += (tuple.empty() ? "" : ", ") + *literal;
    }
    list += (list.empty() ? "(" : ", (") + tuple + ")";
  }
  if (list.empty()) {
    return SnapshotChunk{{}, nullptr, {}, {}, true};
  }
  auto chunk = select(table, fmt::format("WHERE ({}) IN ({})", keyList(map), list), 0);
  if (chunk.isOk()) {
    chunk->end_of_table = true;
    chunk->last_key.clear();
  }
  return chunk;
}

Result<binlog::Position> SnapshotReader::highWatermark(bool consistent_snapshot) {
  if (consistent_snapshot) {
    auto rows = connection_.query("SHOW STATUS LIKE 'binlog_snapshot_%'");
    if (!rows.isOk()) {
      return rows.status();
    }
    binlog::Position at;
    for (const Row& row : *rows) {
      const std::string name = row[0].value_or("");
      const std::string value = row[1].value_or("");
      if (name == "Binlog_snapshot_file" || name == "binlog_snapshot_file") {
        at.file = value.substr(value.find_last_of('/') + 1);
      } else if (name == "Binlog_snapshot_position" || name == "binlog_snapshot_position") {
        at.offset = parseDecimal<uint64_t>(value).value_or(0);
      }
    }
    if (at.file.empty()) {
      return Status::invalidArgument(
          fmt::format("server {} reports no binlog_snapshot_file: binary logging (log_bin) is off",
                      connection_.where()));
    }
    return at;
  }
  auto rows = binlogStatus(connection_);
  if (!rows.isOk()) {
    return rows.status();
  }
  if (rows->empty() || !(*rows)[0][0] || !(*rows)[0][1]) {
    return Status::invalidArgument(
        fmt::format("server {}: SHOW MASTER STATUS is empty: binary logging (log_bin) is off",
                    connection_.where()));
  }
  return binlog::Position{*(*rows)[0][0], parseDecimal<uint64_t>(*(*rows)[0][1]).value_or(0)};
}

Result<SnapshotChunk> SnapshotReader::select(const SnapshotTable& table, const std::string& where,
                                             size_t limit) {
  const binlog::TableMap& map = *table.map;
  std::string sql =
      fmt::format("SELECT {} FROM {} {}", selectList(map), tableSql(table.name), where);
  if (!table.keyless) {
    sql += " ORDER BY " + keyList(map);
  }
  if (limit != 0) {
    sql += fmt::format(" LIMIT {}", limit);
  }
  auto fail = [&](const Status& status) {
    (void)connection_.execute("ROLLBACK");
    Status out = status.withContext(fmt::format("snapshot of {}.{}", map.database, map.table));
    if (out.code() == StatusCode::Io) {
      connection_.close();  // reconnected by the next call
    }
    return out;
  };
  SnapshotChunk chunk;
  if (Status s = connection_.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT"); !s.isOk()) {
    return fail(s);
  }
  if (mariadb_) {
    auto at = highWatermark(true);
    if (!at.isOk()) {
      return fail(at.status());
    }
    chunk.high_watermark = *at;
  }
  if (Status s = fetchRows(table, sql, chunk); !s.isOk()) {
    return fail(s);
  }
  if (Status s = connection_.execute("COMMIT"); !s.isOk()) {
    return fail(s);
  }
  if (!mariadb_) {
    auto at = highWatermark(false);
    if (!at.isOk()) {
      return fail(at.status());
    }
    chunk.high_watermark = *at;
  }
  return chunk;
}

Status SnapshotReader::fetchRows(const SnapshotTable& table, const std::string& sql,
                                 SnapshotChunk& chunk) {
  const binlog::TableMap& map = *table.map;
  std::unique_ptr<MYSQL_STMT, decltype(&mysql_stmt_close)> stmt(
      mysql_stmt_init(connection_.handle()), &mysql_stmt_close);
  auto stmtError = [&](std::string_view doing) {
    return Connection::errorStatus(
        mysql_stmt_errno(stmt.get()),
        fmt::format("server {}: {}: {}", connection_.where(), doing, mysql_stmt_error(stmt.get())));
  };
  if (stmt == nullptr) {
    return connection_.lastError("preparing the snapshot SELECT");
  }
  const my_bool update_max_length = 1;
  mysql_stmt_attr_set(stmt.get(), STMT_ATTR_UPDATE_MAX_LENGTH, &update_max_length);
  if (mysql_stmt_prepare(stmt.get(), sql.data(), sql.size()) != 0) {
    return stmtError("preparing the snapshot SELECT");
  }
  if (mysql_stmt_execute(stmt.get()) != 0 || mysql_stmt_store_result(stmt.get()) != 0) {
    return stmtError("running the snapshot SELECT");
  }
  std::unique_ptr<MYSQL_RES, decltype(&mysql_free_result)> meta(
      mysql_stmt_result_metadata(stmt.get()), &mysql_free_result);
  const size_t n = map.columns.size();
  if (meta == nullptr || mysql_num_fields(meta.get()) != n) {
    return Status::io("the snapshot SELECT returned other columns than described; trying again");
  }
  std::vector<Bound> bound(n);
  std::vector<MYSQL_BIND> binds(n);
  MYSQL_FIELD* fields = mysql_fetch_fields(meta.get());
  for (size_t i = 0; i < n; ++i) {
    Bound& b = bound[i];
    MYSQL_BIND& bind = binds[i];
    std::memset(&bind, 0, sizeof(bind));
    b.as = boundAs(map.columns[i]);
    bind.is_null = &b.is_null;
    bind.error = &b.error;
    bind.length = &b.length;
    switch (b.as) {
      case Bound::As::Integer:
        bind.buffer_type = MYSQL_TYPE_LONGLONG;
        bind.buffer = &b.integer;
        bind.is_unsigned = map.columns[i].is_unsigned;
        break;
      case Bound::As::Float:
        bind.buffer_type = MYSQL_TYPE_FLOAT;
        bind.buffer = &b.f;
        break;
      case Bound::As::Double:
        bind.buffer_type = MYSQL_TYPE_DOUBLE;
        bind.buffer = &b.d;
        break;
      case Bound::As::Time:
        bind.buffer_type = map.columns[i].real_type == binlog::MYSQL_TYPE_TIME2
                               ? MYSQL_TYPE_TIME
                               : MYSQL_TYPE_DATETIME;
        bind.buffer = &b.time;
        break;
      case Bound::As::Bytes:
        b.bytes.resize(std::max<unsigned long>(fields[i].max_length, 1));
        bind.buffer_type = MYSQL_TYPE_BLOB;
        bind.buffer = b.bytes.data();
        bind.buffer_length = b.bytes.size();
        break;
    }
  }
  if (mysql_stmt_bind_result(stmt.get(), binds.data()) != 0) {
    return stmtError("binding the snapshot SELECT's columns");
  }
  auto storage = std::make_shared<std::string>();
  struct Span {
    size_t offset, size;
    bool null;
  };
  std::vector<Span> spans;
  std::vector<std::string> key_texts;
  int fetched = 0;
  while ((fetched = mysql_stmt_fetch(stmt.get())) == 0 || fetched == MYSQL_DATA_TRUNCATED) {
    for (size_t i = 0; i < n; ++i) {
      const Bound& b = bound[i];
      if (b.is_null) {
        spans.push_back({0, 0, true});
        continue;
      }
      if (b.as == Bound::As::Bytes && b.length > b.bytes.size()) {
        return Status::io("a snapshot value grew while it was read; trying again");
      }
      const size_t offset = storage->size();
      Status encoded = binlog::encodeValue(map.columns[i], sqlValue(map.columns[i], b), *storage);
      if (!encoded.isOk()) {
        return encoded.withContext(fmt::format("column {}", map.columns[i].name));
      }
      spans.push_back({offset, storage->size() - offset, false});
    }
    key_texts.clear();
    for (uint32_t k : map.primary_key) {
      key_texts.push_back(keyText(map.columns[k], bound[k]));
    }
  }
  if (fetched != MYSQL_NO_DATA) {
    return stmtError("reading the snapshot SELECT's rows");
  }
  const auto* base = reinterpret_cast<const uint8_t*>(storage->data());
  for (size_t r = 0; r * n < spans.size(); ++r) {
    std::vector<binlog::Cell>& cells = chunk.rows.emplace_back(n);
    for (size_t i = 0; i < n; ++i) {
      const Span& s = spans[r * n + i];
      cells[i].state = s.null ? binlog::Cell::State::Null : binlog::Cell::State::Value;
      if (!s.null) {
        cells[i].bytes = std::span<const uint8_t>(base + s.offset, s.size);
      }
    }
  }
  // "x" before each value: an empty string key still makes a non-empty key text.
  for (const std::string& text : key_texts) {
    chunk.last_key += (chunk.last_key.empty() ? "x" : ",x") + hex(text);
  }
  chunk.storage = std::move(storage);
  return Status::ok();
}

}  // namespace mm::mysql
