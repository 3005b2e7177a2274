// The origin's message bodies (message/message_format.h, origin mode), as Python 2's json.dumps
// wrote them: separators ", " and ": ", non-ASCII as \uXXXX, and the origin's fields only:
//   {"type": "row_insert", "table_name": T, "keys": {..}, "values": {every column},
//    "binlog_timestamp": B, "timestamp": S}
//   {"type": "row_update", "table_name": T, "keys": {..}, "before_values": {changed},
//    "after_values": {changed}, "binlog_timestamp": B, "timestamp": S}
//   {"type": "row_delete", "table_name": T, "keys": {..}, "binlog_timestamp": B, "timestamp": S}
//   {"timestamp": S, "type": "heartbeat"}
// The origin's key order was CPython 2.7's dict order, which no consumer can rely on; these keep
// one fixed order. An update's "keys" are the row's keys after it (the origin read them from the
// after image), and a delete carries no values even for a table without a key.
#pragma once

#include <cstdint>
#include <string>

#include "binlog/table_map.h"
#include "message/row_change.h"

namespace mm::message {

// Where the parts of an origin body are (offsets into it), for row_oversize.h and {keys_hash}.
struct OriginParts {
  size_t keys_begin = 0;  // the "keys" object: [keys_begin, keys_end)
  size_t keys_end = 0;
  size_t tail_begin = 0;  // , "binlog_timestamp": ... to the end
};

// Appends the origin body of `change` of `table`, whose sections hold values as
// appendOriginValue() (or the native fallback) wrote them and whose `keys` are the row's before an
// update, as RowMessageBuilder::encode() makes them. `parts` are relative to where it starts.
void appendOriginRowMessage(const binlog::TableMap& table, const RowChange& change,
                            int64_t publish_timestamp, std::string& out, OriginParts& parts);

// {"timestamp": S, "type": "heartbeat"}
std::string originHeartbeatMessage(int64_t publish_timestamp);

// "hb-" and str(time.time()) in Python 2 ("hb-1796391992.07"): the origin's heartbeat id.
std::string originHeartbeatId(double unix_seconds);

}  // namespace mm::message
