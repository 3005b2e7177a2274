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
#include "binlog/json_text.h"
#include "binlog/value_encoder.h"
#include "common/base64.h"
#include "common/decimal.h"
#include "mysql/binary_logs.h"
#include "mysql/snapshot_key.h"

namespace mm::mysql {
namespace {

using binlog::TableMapColumn;

std::string tableSql(const binlog::TableName& t) {
  return quoteIdentifier(t.database) + "." + quoteIdentifier(t.table);
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
  switch (keyTextKind(c.real_type)) {
    case KeyTextKind::Number: return Bound::As::Integer;
    case KeyTextKind::Temporal: return Bound::As::Time;
    case KeyTextKind::Bytes: break;
  }
  return Bound::As::Bytes;
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
    // The float widened: a double literal that equals the column's value, as "1.1" would not.
    case Bound::As::Float: return fmt::format("{}", static_cast<double>(b.f));
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
    out += indexed ? quoteIdentifier(c.name) + "+0" : quoteIdentifier(c.name);
  }
  return out;
}

}  // namespace

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
  auto described = describeOnce(table);
  if (!described.isOk() && described.status().code() == StatusCode::Io) {
    // One retry on a fresh connection, as InformationSchema's: it idles between tables.
    connection_.close();
    described = describeOnce(table);
  }
  return described;
}

Result<SnapshotTable> SnapshotReader::describeOnce(const binlog::TableName& table) {
  const std::string context = fmt::format("snapshot of {}.{}", table.database, table.table);
  MM_RETURN_IF_ERROR(connect().withContext(context + ": connecting"));
  auto schema = information_schema_.lookup(table.database, table.table);
  if (!schema.isOk()) {
    return schema.status().withContext(context);
  }
  const std::string where = fmt::format("TABLE_SCHEMA = {} AND TABLE_NAME = {}",
                                        quoteLiteral(connection_, table.database),
                                        quoteLiteral(connection_, table.table));
  auto rows = connection_.query(fmt::format(
      "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, CHARACTER_OCTET_LENGTH, NUMERIC_PRECISION, "
      "NUMERIC_SCALE, DATETIME_PRECISION, CHARACTER_SET_NAME, COLLATION_NAME, (SELECT ID FROM "
      "information_schema.COLLATIONS co WHERE co.COLLATION_NAME = c.COLLATION_NAME) FROM "
      "information_schema.COLUMNS c WHERE {} ORDER BY ORDINAL_POSITION",
      where));
  if (!rows.isOk()) {
    return rows.status().withContext(context + ": reading its columns");
  }
  auto map = tableMap(table, *rows, *schema);
  if (!map.isOk()) {
    return map.status().withContext(context);
  }
  auto estimate = connection_.query(
      fmt::format("SELECT TABLE_ROWS FROM information_schema.TABLES WHERE {}", where));
  if (!estimate.isOk()) {
    return estimate.status().withContext(context + ": reading its row estimate");
  }
  SnapshotTable out;
  out.name = table;
  out.keyless = map->primary_key.empty();
  out.estimated_rows =
      estimate->empty() ? 0 : parseDecimal<uint64_t>((*estimate)[0][0].value_or("0")).value_or(0);
  out.map = std::make_shared<const binlog::TableMap>(std::move(*map));
  return out;
}

Result<binlog::TableMap> SnapshotReader::tableMap(const binlog::TableName& table,
                                                  const std::vector<Row>& rows,
                                                  const binlog::TableSchema& schema) {
  if (rows.size() != schema.columns.size()) {
    return Status::io(fmt::format("the table changed while it was described on {}; trying again",
                                  connection_.where()));
  }
  binlog::TableMap map;
  map.database = table.database;
  map.table = table.table;
  std::vector<ColumnSql> sql;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& row = rows[i];
    TableMapColumn c;
    MM_RETURN_IF_ERROR(binlogType(row, schema.columns[i].members.size(), c));
    c.nullable = schema.columns[i].nullable;
    if (binlog::isCharacterType(c.real_type) || c.real_type == binlog::MYSQL_TYPE_ENUM ||
        c.real_type == binlog::MYSQL_TYPE_SET) {
      // The column's own collation, as binlog_row_metadata = FULL logs it; none is binary.
      c.collation = row[9] ? parseDecimal<uint32_t>(*row[9]).value_or(0)
                           : (row[8] ? 0 : binlog::kBinaryCollation);
    }
    binlog::ValueLayout layout;
    if (binlog::valueLayout(c, layout).isOk()) {
      c.value_width = layout.fixed;
      c.value_prefix = layout.prefix;
    }
    map.columns.push_back(std::move(c));
    sql.push_back({row[0].value_or(""), row[7].value_or(""), row[8].value_or("")});
  }
  auto completed = binlog::completeTableMap(map, schema);
  if (completed.isOk()) {
    columns_[table.database + "." + table.table] = std::move(sql);
  }
  return completed;
}

