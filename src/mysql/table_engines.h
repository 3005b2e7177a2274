// TableEngines: whether a table's storage engine is transactional, from information_schema.TABLES,
// over its own connection (opened at the first question). The transaction tracker asks it only
// when a logged ROLLBACK TO undoes rows (pipeline/transaction_tracker.h): rows of a
// non-transactional table (MyISAM, Aria, MEMORY, ...) written after the savepoint happened and
// stay, those of a transactional one (InnoDB, MyRocks, TokuDB, NDB) did not.
//
// Answers are cached per table for the process; an ALTER TABLE ... ENGINE in between is rare
// enough, and its next ROLLBACK TO over that table would see the old engine. A table that
// cannot be looked up (dropped since, no SELECT) is taken as transactional, the common case, with
// a warning naming it. Not thread-safe: owned by the reader stage's thread.
#pragma once

#include <map>
#include <string>
#include <utility>

#include "mysql/connection.h"

namespace mm::mysql {

class TableEngines {
 public:
  explicit TableEngines(ConnectionOptions options) : options_(std::move(options)) {}

  // Whether rows of `database`.`table` survive a rollback.
  bool nonTransactional(const std::string& database, const std::string& table);

 private:
  ConnectionOptions options_;
  Connection connection_;
  std::map<std::pair<std::string, std::string>, bool> known_;
};

// Whether an information_schema ENGINE name is one whose changes a ROLLBACK undoes.
bool isTransactionalEngine(std::string_view engine);

}  // namespace mm::mysql
