// SchemaModel: the tables of the watched databases as the DDL seen so far left them, in memory.
//
// apply() changes it the way the server changed its tables for one parsed statement. A statement
// the model cannot follow for a table it knows (ALTER of a column it lacks, a second primary key,
// CREATE TABLE ... LIKE an unknown table) is reported as a Conflict naming the table and why: the
// caller re-reads that table instead of guessing. Tables the model does not know stay unknown
// (looked up when first needed). Every stored table has its row key marked (binlog::markRowKey).
// Column and key names compare case-insensitively, database and table names exactly (as the server
// does with lower_case_table_names = 0). A text column created without a charset takes its
// table's, and a table created without one its database's when known (else the caller resolves
// it, see setTableCharset). Not thread-safe.
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

  // The default character set of a database, when a CREATE DATABASE (or the caller) said it.
  binlog::Charset databaseCharset(const std::string& database) const;
  void setDatabaseCharset(const std::string& database, binlog::Charset charset);
  // Gives a table without a default charset `charset`, and with it its text columns without one.
  void setTableCharset(const binlog::TableName& table, binlog::Charset charset);

  const std::map<binlog::TableName, binlog::TableSchema>& tables() const { return tables_; }

 private:
  // One per kind of statement, as apply() dispatches.
  std::vector<Conflict> applyStatement(const NoSchemaChange&);
  std::vector<Conflict> applyStatement(const CreateTable& create);
  std::vector<Conflict> applyStatement(const CreateTableLike& like);
  std::vector<Conflict> applyStatement(const AlterTable& alter_table);
  std::vector<Conflict> applyStatement(const RenameTables& rename);
  std::vector<Conflict> applyStatement(const DropTables& drop);
  std::vector<Conflict> applyStatement(const CreateDatabase& create);
  std::vector<Conflict> applyStatement(const DropDatabase& drop);
  std::vector<Conflict> applyStatement(const Unparsed& unparsed);
  std::vector<Conflict> alter(const AlterTable& alter);
  void forgetDatabase(const std::string& database);

  std::map<binlog::TableName, binlog::TableSchema> tables_;
  std::map<std::string, binlog::Charset> database_charsets_;
};

}  // namespace mm::schema
