// SchemaModel: the tables of the watched databases as the DDL seen so far left them, in memory.
//
// apply() changes it the way the server changed its tables for one parsed statement. A statement
// the model cannot follow for a table it knows (ALTER of a column it lacks, a second primary key,
// CREATE TABLE ... LIKE an unknown table) is reported as a Conflict naming the table and why: the
// caller re-reads that table instead of guessing. Tables the model does not know stay unknown
// (looked up when first needed). Every stored table has its row key marked (binlog::markRowKey).
// Column and key names compare case-insensitively, database and table names exactly (as the server
// does with lower_case_table_names = 0). Not thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "binlog/table_schema.h"
#include "schema/ddl_parser.h"

namespace mm::schema {

struct Conflict {
  binlog::TableName table;
  std::string reason;
};

class SchemaModel {
 public:
  // nullptr when the table is unknown.
  const binlog::TableSchema* find(const binlog::TableName& table) const;
  void put(const binlog::TableName& table, binlog::TableSchema schema);
  void forget(const binlog::TableName& table);
  void clear() { tables_.clear(); }

  std::vector<Conflict> apply(const DdlStatement& statement);

  const std::map<binlog::TableName, binlog::TableSchema>& tables() const { return tables_; }

 private:
  std::vector<Conflict> alter(const AlterTable& alter);
  void forgetDatabase(const std::string& database);

  std::map<binlog::TableName, binlog::TableSchema> tables_;
};

}  // namespace mm::schema
