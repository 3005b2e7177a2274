// SchemaHistory: the schema of the watched databases at every binlog point the stream reaches, so
// rows written before an ALTER are named as they were (docs/design.md §6).
//
// It starts from a snapshot (capture(): the tables in information_schema, taken as the schema at
// the start position) and follows every DDL statement in binlog order (applyDdl(), parsed by
// parseDdl() with the QUERY event's default database). A statement it cannot parse, or cannot apply
// to the table it knows, is logged as a warning naming the statement, and the tables it touches are
// read again from the TableSchemaSource: the current definition stands in, never a guess. Tables it
// does not know are read from the source when first asked for.
//
// Persistence: the document (`name` in the state store: a file beside the state file, or a row
// of the state table) holds the snapshot and every change since,
// each with its binlog position, and is replaced atomically (writeFileAtomically) after each
// change, before the checkpoint can pass it. resume() replays it up to the checkpoint: table
// definitions recorded at or before it and statements before it; later records are dropped, since
// the stream replays those events. The file is then rewritten as one snapshot at the checkpoint.
//
// Format (common/line_format.h: a record per line, tab-separated, `\\`, `\t`, `\n`, `\r`
// escaped in fields, '#' comments; the last line may lack its newline):
//   version 1
//   table  FILE POS DB TABLE DEFAULT_CHARSET   the table's definition in force at FILE:POS, then
//   column NAME DATA_TYPE FLAGS CHARSET MEMBER...  (FLAGS: u unsigned, n nullable, b binary,
//                                                  j json)
//   key    NAME COLUMN...                      (PRIMARY first)
//   ddl    FILE POS DB STATEMENT               a statement at FILE:POS, DB its default database
//   forget FILE POS DB TABLE                   the table is unknown from FILE:POS on
//
// Not thread-safe: capture()/resume() before the pipeline starts, then only the transformer.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "binlog/position.h"
#include "binlog/table_schema.h"
#include "common/document_store.h"
#include "common/line_format.h"
#include "common/status.h"
#include "schema/schema_model.h"

namespace mm::schema {

struct SchemaHistoryOptions {
  std::string name = "schema_history";  // the document's name in the state store
  std::vector<std::string> databases;   // watched databases; empty = all
};

class SchemaHistory {
 public:
  // `documents` (the state store's, common/document_store.h) and `catalog` must outlive the
  // history.
  SchemaHistory(SchemaHistoryOptions options, DocumentStore& documents,
                binlog::TableSchemaSource& catalog)
      : options_(std::move(options)), documents_(&documents), catalog_(catalog) {}

  // The watched databases' tables from the catalog, as the schema at `start`; written at once.
  Status capture(const binlog::Position& start);
  // The history up to `start` (the checkpoint); without a file, capture(start).
  Status resume(const binlog::Position& start);

  // A statement of a QUERY event at `at` with its default database. Errors only when the file
  // cannot be written.
  Status applyDdl(std::string_view statement, std::string_view database,
                  const binlog::Position& at);

  // The table as the history stands (its rows at `at`); an unknown table is read from the catalog
  // and recorded at `at`. Errors from the catalog name the table.
  Result<binlog::TableSchema> table(const binlog::TableName& name, const binlog::Position& at);
  // Reads the table from the catalog again (its definition disagreed with a TABLE_MAP) and records
  // it.
  Result<binlog::TableSchema> reread(const binlog::TableName& name, const binlog::Position& at);

  const SchemaModel& model() const { return model_; }

 private:
  bool watched(std::string_view database) const;
  // A table created without a default charset takes its database's, from the catalog.
  void resolveCharset(const binlog::TableName& name, const binlog::Position& at);
  // Records the table's definition in the model (or that it is unknown) as of `at`.
  void appendState(const binlog::TableName& name, const binlog::Position& at);
  Status save() const;
  // Rebuilds the model from the history file's content, up to `start`.
  Status replay(std::string_view history, const binlog::Position& start);

  // "schema history FILE" or "schema history in ..." for messages.
  std::string where() const { return documents_->describe(options_.name); }

  SchemaHistoryOptions options_;
  DocumentStore* documents_;
  binlog::TableSchemaSource& catalog_;
  SchemaModel model_;
  line_format::LineWriter records_;  // the file's content after the header
};

}  // namespace mm::schema
