// table_copy: keeps a copy of one table up to date from mysql-monitor's messages, in C++ with
// rabbitmq-c, MariaDB Connector/C and RapidJSON (the libraries the monitor itself uses).
//
// Each row message of the source table is applied to the copy table (created LIKE the source when
// missing) in one transaction with a journal row, and acknowledged only after that commit: a crash
// before the ack makes RabbitMQ deliver the message again, never lose it.
//
// Applying is idempotent and follows the stream's order (REPLACE for inserts, UPDATE/DELETE by
// key), so the at-least-once stream's duplicates (the monitor re-sends what was not yet
// checkpointed after a crash; README "Delivery") leave the copy right when applied again, in
// order. The journal (COPY_journal: one row per message_id) is where de-duplication matters: it
// records each change once, and a message whose message_id it already holds is reported as a
// duplicate.
//
// A snapshot (README "Messages") re-syncs the copy: row_snapshot is applied as an upsert (REPLACE,
// like row_insert). On the source's snapshot_start the copy's current keys are listed as stale in
// COPY_stale (the copy's key columns and the snapshot id); every row message of the source removes
// its keys (an update: old and new) from that list in the transaction that applies it, so a
// restart of this consumer loses nothing; on snapshot_end of the same snapshot id the copy's rows
// still listed are deleted (the source no longer has them) and the list goes. A snapshot_start of
// another snapshot id starts a new list; the same one again (a redelivery, or the snapshot of the
// table starting over after a DDL) keeps the list, which then only lacks keys seen since that
// snapshot began. A cancelled snapshot sends no snapshot_end: its list stays, deletes nothing, and
// the next snapshot_start replaces it. The same program as examples/python/table_copy.py, option
// for option:
//
//   build/table_copy --exchange mysql-monitor --queue employee-copy --mysql-user app
//                    --mysql-password secret --source shop.employee --copy shop.employee_copy
//
// SIGTERM or Ctrl-C stops it cleanly (exit 0); errors exit 1 without acknowledging the message.
//
// It reads [message] format = origin too (docs/migrating-from-the-python-monitor.md): a row
// message without "database" is the Python monitor's, of the source's database; its update keys
// are the row's after the update, and its binary, BIT and TIME values are the origin's text.
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <mysql.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <CLI/CLI.hpp>

namespace {

volatile std::sig_atomic_t g_stopping = 0;

struct Options {
  std::string amqp_host = "127.0.0.1", amqp_user = "guest", amqp_password = "guest",
              amqp_vhost = "/";
  int amqp_port = 5672;
  std::string exchange = "mysql-monitor", exchange_type = "fanout", binding_key = "#", queue;
  std::string mysql_host = "127.0.0.1", mysql_user, mysql_password;
  int mysql_port = 3306;
  std::string source, copy;
  bool verbose = false;
  int stop_after = 0;
};

struct TableName {
  std::string database, table;
};

TableName splitTable(const std::string& text) {
  const auto dot = text.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == text.size()) {
    throw std::runtime_error("'" + text + "' is not DATABASE.TABLE");
  }
  return {text.substr(0, dot), text.substr(dot + 1)};
}

std::string quoteName(const std::string& name) {
  std::string out = "`";
  for (char c : name) {
    out += c == '`' ? "``" : std::string(1, c);
  }
  return out + "`";
}

std::string json(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return {buffer.GetString(), buffer.GetSize()};
}

class Sql {
 public:
  explicit Sql(const Options& o) : mysql_(mysql_init(nullptr)) {
    if (mysql_real_connect(mysql_, o.mysql_host.c_str(), o.mysql_user.c_str(),
                           o.mysql_password.c_str(), nullptr, static_cast<unsigned>(o.mysql_port),
                           nullptr, 0) == nullptr) {
      fail("connect to " + o.mysql_host);
    }
    mysql_set_character_set(mysql_, "utf8mb4");
    mysql_autocommit(mysql_, 0);
    execute("SET time_zone = '+00:00'");  // TIMESTAMP values arrive in UTC
  }
  ~Sql() { mysql_close(mysql_); }

