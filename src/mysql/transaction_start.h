// Where the transaction holding a binlog position starts, for a cut-over from the Python monitor
// (checkpoint/origin_state.h): it saved the end of a rows event, usually inside a transaction, and
// mysql-monitor resumes only at transaction starts (docs/design.md §2). The server lists its
// events (SHOW BINLOG EVENTS, which REPLICATION CLIENT / BINLOG MONITOR allows) from the file's
// start up to that position, a page at a time; the last transaction end before it is where the
// transaction holding it starts. Once, at the first start: a 1 GiB binlog lists in seconds.
#pragma once

#include <cstdint>
#include <string>

#include "binlog/position.h"
#include "common/status.h"
#include "mysql/connection.h"

namespace mm::mysql {

// One event as SHOW BINLOG EVENTS lists it.
struct ListedEvent {
  uint64_t pos = 0;  // where it starts
  std::string type;  // Event_type: "Gtid", "Query", "Xid", "Write_rows_v1", ...
  uint64_t end = 0;  // End_log_pos
  std::string info;  // "BEGIN GTID 0-1-5", "BEGIN", "COMMIT /* xid=7 */", ...
};

// Follows transaction boundaries through the events of one binlog file, listed in order from its
// start. Pure; the query lives in transactionStartOf().
class TransactionBoundaries {
 public:
  void add(const ListedEvent& event);
  // Where the transaction after the events added so far starts (4, the file's first event, when
  // none ended yet).
  uint64_t lastStart() const { return last_start_; }

 private:
  bool in_transaction_ = false;
  uint64_t last_start_ = 4;
};

// The start of the transaction holding `inside` (or of the next one, when `inside` lies between
// transactions). Errors name the server and the file: a file the server no longer has, a position
// past its end.
Result<uint64_t> transactionStartOf(Connection& connection, const binlog::Position& inside);

}  // namespace mm::mysql
