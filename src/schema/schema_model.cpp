#include "schema/schema_model.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "common/strings.h"

namespace mm::schema {
namespace {

using binlog::SchemaColumn;
using binlog::TableSchema;

std::vector<SchemaColumn>::iterator findColumn(TableSchema& t, std::string_view name) {
  return std::find_if(t.columns.begin(), t.columns.end(),
                      [&](const SchemaColumn& c) { return equalsIgnoringAsciiCase(c.name, name); });
}

std::vector<binlog::UniqueKey>::iterator findKey(TableSchema& t, std::string_view name) {
  return std::find_if(t.unique_keys.begin(), t.unique_keys.end(), [&](const binlog::UniqueKey& k) {
    return equalsIgnoringAsciiCase(k.name, name);
  });
}

// A text column given without a charset takes the table's default.
void inheritCharset(const TableSchema& t, SchemaColumn& c) {
  if (isTextType(c.data_type) && !c.is_binary && c.charset == binlog::Charset::Unknown) {
    c.charset = t.default_charset;
  }
}

bool inPrimaryKey(TableSchema& t, std::string_view column) {
  auto primary = findKey(t, "PRIMARY");
  return primary != t.unique_keys.end() &&
         std::any_of(primary->columns.begin(), primary->columns.end(),
                     [&](const std::string& c) { return equalsIgnoringAsciiCase(c, column); });
}

// A clause naming a column the table lacks: nothing to do under IF EXISTS, else a conflict.
Status missingColumn(std::string_view clause, const std::string& name, bool if_exists) {
  return if_exists ? Status::ok()
                   : Status::invalidArgument(fmt::format("{} `{}`: no such column", clause, name));
}

// Moves `column` (already removed from t) into place; `after` is the column AFTER names, or end.
Status place(TableSchema& t, SchemaColumn column, const ColumnPlacement& placement,
             size_t keep_index, std::vector<SchemaColumn>::iterator after) {
  size_t index = t.columns.size();
  switch (placement.where) {
    case ColumnPlacement::Where::Keep: index = std::min(keep_index, t.columns.size()); break;
    case ColumnPlacement::Where::Last: break;
    case ColumnPlacement::Where::First: index = 0; break;
    case ColumnPlacement::Where::After:
      if (after == t.columns.end()) {
        return Status::invalidArgument(fmt::format("AFTER `{}`: no such column", placement.after));
      }
      index = static_cast<size_t>(after - t.columns.begin()) + 1;
      break;
  }
  t.columns.insert(t.columns.begin() + static_cast<std::ptrdiff_t>(index), std::move(column));
  return Status::ok();
}

void renameInKeys(TableSchema& t, std::string_view from, const std::string& to) {
  for (binlog::UniqueKey& key : t.unique_keys) {
    for (std::string& c : key.columns) {
      if (equalsIgnoringAsciiCase(c, from)) {
        c = to;
      }
    }
  }
}

// As the server does: a dropped column leaves every index; an index left with no column goes.
void dropFromKeys(TableSchema& t, std::string_view column) {
  for (binlog::UniqueKey& key : t.unique_keys) {
    std::erase_if(key.columns,
                  [&](const std::string& c) { return equalsIgnoringAsciiCase(c, column); });
  }
  std::erase_if(t.unique_keys, [](const binlog::UniqueKey& k) { return k.columns.empty(); });
}

// Applies the clauses of one statement in order. As on the server, the clauses of one ALTER name
// columns as they were before it (`CHANGE a b INT, CHANGE b a INT` swaps them): a renamed column
// carries a placeholder name until finish() gives it its new one, so later clauses cannot mistake
// it for another column of that name.
class OperationApplier {
 public:
  explicit OperationApplier(TableSchema& t) : t_(t) {}

  // Gives renamed columns their names and checks that no two columns share one.
  Status finish() {
    for (SchemaColumn& c : t_.columns) {
      if (auto it = renamed_.find(c.name); it != renamed_.end()) {
        c.name = it->second;
      }
    }
    for (binlog::UniqueKey& key : t_.unique_keys) {
      for (std::string& c : key.columns) {
        if (auto it = renamed_.find(c); it != renamed_.end()) {
          c = it->second;
        }
      }
    }
    renamed_.clear();
    for (auto c = t_.columns.begin(); c != t_.columns.end(); ++c) {
      if (std::any_of(c + 1, t_.columns.end(), [&](const SchemaColumn& d) {
            return equalsIgnoringAsciiCase(c->name, d.name);
          })) {
        return Status::invalidArgument(fmt::format("two columns named `{}`", c->name));
      }
    }
    return Status::ok();
  }

