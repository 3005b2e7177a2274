#include "schema/schema_history.h"

#include <algorithm>
#include <charconv>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/line_format.h"

namespace mm::schema {
namespace {

using line_format::LineReader;
using line_format::LineWriter;

constexpr std::string_view kHeaderComment =
    "mysql-monitor schema history: the schema at a binlog point, then every change after it";

void appendTable(LineWriter& out, const binlog::Position& at, const binlog::TableName& name,
                 const binlog::TableSchema& schema) {
  out.fields({"table", at.file, std::to_string(at.offset), name.database, name.table,
              binlog::charsetName(schema.default_charset)});
  for (const binlog::SchemaColumn& c : schema.columns) {
    std::string flags;
    flags += c.is_unsigned ? "u" : "";
    flags += c.nullable ? "n" : "";
    flags += c.is_binary ? "b" : "";
    flags += c.is_json ? "j" : "";
    out.fields({"column", c.name, c.data_type, flags, binlog::charsetName(c.charset)}, c.members);
  }
  for (const binlog::UniqueKey& key : schema.unique_keys) {
    out.fields({"key", key.name}, key.columns);
  }
}

std::string shortened(std::string_view statement) {
  constexpr size_t kMax = 300;
  std::string out(statement.substr(0, kMax));
  std::replace(out.begin(), out.end(), '\n', ' ');
  return statement.size() > kMax ? out + "..." : out;
}

// The databases a statement names.
std::vector<std::string> namedDatabases(const DdlStatement& statement) {
  std::vector<std::string> out;
  auto add = [&](const binlog::TableName& t) { out.push_back(t.database); };
  std::visit(
      [&](const auto& s) {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, CreateTable>) {
          add(s.table);
        } else if constexpr (std::is_same_v<T, CreateTableLike>) {
          add(s.table);
          add(s.source);
        } else if constexpr (std::is_same_v<T, AlterTable>) {
          add(s.table);
          for (const AlterOperation& op : s.operations) {
            if (const auto* rename = std::get_if<RenameTableTo>(&op)) {
              add(rename->to);
            }
          }
        } else if constexpr (std::is_same_v<T, RenameTables>) {
          for (const auto& [from, to] : s.renames) {
            add(from);
            add(to);
          }
        } else if constexpr (std::is_same_v<T, DropTables>) {
          for (const auto& t : s.tables) {
            add(t);
          }
        } else if constexpr (std::is_same_v<T, CreateDatabase> || std::is_same_v<T, DropDatabase>) {
          out.push_back(s.name);
        } else if constexpr (std::is_same_v<T, Unparsed>) {
          for (const auto& t : s.tables) {
            add(t);
          }
        }
      },
      statement);
  return out;
}

// The records of a history file, replayed into a model up to `start`: table definitions recorded
// at or before it, statements before it. Records are in binlog order: once one lies beyond
// `start`, the rest do too.
class HistoryReplay {
 public:
  HistoryReplay(SchemaModel& model, const binlog::Position& start, const LineReader& reader)
      : model_(model), start_(start), reader_(reader) {}

  Status record(std::string_view line) {
    auto fields = line_format::splitFields(line);
    if (!fields.isOk()) {
      return reader_.error(fields.status().message());
    }
    const std::string& kind = fields->front();
    if (kind == "column" || kind == "key") {
      return tablePart(*fields);
    }
    finishTable();
    if (kind == "version") {
      if (fields->size() != 2 || (*fields)[1] != "1") {
        return reader_.error("unsupported version");
      }
      has_version_ = true;
      return Status::ok();
    }
    if (!has_version_) {
      return reader_.error("no version line first");
    }
    return positioned(*fields);
  }

  Status finish() {
    finishTable();
    return has_version_ ? Status::ok() : reader_.error("empty");
  }

 private:
  // A `column` or `key` line of the table being read.
  Status tablePart(const std::vector<std::string>& fields) {
    if (!in_table_) {
      return reader_.error(fmt::format("'{}' outside a table", fields[0]));
    }
    if (fields[0] == "key") {
      if (fields.size() < 3) {
        return reader_.error("a key needs a name and columns");
      }
      table_.unique_keys.push_back(
          binlog::UniqueKey{fields[1], {fields.begin() + 2, fields.end()}});
      return Status::ok();
    }
    if (fields.size() < 5) {
      return reader_.error("a column needs a name, a type, flags and a charset");
    }
    binlog::SchemaColumn c;
    c.name = fields[1];
    c.data_type = fields[2];
    c.is_unsigned = fields[3].find('u') != std::string::npos;
    c.nullable = fields[3].find('n') != std::string::npos;
    c.is_binary = fields[3].find('b') != std::string::npos;
    c.is_json = fields[3].find('j') != std::string::npos;
    c.charset = binlog::charsetByName(fields[4]);
    c.members.assign(fields.begin() + 5, fields.end());
    table_.columns.push_back(std::move(c));
    return Status::ok();
  }

