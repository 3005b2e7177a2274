#include "schema/schema_history.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/atomic_file.h"

namespace mm::schema {
namespace {

constexpr std::string_view kHeader =
    "# mysql-monitor schema history: the schema at a binlog point, then every change after it\n"
    "version\t1\n";

std::string escape(std::string_view field) {
  std::string out;
  for (char c : field) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

bool unescape(std::string_view field, std::string& out) {
  out.clear();
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '\\') {
      out.push_back(field[i]);
      continue;
    }
    if (++i == field.size()) {
      return false;
    }
    switch (field[i]) {
      case '\\': out.push_back('\\'); break;
      case 't': out.push_back('\t'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      default: return false;
    }
  }
  return true;
}

void appendRecord(std::string& out, std::initializer_list<std::string_view> fields,
                  const std::vector<std::string>& more = {}) {
  bool first = true;
  for (std::string_view f : fields) {
    out += first ? "" : "\t";
    out += escape(f);
    first = false;
  }
  for (const std::string& f : more) {
    out += '\t';
    out += escape(f);
  }
  out += '\n';
}

void appendTable(std::string& out, const binlog::Position& at, const binlog::TableName& name,
                 const binlog::TableSchema& schema) {
  appendRecord(out, {"table", at.file, std::to_string(at.offset), name.database, name.table,
                     binlog::charsetName(schema.default_charset)});
  for (const binlog::SchemaColumn& c : schema.columns) {
    std::string flags;
    flags += c.is_unsigned ? "u" : "";
    flags += c.nullable ? "n" : "";
    flags += c.is_binary ? "b" : "";
    flags += c.is_json ? "j" : "";
    appendRecord(out, {"column", c.name, c.data_type, flags, binlog::charsetName(c.charset)},
                 c.members);
  }
  for (const binlog::UniqueKey& key : schema.unique_keys) {
    appendRecord(out, {"key", key.name}, key.columns);
  }
}

uint64_t fileSequence(std::string_view file, bool& numeric) {
  const auto dot = file.rfind('.');
  uint64_t n = 0;
  const std::string_view digits =
      dot == std::string_view::npos ? std::string_view{} : file.substr(dot + 1);
  auto result = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  numeric =
      !digits.empty() && result.ec == std::errc() && result.ptr == digits.data() + digits.size();
  return n;
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

}  // namespace

bool positionBefore(const binlog::Position& a, const binlog::Position& b) {
  if (a.file != b.file) {
    bool a_numeric = false;
    bool b_numeric = false;
    const uint64_t a_seq = fileSequence(a.file, a_numeric);
    const uint64_t b_seq = fileSequence(b.file, b_numeric);
    if (a_numeric && b_numeric && a_seq != b_seq) {
      return a_seq < b_seq;
    }
    return a.file < b.file;
  }
  return a.offset < b.offset;
}

bool SchemaHistory::watched(std::string_view database) const {
  return options_.databases.empty() ||
         std::find(options_.databases.begin(), options_.databases.end(), database) !=
             options_.databases.end();
}

Status SchemaHistory::save() const {
  std::string content(kHeader);
  content += records_;
  return writeFileAtomically(options_.path, content);
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
      options_.path, tables->size(), start.file, start.offset);
  return save();
}

Status SchemaHistory::resume(const binlog::Position& start) {
  bool found = false;
  MM_RETURN_IF_ERROR(load(start, found));
  if (!found) {
    spdlog::warn(
        "schema history {} is missing: the current schema stands in for the one at {}:{} "
        "(rows written before a later ALTER may be refused)",
        options_.path, start.file, start.offset);
    return capture(start);
  }
  records_.clear();
  for (const auto& [name, schema] : model_.tables()) {
    appendTable(records_, start, name, schema);
  }
  spdlog::info("schema history {}: {} tables as of {}:{}", options_.path, model_.tables().size(),
               start.file, start.offset);
  return save();
}

Status SchemaHistory::load(const binlog::Position& start, bool& found) {
  std::ifstream in(options_.path);
  found = static_cast<bool>(in);
  if (!found) {
    // The error_code overload: the throwing one aborts the daemon on EACCES or ELOOP.
    std::error_code error;
    const auto status = std::filesystem::status(options_.path, error);
    if (status.type() == std::filesystem::file_type::not_found) {
      return Status::ok();
    }
    return Status::io(fmt::format("cannot read schema history {}: {}", options_.path,
                                  error ? error.message() : std::string("it cannot be opened")));
  }
  model_.clear();
  int line_number = 0;
  auto bad = [&](std::string_view why) {
    return Status::corruption(fmt::format(
        "schema history {} line {}: {}; delete the file to capture the schema again from "
        "information_schema (rows written before a later ALTER may then be refused)",
        options_.path, line_number, why));
  };
  // The table block being read, and whether it applies (recorded at or before `start`).
  binlog::TableName block_name;
  binlog::TableSchema block;
  bool in_block = false;
  bool block_applies = false;
  bool past_start = false;
  bool has_version = false;
  auto finishBlock = [&] {
    if (in_block && block_applies) {
      model_.put(block_name, std::move(block));
    }
    in_block = false;
    block = binlog::TableSchema{};
  };
  std::string line;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty() || line[0] == '#') {
      continue;
    }
    std::vector<std::string> fields;
    std::string field;
    std::istringstream split(line);
    std::string raw;
    while (std::getline(split, raw, '\t')) {
      if (!unescape(raw, field)) {
        return bad("a bad escape sequence");
      }
      fields.push_back(field);
    }
    if (!line.empty() && line.back() == '\t') {
      fields.emplace_back();
    }
    const std::string& kind = fields[0];
    if (kind == "column" || kind == "key") {
      if (!in_block) {
        return bad(fmt::format("'{}' outside a table", kind));
      }
      if (kind == "column") {
        if (fields.size() < 5) {
          return bad("a column needs a name, a type, flags and a charset");
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
        block.columns.push_back(std::move(c));
      } else {
        if (fields.size() < 3) {
          return bad("a key needs a name and columns");
        }
        block.unique_keys.push_back(
            binlog::UniqueKey{fields[1], {fields.begin() + 2, fields.end()}});
      }
      continue;
    }
    finishBlock();
    if (kind == "version") {
      if (fields.size() != 2 || fields[1] != "1") {
        return bad("unsupported version");
      }
      has_version = true;
      continue;
    }
    if (!has_version) {
      return bad("no version line first");
    }
    if (fields.size() < 5) {
      return bad(fmt::format("'{}' needs a file, a position and a database", kind));
    }
    binlog::Position at{fields[1], 0};
    auto parsed = std::from_chars(fields[2].data(), fields[2].data() + fields[2].size(), at.offset);
    if (parsed.ec != std::errc() || parsed.ptr != fields[2].data() + fields[2].size()) {
      return bad(fmt::format("invalid position '{}'", fields[2]));
    }
    // Records are in binlog order: once one lies beyond `start`, the rest do too.
    if (kind == "table") {
      if (fields.size() != 6) {
        return bad("a table needs a file, a position, a database, a name and a charset");
      }
      past_start = past_start || positionBefore(start, at);
      in_block = true;
      block_applies = !past_start;
      block_name = binlog::TableName{fields[3], fields[4]};
      block.default_charset = binlog::charsetByName(fields[5]);
    } else if (kind == "ddl") {
      past_start = past_start || !positionBefore(at, start);
      if (!past_start) {
        (void)model_.apply(
            parseDdl(fields[4], fields[3]));  // conflicts: the next records hold the re-reads
      }
    } else if (kind == "forget") {
      past_start = past_start || positionBefore(start, at);
      if (!past_start) {
        model_.forget(binlog::TableName{fields[3], fields[4]});
      }
    } else {
      return bad(fmt::format("unknown record '{}'", kind));
    }
  }
  finishBlock();
  if (!has_version) {
    return bad("empty");
  }
  return Status::ok();
}

void SchemaHistory::appendState(const binlog::TableName& name, const binlog::Position& at) {
  if (const binlog::TableSchema* schema = model_.find(name)) {
    appendTable(records_, at, name, *schema);
  } else {
    appendRecord(records_,
                 {"forget", at.file, std::to_string(at.offset), name.database, name.table});
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
  appendRecord(records_, {"ddl", at.file, std::to_string(at.offset), database, statement});
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
        unparsed ? "parse" : "apply", conflict.reason, conflict.table.database, conflict.table.table,
        at.file, at.offset, shortened(statement));
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