  // Runs one statement; returns the rows it affected.
  uint64_t execute(const std::string& sql) {
    if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
      fail(sql.substr(0, 200));
    }
    if (MYSQL_RES* result = mysql_store_result(mysql_)) {
      mysql_free_result(result);
    }
    return mysql_affected_rows(mysql_);
  }

  // The rows of a query, every column as text (NULL as "").
  std::vector<std::vector<std::string>> rows(const std::string& sql) {
    if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
      fail(sql.substr(0, 200));
    }
    std::vector<std::vector<std::string>> out;
    MYSQL_RES* result = mysql_store_result(mysql_);
    const unsigned columns = result ? mysql_num_fields(result) : 0;
    while (MYSQL_ROW row = result ? mysql_fetch_row(result) : nullptr) {
      auto& out_row = out.emplace_back();
      for (unsigned i = 0; i < columns; ++i) {
        out_row.emplace_back(row[i] ? row[i] : "");
      }
    }
    mysql_free_result(result);
    return out;
  }

  std::string quote(const std::string& text) {
    std::string out(text.size() * 2 + 1, '\0');
    out.resize(mysql_real_escape_string(mysql_, out.data(), text.data(), text.size()));
    return "'" + out + "'";
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error("MySQL: " + what + ": " + mysql_error(mysql_));
  }
  MYSQL* mysql_;
};

// Applies row messages of `source` to `copy` through one MySQL connection.
class TableCopy {
 public:
  TableCopy(Sql& sql, TableName source, TableName copy, bool verbose)
      : sql_(sql), source_(std::move(source)), copy_(std::move(copy)), verbose_(verbose),
        copy_name_(quoteName(copy_.database) + "." + quoteName(copy_.table)),
        journal_name_(quoteName(copy_.database) + "." + quoteName(copy_.table + "_journal")),
        stale_name_(quoteName(copy_.database) + "." + quoteName(copy_.table + "_stale")) {
    sql_.execute("CREATE TABLE IF NOT EXISTS " + copy_name_ + " LIKE " +
                 quoteName(source_.database) + "." + quoteName(source_.table));
    sql_.execute("CREATE TABLE IF NOT EXISTS " + journal_name_ +
                 " (message_id VARCHAR(255) PRIMARY KEY, type VARCHAR(16) NOT NULL, "
                 "applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)");
    for (auto& row :
         sql_.rows("SELECT COLUMN_NAME, LOWER(DATA_TYPE) FROM information_schema.COLUMNS "
                   "WHERE TABLE_SCHEMA = " +
                   sql_.quote(copy_.database) + " AND TABLE_NAME = " + sql_.quote(copy_.table))) {
      column_types_[row[0]] = row[1];
    }
    createStaleTable();
    sql_.execute("COMMIT");
  }

  // Applies one delivery's body when it is a row message of the source; other messages pass.
  void handle(const std::string& message_id, const std::string& body) {
    rapidjson::Document message;
    message.Parse(body.c_str());
    if (message.HasParseError() || !message.IsObject() || !message.HasMember("type")) {
      throw std::runtime_error("not a mysql-monitor message: " + body.substr(0, 200));
    }
    const std::string type = message["type"].GetString();
    if (type == "gap") {
      std::fprintf(
          stderr,
          "table_copy: WARNING: changes between %s and %s were lost (purged binlog); %s.%s must be "
          "copied again from %s.%s\n",
          message["from"].GetString(), message["to"].GetString(), copy_.database.c_str(),
          copy_.table.c_str(), source_.database.c_str(), source_.table.c_str());
      return;
    }
    if (type == "row_oversize") {
      rapidjson::StringBuffer keys;
      rapidjson::Writer<rapidjson::StringBuffer> writer(keys);
      message["keys"].Accept(writer);
      std::fprintf(
          stderr,
          "table_copy: WARNING: the %s of %s.%s keys %s was too large for the broker (%llu > %llu "
          "bytes) and is not in the copy: read that row from the source\n",
          message["row_type"].GetString(), message["database"].GetString(),
          message["table_name"].GetString(), keys.GetString(),
          static_cast<unsigned long long>(message["message_size"].GetUint64()),
          static_cast<unsigned long long>(message["max_message_size"].GetUint64()));
      return;
    }
    static const std::set<std::string> kApplied = {
        "row_insert", "row_update", "row_delete", "row_snapshot", "snapshot_start", "snapshot_end"};
    if (!kApplied.count(type)) {
      return;  // heartbeats
    }
    origin_ = !message.HasMember("database");
    if (origin_) {
      fromOrigin(type, message);
    }
    if (source_.database != message["database"].GetString() ||
        source_.table != message["table_name"].GetString()) {
      return;
    }
    if (message_id.empty()) {
      throw std::runtime_error(type + " message without a message_id");
    }
    const std::vector<std::string> statements =
        type == "snapshot_start" || type == "snapshot_end"
            ? snapshotStatements(type, message, journaled(message_id))
            : rowStatements(type, message);
    for (const std::string& statement : statements) {
      sql_.execute(statement);
    }
    const bool first_time =
        sql_.execute("INSERT IGNORE INTO " + journal_name_ + " (message_id, type) VALUES (" +
                     sql_.quote(message_id) + ", " + sql_.quote(type) + ")") == 1;
    sql_.execute("COMMIT");
    if (!first_time) {
      std::printf("table_copy: duplicate %s (applied again, journaled once)\n", message_id.c_str());
    } else if (verbose_) {
      std::printf("table_copy: applied %s %s\n", message_id.c_str(), body.c_str());
    }
    std::fflush(stdout);
  }