  // A `table`, `ddl` or `forget` record: FILE POS DB, then its own fields.
  Status positioned(const std::vector<std::string>& fields) {
    const std::string& kind = fields[0];
    if (fields.size() < 5) {
      return reader_.error(fmt::format("'{}' needs a file, a position and a database", kind));
    }
    binlog::Position at{fields[1], 0};
    auto parsed = std::from_chars(fields[2].data(), fields[2].data() + fields[2].size(), at.offset);
    if (parsed.ec != std::errc() || parsed.ptr != fields[2].data() + fields[2].size()) {
      return reader_.error(fmt::format("invalid position '{}'", fields[2]));
    }
    if (kind == "table") {
      if (fields.size() != 6) {
        return reader_.error("a table needs a file, a position, a database, a name and a charset");
      }
      past_start_ = past_start_ || binlog::comesBefore(start_, at);
      in_table_ = true;
      table_applies_ = !past_start_;
      table_name_ = binlog::TableName{fields[3], fields[4]};
      table_.default_charset = binlog::charsetByName(fields[5]);
    } else if (kind == "ddl") {
      past_start_ = past_start_ || !binlog::comesBefore(at, start_);
      if (!past_start_) {
        // Conflicts: the next records hold the re-reads.
        (void)model_.apply(parseDdl(fields[4], fields[3]));
      }
    } else if (kind == "forget") {
      past_start_ = past_start_ || binlog::comesBefore(start_, at);
      if (!past_start_) {
        model_.forget(binlog::TableName{fields[3], fields[4]});
      }
    } else {
      return reader_.error(fmt::format("unknown record '{}'", kind));
    }
    return Status::ok();
  }

  void finishTable() {
    if (in_table_ && table_applies_) {
      model_.put(table_name_, std::move(table_));
    }
    in_table_ = false;
    table_ = binlog::TableSchema{};
  }

  SchemaModel& model_;
  const binlog::Position& start_;
  const LineReader& reader_;
  // The table being read (its `column` and `key` lines follow), and whether it applies.
  binlog::TableName table_name_;
  binlog::TableSchema table_;
  bool in_table_ = false;
  bool table_applies_ = false;
  bool past_start_ = false;
  bool has_version_ = false;
};

}  // namespace

bool SchemaHistory::watched(std::string_view database) const {
  return options_.databases.empty() ||
         std::find(options_.databases.begin(), options_.databases.end(), database) !=
             options_.databases.end();
}

Status SchemaHistory::save() const {
  LineWriter header;
  header.comment(kHeaderComment);
  header.fields({"version", "1"});
  return documents_->write(options_.name, header.text() + records_.text());
}

Status SchemaHistory::capture(const binlog::Position& start) {
  auto tables = catalog_.listTables(options_.databases);
  if (!tables.isOk()) {
    return tables.status().withContext("capturing the schema for the history");
  }
  model_.clear();
  records_.clear();
  for (const binlog::TableName& name : *tables) {
    auto schema = catalog_.lookup(name.database, name.table);
    if (!schema.isOk()) {
      return schema.status().withContext("capturing the schema for the history");
    }
    model_.put(name, std::move(*schema));
    appendTable(records_, start, name, *model_.find(name));
  }
  spdlog::info(
      "schema history {}: captured {} tables from information_schema as the schema at {}:{}",
      where(), tables->size(), start.file, start.offset);
  return save();
}

Status SchemaHistory::resume(const binlog::Position& start) {
  auto history = documents_->read(options_.name);
  if (!history.isOk()) {
    return Status::io(fmt::format("cannot read schema history {}", history.status().message()));
  }
  if (!history->has_value()) {
    spdlog::warn("schema history {} is missing: the current schema stands in for the one at {}:{} "
                 "(rows written before a later ALTER may be refused)",
                 where(), start.file, start.offset);
    return capture(start);
  }
  MM_RETURN_IF_ERROR(replay(**history, start));
  records_.clear();
  for (const auto& [name, schema] : model_.tables()) {
    appendTable(records_, start, name, schema);
  }
  spdlog::info("schema history {}: {} tables as of {}:{}", where(), model_.tables().size(),
               start.file, start.offset);
  return save();
}