  Status operator()(const AddColumn& op) {
    if (findByFinalName(op.column.name) != t_.columns.end()) {
      return op.if_not_exists ? Status::ok()
                              : Status::invalidArgument(
                                    fmt::format("ADD `{}`: the column exists", op.column.name));
    }
    SchemaColumn column = op.column;
    inheritCharset(t_, column);
    const size_t last = t_.columns.size();
    return place(t_, std::move(column), op.placement, last, findByFinalName(op.placement.after));
  }
  Status operator()(const DropColumn& op) {
    auto it = findColumn(t_, op.name);
    if (it == t_.columns.end()) {
      return missingColumn("DROP", op.name, op.if_exists);
    }
    t_.columns.erase(it);
    dropFromKeys(t_, op.name);
    return Status::ok();
  }
  Status operator()(const ChangeColumn& op) {
    auto it = findColumn(t_, op.old_name);
    if (it == t_.columns.end()) {
      return missingColumn("CHANGE", op.old_name, op.if_exists);
    }
    const size_t index = static_cast<size_t>(it - t_.columns.begin());
    t_.columns.erase(it);
    SchemaColumn column = op.column;
    inheritCharset(t_, column);
    if (inPrimaryKey(t_, op.old_name)) {
      column.nullable = false;
    }
    column.name = rename(op.old_name, op.column.name);
    return place(t_, std::move(column), op.placement, index, findByFinalName(op.placement.after));
  }
  Status operator()(const RenameColumn& op) {
    auto it = findColumn(t_, op.old_name);
    if (it == t_.columns.end()) {
      return missingColumn("RENAME COLUMN", op.old_name, /*if_exists=*/false);
    }
    it->name = rename(op.old_name, op.new_name);
    return Status::ok();
  }
  Status operator()(const AddKey& op) {
    binlog::UniqueKey key = op.key;
    for (std::string& c : key.columns) {
      auto column = findByFinalName(c);
      if (column == t_.columns.end()) {
        return Status::invalidArgument(fmt::format("key over `{}`: no such column", c));
      }
      c = column->name;  // a placeholder when renamed by this statement
      if (key.name == "PRIMARY") {
        column->nullable = false;  // the server makes primary key columns NOT NULL
      }
    }
    if (key.name == "PRIMARY") {
      if (findKey(t_, "PRIMARY") != t_.unique_keys.end()) {
        return Status::invalidArgument("a second PRIMARY KEY");
      }
      t_.unique_keys.insert(t_.unique_keys.begin(), std::move(key));
      return Status::ok();
    }
    if (key.name.empty()) {  // named after its first column: c, c_2, c_3, ...
      const std::string& first = op.key.columns.front();
      key.name = first;
      for (int n = 2; findKey(t_, key.name) != t_.unique_keys.end(); ++n) {
        key.name = fmt::format("{}_{}", first, n);
      }
    } else if (findKey(t_, key.name) != t_.unique_keys.end()) {
      return op.if_not_exists ? Status::ok()
                              : Status::invalidArgument(
                                    fmt::format("ADD UNIQUE `{}`: the key exists", key.name));
    }
    t_.unique_keys.push_back(std::move(key));
    return Status::ok();
  }
  Status operator()(const DropKey& op) {
    auto it = findKey(t_, op.name);
    if (it != t_.unique_keys.end()) {
      t_.unique_keys.erase(it);
    } else if (op.name == "PRIMARY" && !op.if_exists) {
      return Status::invalidArgument("DROP PRIMARY KEY: the table has none");
    }
    return Status::ok();  // otherwise a non-unique index, which the model does not keep
  }
  Status operator()(const RenameKey& op) {
    if (auto it = findKey(t_, op.old_name); it != t_.unique_keys.end()) {
      it->name = op.new_name;
    }
    return Status::ok();
  }
  Status operator()(const RenameTableTo&) { return Status::ok(); }  // moved by the caller
  Status operator()(const ConvertCharset& op) {
    for (SchemaColumn& c : t_.columns) {
      if (isTextType(c.data_type) && !c.is_binary) {
        c.charset = op.charset;
      }
    }
    t_.default_charset = op.charset;
    return Status::ok();
  }
  Status operator()(const DefaultCharset& op) {
    t_.default_charset = op.charset;
    return Status::ok();
  }

 private:
  // The name a column renamed from `from` to `to` carries until finish(); keys follow it.
  std::string rename(const std::string& from, const std::string& to) {
    std::string name = to;
    if (!equalsIgnoringAsciiCase(from, to)) {
      name = fmt::format("\x01{}", renamed_.size());  // no identifier holds this byte
      renamed_[name] = to;
    }
    renameInKeys(t_, from, name);
    return name;
  }

  // The column that has, or will have once this statement ends, the name `name`.
  std::vector<SchemaColumn>::iterator findByFinalName(std::string_view name) {
    auto renamed = std::find_if(renamed_.begin(), renamed_.end(), [&](const auto& entry) {
      return equalsIgnoringAsciiCase(entry.second, name);
    });
    if (renamed != renamed_.end()) {
      return findColumn(t_, renamed->first);
    }
    return findColumn(t_, name);
  }