 private:
  // An origin message in the native form: the source's database, and an update's keys as they
  // were before it (the origin's are the ones after; a key column it changed is in before_values).
  void fromOrigin(const std::string& type, rapidjson::Document& message) {
    auto& allocator = message.GetAllocator();
    message.AddMember("database", rapidjson::Value(source_.database.c_str(), allocator), allocator);
    if (type != "row_update") {
      return;
    }
    const rapidjson::Value& before = message["before_values"];
    for (auto& key : message["keys"].GetObject()) {
      auto changed = before.FindMember(key.name);
      if (changed != before.MemberEnd()) {
        key.value.CopyFrom(changed->value, allocator);
      }
    }
  }

  // Python's str(timedelta) ("-1 day, 23:00:00", "4 days, 4:00:00.500000") as a TIME literal.
  static std::string serverTime(const std::string& text) {
    long long days = 0;
    std::string clock = text;
    if (const size_t comma = text.find(','); comma != std::string::npos) {
      days = std::stoll(text.substr(0, text.find(' ')));
      clock = text.substr(comma + 2);
    }
    int hours = 0, minutes = 0, seconds = 0;
    long long micros = 0;
    char fraction[8] = "";
    std::sscanf(clock.c_str(), "%d:%d:%d.%6s", &hours, &minutes, &seconds, fraction);
    micros = fraction[0] == '\0' ? 0 : std::stoll(fraction);
    long long total =
        days * 86400000000LL + ((hours * 60LL + minutes) * 60 + seconds) * 1000000LL + micros;
    const char* sign = total < 0 ? "-" : "";
    total = total < 0 ? -total : total;
    const long long whole = total / 1000000;
    char out[48];
    std::snprintf(out, sizeof(out), "%s%02lld:%02lld:%02lld.%06lld", sign, whole / 3600,
                  whole / 60 % 60, whole % 60, total % 1000000);
    return out;
  }

  // A message value as the SQL literal the server reads back to the same value.
  std::string literal(const std::string& column, const rapidjson::Value& value) {
    auto type = column_types_.find(column);
    if (type == column_types_.end()) {
      throw std::runtime_error("column " + column + " is not in " + copy_.database + "." +
                               copy_.table);
    }
    static const std::set<std::string> kBinary = {"binary", "varbinary",  "tinyblob",
                                                  "blob",   "mediumblob", "longblob"};
    if (value.IsNull()) {
      return "NULL";
    }
    if (value.IsBool()) {
      return value.GetBool() ? "1" : "0";
    }
    if (value.IsNumber()) {
      return json(value);
    }
    if (value.IsString()) {
      std::string text(value.GetString(), value.GetStringLength());
      if (origin_ && kBinary.count(type->second)) {
        return sql_.quote(text);  // the origin's text of UTF-8 bytes
      }
      if (origin_ && type->second == "bit") {
        return std::to_string(std::stoull(text, nullptr, 2));
      }
      if (origin_ && type->second == "time") {
        return sql_.quote(serverTime(text));
      }
      if (kBinary.count(type->second)) {
        return "FROM_BASE64(" + sql_.quote(text) + ")";
      }
      if (type->second == "timestamp" && !text.empty() && text.back() == 'Z') {
        text.pop_back();  // the session's time zone is UTC
      }
      return sql_.quote(text);
    }
    if (value.IsArray() && type->second == "set") {
      std::string members;
      for (const auto& member : value.GetArray()) {
        members += (members.empty() ? "" : ",") + std::string(member.GetString());
      }
      return sql_.quote(members);
    }
    return sql_.quote(json(value));  // a JSON column's document
  }

