// AppliedTable: the table a consumer ends with when it applies every row message it receives, in
// order, duplicates included (a re-sent sequence replays in order, so applying it again is right;
// skipping by message_id would let a replayed older change win). Keyed by the message's `keys`.
// A row_snapshot is applied as an upsert of the whole row, as a row_insert; a row_update of a row
// not held changes nothing, as an SQL UPDATE by its keys (examples/ do the same).
// Used by fault tests to compare the stream with the real table (tableRows of a SELECT).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "mysql/connection.h"
#include "support/amqp_test_consumer.h"

namespace mm::test {

class AppliedTable {
 public:
  using Row = std::map<std::string, std::string>;  // column -> value as text, "NULL" for SQL NULL
  using Rows = std::map<std::string, Row>;         // key values joined by ',' -> row

  // Applies a row message (heartbeats are skipped). Internal error for a body that is not ours.
  Status apply(const ReceivedMessage& message);

  const Rows& rows() const { return rows_; }
  uint64_t rowMessages() const { return row_messages_; }
  // Row messages whose message_id arrived before.
  uint64_t duplicates() const { return duplicates_; }

 private:
  Rows rows_;
  std::set<std::string> seen_ids_;
  uint64_t row_messages_ = 0;
  uint64_t duplicates_ = 0;
};

// The rows of `SELECT columns FROM table` in AppliedTable's shape; `key_columns` lists the
// indexes of the primary-key columns in `columns`, in key order.
AppliedTable::Rows tableRows(const std::vector<std::string>& columns,
                             const std::vector<size_t>& key_columns,
                             const std::vector<mysql::Row>& rows);

// A short description of how `actual` differs from `expected` (empty when equal).
std::string describeDifference(const AppliedTable::Rows& expected,
                               const AppliedTable::Rows& actual);

}  // namespace mm::test