const std::vector<ColumnSql>& SnapshotReader::columnsOf(const SnapshotTable& table) {
  return columns_[table.name.database + "." + table.name.table];
}

Result<SnapshotChunk> SnapshotReader::readChunk(const SnapshotTable& table, std::string_view after,
                                                size_t limit) {
  const binlog::TableMap& map = *table.map;
  if (table.keyless) {
    auto chunk = selectWithRetry(table, "", limit + 1, "reading the keyless table in one pass");
    if (chunk.isOk() && chunk->rows.size() > limit) {
      return keylessTooLarge(table, limit);
    }
    if (chunk.isOk()) {
      chunk->end_of_table = true;
    }
    return chunk;
  }
  std::string where;
  if (!after.empty()) {
    auto bound = rowsAfter(map, columnsOf(table), after);
    if (!bound.isOk()) {
      return bound.status();
    }
    where = std::move(*bound);
  }
  auto chunk = selectWithRetry(table, where, limit, "reading a chunk of rows in key order");
  if (chunk.isOk()) {
    chunk->end_of_table = chunk->rows.size() < limit;
  }
  return chunk;
}

Status SnapshotReader::keylessTooLarge(const SnapshotTable& table, size_t limit) {
  const binlog::TableMap& map = *table.map;
  auto count = connection_.query(fmt::format("SELECT COUNT(*) FROM {}", tableSql(table.name)));
  const std::string rows = count.isOk() && !count->empty() && (*count)[0][0]
                               ? *(*count)[0][0]
                               : fmt::format("more than {}", limit);
  return Status::invalidArgument(fmt::format(
      "{}.{} on {} has no primary key and no unique index over NOT NULL columns, and {} rows: "
      "such a table is read in one pass, of at most [snapshot] keyless_max_rows = {} rows. Add a "
      "primary key (or a unique index over NOT NULL columns), or raise keyless_max_rows",
      map.database, map.table, connection_.where(), rows, limit));
}

Result<SnapshotChunk> SnapshotReader::readKeys(const SnapshotTable& table,
                                               const std::vector<std::string>& keys_json) {
  std::string list;
  for (const std::string& json : keys_json) {
    auto tuple = keysObjectLiterals(*table.map, columnsOf(table), json);
    if (!tuple.isOk()) {
      return tuple.status();
    }
    list += (list.empty() ? "(" : ", (") + *tuple + ")";
  }
  if (list.empty()) {
    return SnapshotChunk{{}, nullptr, {}, {}, true};
  }
  auto chunk =
      selectWithRetry(table, fmt::format("WHERE ({}) IN ({})", keyColumnList(*table.map), list), 0,
                      "reading rows again by key");
  if (chunk.isOk()) {
    chunk->end_of_table = true;
    chunk->last_key.clear();
  }
  return chunk;
}