  std::string where(const rapidjson::Value& keys) {
    if (keys.ObjectEmpty()) {
      throw std::runtime_error(source_.database + "." + source_.table +
                               " has no primary key: the copy cannot find its rows");
    }
    std::string clause;
    for (const auto& key : keys.GetObject()) {
      clause += (clause.empty() ? "" : " AND ") + quoteName(key.name.GetString()) + " = " +
                literal(key.name.GetString(), key.value);
    }
    return clause;
  }

  // COPY_stale: the keys of the copy a snapshot has not yet seen, by the copy's primary key.
  void createStaleTable() {
    const auto keys = sql_.rows(
        "SELECT c.COLUMN_NAME, c.COLUMN_TYPE, c.COLLATION_NAME FROM information_schema.COLUMNS c "
        "JOIN information_schema.STATISTICS s ON s.TABLE_SCHEMA = c.TABLE_SCHEMA "
        "AND s.TABLE_NAME = c.TABLE_NAME AND s.COLUMN_NAME = c.COLUMN_NAME "
        "WHERE c.TABLE_SCHEMA = " +
        sql_.quote(copy_.database) + " AND c.TABLE_NAME = " + sql_.quote(copy_.table) +
        " AND s.INDEX_NAME = 'PRIMARY' ORDER BY s.SEQ_IN_INDEX");
    if (keys.empty()) {
      return;  // no snapshot re-sync without a key: snapshot_end then deletes nothing
    }
    std::string columns;
    for (const auto& key : keys) {
      columns += ", " + quoteName(key[0]) + " " + key[1] +
                 (key[2].empty() ? "" : " COLLATE " + key[2]) + " NOT NULL";
      key_columns_.push_back(key[0]);
      key_list_ += (key_list_.empty() ? "" : ", ") + quoteName(key[0]);
    }
    sql_.execute("CREATE TABLE IF NOT EXISTS " + stale_name_ +
                 " (snapshot_id VARCHAR(255) NOT NULL" + columns + ", PRIMARY KEY (" + key_list_ +
                 "))");
  }

  bool journaled(const std::string& message_id) {
    return !sql_.rows("SELECT 1 FROM " + journal_name_ +
                      " WHERE message_id = " + sql_.quote(message_id))
                .empty();
  }

  // The SQL of a snapshot_start or snapshot_end of the source (see the top of this file).
  std::vector<std::string> snapshotStatements(const std::string& type,
                                              const rapidjson::Value& message, bool duplicate) {
    const std::string snapshot_id = sql_.quote(message["snapshot_id"].GetString());
    if (key_columns_.empty() || (type == "snapshot_start" && duplicate)) {
      return {};  // the same snapshot_start again keeps its list
    }
    if (type == "snapshot_start") {
      return {"DELETE FROM " + stale_name_, "INSERT INTO " + stale_name_ + " (snapshot_id, " +
                                                key_list_ + ") SELECT " + snapshot_id + ", " +
                                                key_list_ + " FROM " + copy_name_};
    }
    return {"DELETE FROM " + copy_name_ + " WHERE (" + key_list_ + ") IN (SELECT " + key_list_ +
                " FROM " + stale_name_ + " WHERE snapshot_id = " + snapshot_id + ")",
            "DELETE FROM " + stale_name_ + " WHERE snapshot_id = " + snapshot_id};
  }

