// FakeTableSchemaSource: an in-memory information_schema for tests of the schema history. Tables
// are set by the test; lookups are counted so a test can tell whether the history asked.
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "binlog/table_schema.h"

namespace mm::test {

class FakeTableSchemaSource final : public binlog::TableSchemaSource {
 public:
  void set(const binlog::TableName& name, binlog::TableSchema schema) {
    tables_[name] = std::move(schema);
  }
  void drop(const binlog::TableName& name) { tables_.erase(name); }

  Result<binlog::TableSchema> lookup(std::string_view database, std::string_view table) override {
    ++lookups;
    auto it = tables_.find(binlog::TableName{std::string(database), std::string(table)});
    if (it == tables_.end()) {
      return Status::invalidArgument(
          fmt::format("table {}.{} is not in the fake information_schema", database, table));
    }
    binlog::TableSchema schema = it->second;
    binlog::markRowKey(schema);
    return schema;
  }

  Result<std::vector<binlog::TableName>> listTables(
      const std::vector<std::string>& databases) override {
    std::vector<binlog::TableName> out;
    for (const auto& [name, schema] : tables_) {
      if (databases.empty() ||
          std::find(databases.begin(), databases.end(), name.database) != databases.end()) {
        out.push_back(name);
      }
    }
    return out;
  }

  Result<binlog::Charset> databaseCharset(std::string_view database) override {
    ++lookups;
    auto it = database_charsets.find(std::string(database));
    if (it == database_charsets.end()) {
      return Status::invalidArgument(
          fmt::format("database {} is not in the fake information_schema", database));
    }
    return it->second;
  }

  std::map<std::string, binlog::Charset> database_charsets;
  int lookups = 0;

 private:
  std::map<binlog::TableName, binlog::TableSchema> tables_;
};

// A column as information_schema describes it.
inline binlog::SchemaColumn schemaColumn(std::string name, std::string data_type,
                                         bool nullable = true) {
  binlog::SchemaColumn c;
  c.name = std::move(name);
  c.data_type = std::move(data_type);
  c.nullable = nullable;
  return c;
}

}  // namespace mm::test