Status SchemaHistory::replay(std::string_view history, const binlog::Position& start) {
  model_.clear();
  LineReader reader(history,
                    {fmt::format("schema history {}", where()),
                     "delete the file to capture the schema again from information_schema (rows "
                     "written before a later ALTER may then be refused)"},
                    line_format::LastLine::MayLackNewline);
  HistoryReplay replayer(model_, start, reader);
  MM_RETURN_IF_ERROR(
      reader.forEachRecord([&](std::string_view line) { return replayer.record(line); }));
  return replayer.finish();
}

void SchemaHistory::appendState(const binlog::TableName& name, const binlog::Position& at) {
  if (const binlog::TableSchema* schema = model_.find(name)) {
    appendTable(records_, at, name, *schema);
  } else {
    records_.fields({"forget", at.file, std::to_string(at.offset), name.database, name.table});
  }
}

Status SchemaHistory::applyDdl(std::string_view statement, std::string_view database,
                               const binlog::Position& at) {
  const DdlStatement parsed = parseDdl(statement, database);
  if (std::holds_alternative<NoSchemaChange>(parsed)) {
    return Status::ok();
  }
  const std::vector<std::string> databases = namedDatabases(parsed);
  const auto* unparsed = std::get_if<Unparsed>(&parsed);
  const bool names_no_table = unparsed != nullptr && unparsed->tables.empty();
  if (!names_no_table && std::none_of(databases.begin(), databases.end(),
                                      [&](const std::string& db) { return watched(db); })) {
    return Status::ok();
  }
  records_.fields({"ddl", at.file, std::to_string(at.offset), database, statement});
  const std::vector<Conflict> conflicts = model_.apply(parsed);
  if (const auto* create = std::get_if<CreateTable>(&parsed)) {
    resolveCharset(create->table, at);
  }
  if (names_no_table) {
    spdlog::warn(
        "schema history: cannot parse the statement at {}:{} ({}), and it names no table to "
        "re-read: `{}`",
        at.file, at.offset, unparsed->reason, shortened(statement));
  }
  for (const Conflict& conflict : conflicts) {
    if (!watched(conflict.table.database)) {
      continue;
    }
    spdlog::warn(
        "schema history: cannot {} ({}) {}.{} in the statement at {}:{}: `{}`; re-reading the "
        "table from information_schema (its current definition stands in)",
        unparsed ? "parse" : "apply", conflict.reason, conflict.table.database,
        conflict.table.table, at.file, at.offset, shortened(statement));
    auto schema = catalog_.lookup(conflict.table.database, conflict.table.table);
    if (schema.isOk()) {
      model_.put(conflict.table, std::move(*schema));
    } else {
      spdlog::warn("schema history: {}; the table stays unknown until its rows name it",
                   schema.status().message());
      model_.forget(conflict.table);
    }
    appendState(conflict.table, at);
  }
  return save();
}

void SchemaHistory::resolveCharset(const binlog::TableName& name, const binlog::Position& at) {
  const binlog::TableSchema* table = model_.find(name);
  if (table == nullptr || table->default_charset != binlog::Charset::Unknown) {
    return;
  }
  // Created without a charset in a database the history saw no CREATE of: the database's default
  // now stands in for the one then (they differ only after an ALTER DATABASE ... CHARACTER SET).
  auto charset = catalog_.databaseCharset(name.database);
  if (!charset.isOk()) {
    spdlog::warn("schema history: {}; text columns of {}.{} without a charset are read as UTF-8",
                 charset.status().message(), name.database, name.table);
    return;
  }
  model_.setDatabaseCharset(name.database, *charset);
  model_.setTableCharset(name, *charset);
  appendState(name, at);
}

Result<binlog::TableSchema> SchemaHistory::table(const binlog::TableName& name,
                                                 const binlog::Position& at) {
  if (const binlog::TableSchema* schema = model_.find(name)) {
    return *schema;
  }
  return reread(name, at);
}

Result<binlog::TableSchema> SchemaHistory::reread(const binlog::TableName& name,
                                                  const binlog::Position& at) {
  auto schema = catalog_.lookup(name.database, name.table);
  if (!schema.isOk()) {
    return schema.status();
  }
  model_.put(name, std::move(*schema));
  appendState(name, at);
  MM_RETURN_IF_ERROR(save());
  return *model_.find(name);
}

}  // namespace mm::schema