  // A row message's change, and the removal of its keys (an update: before and after) from the
  // stale list: the row is seen.
  std::vector<std::string> rowStatements(const std::string& type, const rapidjson::Value& message) {
    std::vector<std::string> statements;
    if (std::string statement = statementFor(type, message); !statement.empty()) {
      statements.push_back(std::move(statement));
    }
    const rapidjson::Value& keys = message["keys"];
    if (key_columns_.empty() || keys.ObjectEmpty()) {
      return statements;
    }
    statements.push_back("DELETE FROM " + stale_name_ + " WHERE " + where(keys));
    if (type == "row_update") {
      rapidjson::Document after;
      after.CopyFrom(keys, after.GetAllocator());
      bool moved = false;
      for (auto& key : after.GetObject()) {
        auto changed = message["after_values"].FindMember(key.name);
        if (changed != message["after_values"].MemberEnd()) {
          key.value.CopyFrom(changed->value, after.GetAllocator());
          moved = true;
        }
      }
      if (moved) {
        statements.push_back("DELETE FROM " + stale_name_ + " WHERE " + where(after));
      }
    }
    return statements;
  }

  std::string statementFor(const std::string& type, const rapidjson::Value& message) {
    if (type == "row_insert" || type == "row_snapshot") {
      std::string columns, values;
      for (const auto& column : message["values"].GetObject()) {
        columns += (columns.empty() ? "" : ", ") + quoteName(column.name.GetString());
        values += (values.empty() ? "" : ", ") + literal(column.name.GetString(), column.value);
      }
      return "REPLACE INTO " + copy_name_ + " (" + columns + ") VALUES (" + values + ")";
    }
    if (type == "row_update") {
      std::string assignments;
      for (const auto& column : message["after_values"].GetObject()) {
        assignments += (assignments.empty() ? "" : ", ") + quoteName(column.name.GetString()) +
                       " = " + literal(column.name.GetString(), column.value);
      }
      return assignments.empty() ? ""
                                 : "UPDATE " + copy_name_ + " SET " + assignments + " WHERE " +
                                       where(message["keys"]);
    }
    return "DELETE FROM " + copy_name_ + " WHERE " + where(message["keys"]);
  }

  Sql& sql_;
  TableName source_, copy_;
  bool verbose_;
  std::string copy_name_, journal_name_, stale_name_;
  std::map<std::string, std::string> column_types_;
  std::vector<std::string> key_columns_;  // the copy's primary key: COPY_stale's columns
  std::string key_list_;                  // the same, quoted and comma-separated
  bool origin_ = false;  // the message being applied is of [message] format = origin
};

void checkReply(amqp_rpc_reply_t reply, const char* what) {
  if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
    throw std::runtime_error(std::string("AMQP ") + what + " failed");
  }
}