  TableSchema& t_;
  std::map<std::string, std::string> renamed_;  // placeholder -> new name
};

}  // namespace

const TableSchema* SchemaModel::find(const binlog::TableName& table) const {
  auto it = tables_.find(table);
  return it == tables_.end() ? nullptr : &it->second;
}

void SchemaModel::put(const binlog::TableName& table, TableSchema schema) {
  binlog::markRowKey(schema);
  tables_[table] = std::move(schema);
}

void SchemaModel::forget(const binlog::TableName& table) { tables_.erase(table); }

binlog::Charset SchemaModel::databaseCharset(const std::string& database) const {
  auto it = database_charsets_.find(database);
  return it == database_charsets_.end() ? binlog::Charset::Unknown : it->second;
}

void SchemaModel::setDatabaseCharset(const std::string& database, binlog::Charset charset) {
  database_charsets_[database] = charset;
}

void SchemaModel::setTableCharset(const binlog::TableName& table, binlog::Charset charset) {
  auto it = tables_.find(table);
  if (it == tables_.end() || it->second.default_charset != binlog::Charset::Unknown) {
    return;
  }
  it->second.default_charset = charset;
  for (SchemaColumn& c : it->second.columns) {
    inheritCharset(it->second, c);
  }
}

void SchemaModel::forgetDatabase(const std::string& database) {
  std::erase_if(tables_, [&](const auto& entry) { return entry.first.database == database; });
}

std::vector<Conflict> SchemaModel::alter(const AlterTable& alter) {
  auto it = tables_.find(alter.table);
  if (it == tables_.end()) {
    return {};  // unknown: looked up when its rows come
  }
  TableSchema changed = it->second;
  OperationApplier applier(changed);
  binlog::TableName target = alter.table;
  for (const AlterOperation& op : alter.operations) {
    Status status = std::visit(applier, op);
    if (!status.isOk()) {
      return {Conflict{alter.table, status.message()}};
    }
    if (const auto* rename = std::get_if<RenameTableTo>(&op)) {
      target = rename->to;
    }
  }
  if (Status status = applier.finish(); !status.isOk()) {
    return {Conflict{alter.table, status.message()}};
  }
  tables_.erase(it);
  put(target, std::move(changed));
  return {};
}

std::vector<Conflict> SchemaModel::apply(const DdlStatement& statement) {
  return std::visit([this](const auto& s) { return applyStatement(s); }, statement);
}

std::vector<Conflict> SchemaModel::applyStatement(const NoSchemaChange&) { return {}; }

std::vector<Conflict> SchemaModel::applyStatement(const CreateTable& create) {
  if (create.if_not_exists && find(create.table) != nullptr) {
    return {};
  }
  TableSchema schema = create.schema;
  if (schema.default_charset == binlog::Charset::Unknown) {
    schema.default_charset = databaseCharset(create.table.database);
    for (SchemaColumn& c : schema.columns) {
      inheritCharset(schema, c);
    }
  }
  // Keys declared without a name get theirs as ADD UNIQUE would.
  std::vector<binlog::UniqueKey> keys = std::move(schema.unique_keys);
  schema.unique_keys.clear();
  OperationApplier applier(schema);
  for (binlog::UniqueKey& key : keys) {
    Status status = applier(AddKey{std::move(key), false});
    if (!status.isOk()) {
      forget(create.table);
      return {Conflict{create.table, status.message()}};
    }
  }
  put(create.table, std::move(schema));
  return {};
}

std::vector<Conflict> SchemaModel::applyStatement(const CreateTableLike& like) {
  if (like.if_not_exists && find(like.table) != nullptr) {
    return {};
  }
  const TableSchema* source = find(like.source);
  if (source == nullptr) {
    forget(like.table);
    return {Conflict{like.table, fmt::format("LIKE {}.{}: a table the history does not know",
                                             like.source.database, like.source.table)}};
  }
  put(like.table, *source);
  return {};
}

std::vector<Conflict> SchemaModel::applyStatement(const AlterTable& alter_table) {
  return alter(alter_table);
}

std::vector<Conflict> SchemaModel::applyStatement(const RenameTables& rename) {
  for (const auto& [from, to] : rename.renames) {
    auto it = tables_.find(from);
    if (it == tables_.end()) {
      forget(to);
      continue;
    }
    TableSchema moved = std::move(it->second);
    tables_.erase(it);
    put(to, std::move(moved));
  }
  return {};
}

std::vector<Conflict> SchemaModel::applyStatement(const DropTables& drop) {
  for (const binlog::TableName& table : drop.tables) {
    forget(table);
  }
  return {};
}

std::vector<Conflict> SchemaModel::applyStatement(const CreateDatabase& create) {
  if (!create.if_not_exists) {
    forgetDatabase(create.name);  // a new database is empty
    setDatabaseCharset(create.name, create.default_charset);
  }
  return {};
}

std::vector<Conflict> SchemaModel::applyStatement(const DropDatabase& drop) {
  forgetDatabase(drop.name);
  database_charsets_.erase(drop.name);
  return {};
}

std::vector<Conflict> SchemaModel::applyStatement(const Unparsed& unparsed) {
  std::vector<Conflict> conflicts;
  for (const binlog::TableName& table : unparsed.tables) {
    conflicts.push_back(Conflict{table, unparsed.reason});
  }
  return conflicts;
}

}  // namespace mm::schema
