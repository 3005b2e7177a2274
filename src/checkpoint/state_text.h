// The checkpoint as text: what the state file holds (checkpoint/state_file.h) and what the state
// table's row holds (state/mysql_state_store.h), so both stores save, load and reject the same way.
//
// Format (common/line_format.h: one key=value per line, '#' comments, every line ends in '\n'):
//   version=1
//   file=mysql-bin.000042
//   position=1234
//   gtid_set=0-1-100      (optional: the GTID set executed before that transaction, MySQL's
//                          uuid:1-5 form or MariaDB's domain-server-seq form; alone, without
//                          file and position, for a start by GTID set not yet streamed)
//   server_id=1           (or server_uuid=... on MySQL: the source the position belongs to;
//                          absent in files written before it was recorded, which still load)
//   snapshot_id=20261205T011500Z-3f9a      (optional, all five together: a snapshot in
//   snapshot_tables=shop.orders,shop.items  progress, docs/design.md §13.4; the tables still to
//   snapshot_after_key=x2A                  do, names percent-encoded but [A-Za-z0-9_$-]; the
//   snapshot_rows_done=4096                 first one's last confirmed key and rows, whether its
//   snapshot_table_started=1                snapshot_start is confirmed; after_key may be absent)
//   snapshot_refresh=...  snapshot_boundary=...  (optional: keys to read again, percent-encoded
//                          and joined by ','; the published part's upper key)
//   rows_done=0           (required; written last since issue 16, so that no prefix of a text
//                          loads; older files have it before gtid_set and still load)
#pragma once

#include <string>
#include <string_view>

#include "checkpoint/checkpoint.h"
#include "common/status.h"

namespace mm::checkpoint {

struct SavedState {
  Checkpoint checkpoint;
  SourceIdentity source;  // empty when the state predates it
};

std::string formatState(const Checkpoint& checkpoint, const SourceIdentity& source);

// Corruption naming `what` ("state file PATH"), the line and `fix` when the text does not parse:
// damaged includes cut off (no newline at the end, or no rows_done) and a key written twice.
Result<SavedState> parseState(std::string_view text, const std::string& what,
                              const std::string& fix);

}  // namespace mm::checkpoint