int run(const Options& o) {
  Sql sql(o);
  TableCopy copy(sql, splitTable(o.source), splitTable(o.copy), o.verbose);

  amqp_connection_state_t amqp = amqp_new_connection();
  amqp_socket_t* socket = amqp_tcp_socket_new(amqp);
  if (socket == nullptr ||
      amqp_socket_open(socket, o.amqp_host.c_str(), o.amqp_port) != AMQP_STATUS_OK) {
    throw std::runtime_error("cannot reach the broker at " + o.amqp_host + ":" +
                             std::to_string(o.amqp_port));
  }
  checkReply(amqp_login(amqp, o.amqp_vhost.c_str(), 0, 131072, 30, AMQP_SASL_METHOD_PLAIN,
                        o.amqp_user.c_str(), o.amqp_password.c_str()),
             "login");
  constexpr amqp_channel_t kChannel = 1;
  amqp_channel_open(amqp, kChannel);
  checkReply(amqp_get_rpc_reply(amqp), "channel.open");
  amqp_exchange_declare(amqp, kChannel, amqp_cstring_bytes(o.exchange.c_str()),
                        amqp_cstring_bytes(o.exchange_type.c_str()), 0, /*durable=*/1, 0, 0,
                        amqp_empty_table);
  checkReply(amqp_get_rpc_reply(amqp), "exchange.declare");
  amqp_queue_declare(amqp, kChannel, amqp_cstring_bytes(o.queue.c_str()), 0, /*durable=*/1, 0, 0,
                     amqp_empty_table);
  checkReply(amqp_get_rpc_reply(amqp), "queue.declare");
  amqp_queue_bind(amqp, kChannel, amqp_cstring_bytes(o.queue.c_str()),
                  amqp_cstring_bytes(o.exchange.c_str()), amqp_cstring_bytes(o.binding_key.c_str()),
                  amqp_empty_table);
  checkReply(amqp_get_rpc_reply(amqp), "queue.bind");
  amqp_basic_qos(amqp, kChannel, 0, 100, 0);
  checkReply(amqp_get_rpc_reply(amqp), "basic.qos");
  amqp_basic_consume(amqp, kChannel, amqp_cstring_bytes(o.queue.c_str()), amqp_empty_bytes, 0,
                     /*no_ack=*/0, 0, amqp_empty_table);
  checkReply(amqp_get_rpc_reply(amqp), "basic.consume");
  std::printf("table_copy: consuming %s: %s -> %s\n", o.queue.c_str(), o.source.c_str(),
              o.copy.c_str());
  std::fflush(stdout);

  int handled = 0;
  while (!g_stopping) {
    amqp_maybe_release_buffers(amqp);
    amqp_envelope_t envelope;
    timeval tick{0, 500'000};
    const amqp_rpc_reply_t reply = amqp_consume_message(amqp, &envelope, &tick, 0);
    if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
        reply.library_error == AMQP_STATUS_TIMEOUT) {
      continue;
    }
    checkReply(reply, "basic.deliver");
    const auto& props = envelope.message.properties;
    const std::string message_id =
        (props._flags & AMQP_BASIC_MESSAGE_ID_FLAG)
            ? std::string(static_cast<const char*>(props.message_id.bytes), props.message_id.len)
            : "";
    const std::string body(static_cast<const char*>(envelope.message.body.bytes),
                           envelope.message.body.len);
    const uint64_t delivery_tag = envelope.delivery_tag;
    amqp_destroy_envelope(&envelope);
    copy.handle(message_id, body);
    if (o.stop_after > 0 && ++handled == o.stop_after) {
      std::printf("table_copy: stopping after %d messages without acknowledging %s\n", handled,
                  message_id.c_str());
      std::fflush(stdout);
      std::_Exit(3);
    }
    if (amqp_basic_ack(amqp, kChannel, delivery_tag, 0) != AMQP_STATUS_OK) {
      throw std::runtime_error("AMQP basic.ack failed");
    }
  }
  amqp_channel_close(amqp, kChannel, AMQP_REPLY_SUCCESS);
  amqp_connection_close(amqp, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(amqp);
  std::printf("table_copy: stopped\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Keeps a copy of one table up to date from mysql-monitor's messages (RabbitMQ)."};
  app.add_option("--amqp-host", o.amqp_host);
  app.add_option("--amqp-port", o.amqp_port);
  app.add_option("--amqp-user", o.amqp_user);
  app.add_option("--amqp-password", o.amqp_password);
  app.add_option("--amqp-vhost", o.amqp_vhost);
  app.add_option("--exchange", o.exchange, "the monitor's [amqp] exchange");
  app.add_option("--exchange-type", o.exchange_type, "the monitor's [amqp] exchange_type");
  app.add_option("--binding-key", o.binding_key);
  app.add_option("--queue", o.queue, "durable queue of this copy (survives restarts)")->required();
  app.add_option("--mysql-host", o.mysql_host);
  app.add_option("--mysql-port", o.mysql_port);
  app.add_option("--mysql-user", o.mysql_user)->required();
  app.add_option("--mysql-password", o.mysql_password);
  app.add_option("--source", o.source, "DATABASE.TABLE the monitor publishes")->required();
  app.add_option("--copy", o.copy, "DATABASE.TABLE to keep equal to it")->required();
  app.add_flag("--verbose", o.verbose, "print every message applied");
  app.add_option(
      "--stop-after", o.stop_after,
      "exit(3) after handling N messages, before acknowledging the Nth (shows the redelivery "
      "of an applied message)");
  CLI11_PARSE(app, argc, argv);
  std::signal(SIGTERM, [](int) { g_stopping = 1; });
  std::signal(SIGINT, [](int) { g_stopping = 1; });
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "table_copy: %s\n", e.what());
    return 1;
  }
}
