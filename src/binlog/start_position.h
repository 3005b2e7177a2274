// StartPosition: `[mysql] start_position`, parsed once when the configuration loads; where a
// stream starts when no checkpoint exists (mysql/binlog_stream.h resolves it on the server).
//
//   current          the server's current end of binlog
//   earliest         the first binlog still on the server
//   FILE:POS         a file position, POS >= 4 (the first event after the 4-byte magic)
//   a GTID set       MySQL "uuid:1-100[,...]" or MariaDB "domain-server-seq[,...]": start after
//                    those transactions
//
// A text that is both a GTID set and FILE:POS ("uuid:100") is a GTID set. Pure: no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "binlog/gtid_set.h"
#include "binlog/position.h"

namespace mm::binlog {

struct StartPosition {
  enum class Kind { Current, Earliest, At, Gtid };

  static StartPosition current() { return {Kind::Current, {}, {}, "current"}; }
  static StartPosition earliest() { return {Kind::Earliest, {}, {}, "earliest"}; }

  Kind kind = Kind::Current;
  Position at;       // Kind::At
  GtidState gtids;   // Kind::Gtid: a known, non-empty set
  std::string text;  // as written (logs, `status`)
};

// nullopt when `text` is none of the forms (the caller words the error: config/config.cpp names
// the setting and the forms).
std::optional<StartPosition> parseStartPosition(std::string_view text);

}  // namespace mm::binlog
