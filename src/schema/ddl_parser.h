// parseDdl(): what a DDL statement from a QUERY event does to the shape of tables, for the schema
// history. Pure: text in, a DdlStatement out; it never talks to a server.
//
// Understood (MySQL 5.6-9 and MariaDB 10-11 spellings): CREATE [OR REPLACE] TABLE [IF NOT EXISTS]
// with column and key definitions, CREATE TABLE ... LIKE, ALTER [ONLINE] [IGNORE] TABLE [IF EXISTS]
// with comma-separated ADD / DROP / MODIFY / CHANGE / RENAME COLUMN (IF [NOT] EXISTS, FIRST,
// AFTER), ADD / DROP PRIMARY KEY and UNIQUE keys, RENAME TO, CONVERT TO CHARACTER SET, table
// options; CREATE / DROP [UNIQUE] INDEX, RENAME TABLE, DROP TABLE, CREATE / DROP DATABASE.
// Identifiers may be bare, `backtick` or "double" quoted; comments are skipped and the content of
// executable comments (/*!50100 ... */, /*M!100100 ... */) is read as SQL. TRUNCATE, temporary
// tables, views, routines, users and grants change no table shape (NoSchemaChange).
//
// A statement about a table that is not fully understood (CREATE TABLE ... SELECT, ADD SYSTEM
// VERSIONING, an unknown ALTER clause) is Unparsed, naming the tables it touches when they could be
// read: the caller must then re-read them rather than guess. Column types are kept as
// information_schema's DATA_TYPE names ("int", "varchar", "json"), aliases resolved (INTEGER, BOOL,
// DEC, SERIAL, NVARCHAR, ...).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "binlog/charset.h"
#include "binlog/table_schema.h"

namespace mm::schema {

struct ColumnPlacement {
  enum class Where { Keep, Last, First, After };
  Where where = Where::Last;  // ADD: Last by default; MODIFY / CHANGE: Keep
  std::string after;          // Where::After
};

// A column definition; charset Unknown on a text column = the table's default.
struct AddColumn {
  binlog::SchemaColumn column;
  ColumnPlacement placement;
  bool if_not_exists = false;
};
struct DropColumn {
  std::string name;
  bool if_exists = false;
};
// CHANGE old new ... and MODIFY name ... (old_name == column.name).
struct ChangeColumn {
  std::string old_name;
  binlog::SchemaColumn column;
  ColumnPlacement placement;
  bool if_exists = false;
};
struct RenameColumn {
  std::string old_name;
  std::string new_name;
};
// A PRIMARY ("PRIMARY") or UNIQUE key; an empty name is chosen as the server does (first column).
struct AddKey {
  binlog::UniqueKey key;
  bool if_not_exists = false;
};
// DROP PRIMARY KEY (name "PRIMARY"), DROP INDEX / KEY / CONSTRAINT: a key that is not unique, or a
// constraint that is no key, is simply not in the model.
struct DropKey {
  std::string name;
  bool if_exists = false;
};
struct RenameKey {
  std::string old_name;
  std::string new_name;
};
struct RenameTableTo {
  binlog::TableName to;
};
// CONVERT TO CHARACTER SET: every text column (not binary ones) and the default change.
struct ConvertCharset {
  binlog::Charset charset = binlog::Charset::Unknown;
};
struct DefaultCharset {
  binlog::Charset charset = binlog::Charset::Unknown;
};
using AlterOperation =
    std::variant<AddColumn, DropColumn, ChangeColumn, RenameColumn, AddKey, DropKey, RenameKey,
                 RenameTableTo, ConvertCharset, DefaultCharset>;

struct NoSchemaChange {};
// schema: columns in order, unique_keys as declared (PRIMARY first), default_charset.
struct CreateTable {
  binlog::TableName table;
  binlog::TableSchema schema;
  bool if_not_exists = false;
};
struct CreateTableLike {
  binlog::TableName table;
  binlog::TableName source;
  bool if_not_exists = false;
};
struct AlterTable {
  binlog::TableName table;
  std::vector<AlterOperation> operations;  // in statement order
  bool if_exists = false;
};
struct RenameTables {
  std::vector<std::pair<binlog::TableName, binlog::TableName>> renames;  // from, to; in order
};
struct DropTables {
  std::vector<binlog::TableName> tables;
};
struct CreateDatabase {
  std::string name;
  bool if_not_exists = false;
  binlog::Charset default_charset = binlog::Charset::Unknown;  // Unknown: the server's default
};
struct DropDatabase {
  std::string name;
};
struct Unparsed {
  std::string reason;                     // what was not understood, and where
  std::vector<binlog::TableName> tables;  // the tables it touches, when known
};

using DdlStatement = std::variant<NoSchemaChange, CreateTable, CreateTableLike, AlterTable,
                                  RenameTables, DropTables, CreateDatabase, DropDatabase, Unparsed>;

// `default_database` qualifies unqualified table names (the QUERY event's default database).
DdlStatement parseDdl(std::string_view statement, std::string_view default_database);

// Whether a DATA_TYPE holds text in a charset (CHAR, VARCHAR, the TEXTs, ENUM, SET).
bool isTextType(std::string_view data_type);

}  // namespace mm::schema