Result<SnapshotChunk> SnapshotReader::selectWithRetry(const SnapshotTable& table,
                                                      const std::string& where, size_t limit,
                                                      std::string_view purpose) {
  Status connected = connect();
  auto chunk =
      connected.isOk() ? select(table, where, limit, purpose) : Result<SnapshotChunk>(connected);
  if (!chunk.isOk() && chunk.status().code() == StatusCode::Io) {
    // A lost connection (or a row that changed under the read) is tried once more, fresh.
    connection_.close();
    MM_RETURN_IF_ERROR(connect().withContext(
        fmt::format("snapshot of {}.{}: {}", table.name.database, table.name.table, purpose)));
    chunk = select(table, where, limit, purpose);
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
                                             size_t limit, std::string_view purpose) {
  const binlog::TableMap& map = *table.map;
  std::string sql =
      fmt::format("SELECT {} FROM {} {}", selectList(map), tableSql(table.name), where);
  if (!table.keyless) {
    sql += " ORDER BY " + keyColumnList(map);
  }
  if (limit != 0) {
    sql += fmt::format(" LIMIT {}", limit);
  }
  auto fail = [&](const Status& status) {
    (void)connection_.execute("ROLLBACK");
    Status out =
        status.withContext(fmt::format("snapshot of {}.{}: {}", map.database, map.table, purpose));
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

namespace {

using Statement = std::unique_ptr<MYSQL_STMT, decltype(&mysql_stmt_close)>;

// Binds every result column of `stmt` to `bound`, as boundAs() says, string buffers sized to the
// longest value the stored result holds (STMT_ATTR_UPDATE_MAX_LENGTH).
bool bindResults(MYSQL_STMT* stmt, MYSQL_RES* meta, const binlog::TableMap& map,
                 std::vector<Bound>& bound) {
  const size_t n = map.columns.size();
  std::vector<MYSQL_BIND> binds(n);
  MYSQL_FIELD* fields = mysql_fetch_fields(meta);
  bound.assign(n, Bound{});
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
  return mysql_stmt_bind_result(stmt, binds.data()) == 0;
}

// The rows fetched so far, encoded: where each value is in `storage` (or that it is NULL).
struct EncodedRows {
  struct Span {
    size_t offset, size;
    bool null;
  };
  std::shared_ptr<std::string> storage = std::make_shared<std::string>();
  std::vector<Span> spans;
  std::vector<std::string> last_key;  // the last row's key values in their text form
  // MySQL: a JSON column's SELECT text (`{"a": 1}`) is compacted into what its binlog's binary
  // document renders as (binlog::compactJsonText); MariaDB's JSON is text, logged as stored.
  bool compact_json = false;
  std::string json;

  Status add(const binlog::TableMap& map, const std::vector<Bound>& bound) {
    for (size_t i = 0; i < bound.size(); ++i) {
      const Bound& b = bound[i];
      if (b.is_null) {
        spans.push_back({0, 0, true});
        continue;
      }
      if (b.as == Bound::As::Bytes && b.length > b.bytes.size()) {
        return Status::io("a snapshot value grew while it was read; trying again");
      }
      const size_t offset = storage->size();
      binlog::SqlValue value = sqlValue(map.columns[i], b);
      if (compact_json && map.columns[i].is_json) {
        json = binlog::compactJsonText(value.bytes);
        value.bytes = json;
      }
      Status encoded = binlog::encodeValue(map.columns[i], value, *storage);
      if (!encoded.isOk()) {
        return encoded.withContext(fmt::format("column {}", map.columns[i].name));
      }
      spans.push_back({offset, storage->size() - offset, false});
    }
    last_key.clear();
    for (uint32_t k : map.primary_key) {
      last_key.push_back(keyText(map.columns[k], bound[k]));
    }
    return Status::ok();
  }

  // The cells of every row, viewing into the storage the chunk keeps.
  void into(size_t columns, SnapshotChunk& chunk) {
    const auto* base = reinterpret_cast<const uint8_t*>(storage->data());
    for (size_t r = 0; r * columns < spans.size(); ++r) {
      std::vector<binlog::Cell>& cells = chunk.rows.emplace_back(columns);
      for (size_t i = 0; i < columns; ++i) {
        const Span& s = spans[r * columns + i];
        cells[i].state = s.null ? binlog::Cell::State::Null : binlog::Cell::State::Value;
        if (!s.null) {
          cells[i].bytes = std::span<const uint8_t>(base + s.offset, s.size);
        }
      }
    }
    // "x" before each value: an empty string key still makes a non-empty key text.
    chunk.last_key = encodeKeyText(last_key);
    chunk.storage = std::move(storage);
  }
};

}  // namespace

Status SnapshotReader::fetchRows(const SnapshotTable& table, const std::string& sql,
                                 SnapshotChunk& chunk) {
  const binlog::TableMap& map = *table.map;
  Statement stmt(mysql_stmt_init(connection_.handle()), &mysql_stmt_close);
  if (stmt == nullptr) {
    return connection_.lastError("preparing the snapshot SELECT");
  }
  auto stmtError = [&](std::string_view doing) {
    return Connection::errorStatus(
        mysql_stmt_errno(stmt.get()),
        fmt::format("server {}: {}: {}", connection_.where(), doing, mysql_stmt_error(stmt.get())));
  };
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
  if (meta == nullptr || mysql_num_fields(meta.get()) != map.columns.size()) {
    return Status::io("the snapshot SELECT returned other columns than described; trying again");
  }
  std::vector<Bound> bound;
  if (!bindResults(stmt.get(), meta.get(), map, bound)) {
    return stmtError("binding the snapshot SELECT's columns");
  }
  EncodedRows rows;
  rows.compact_json = !mariadb_;
  int fetched = 0;
  while ((fetched = mysql_stmt_fetch(stmt.get())) == 0 || fetched == MYSQL_DATA_TRUNCATED) {
    MM_RETURN_IF_ERROR(rows.add(map, bound));
  }
  if (fetched != MYSQL_NO_DATA) {
    return stmtError("reading the snapshot SELECT's rows");
  }
  rows.into(map.columns.size(), chunk);
  return Status::ok();
}

}  // namespace mm::mysql
