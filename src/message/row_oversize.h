// Row messages the broker cannot take: what identifies the row, read back from its message, and the
// "row_oversize" message published in its place when [amqp] on_oversize = stub:
//   {"type":"row_oversize","row_type":"row_insert","database":D,"table_name":T,"keys":{..},
//    "message_size":N,"max_message_size":M,"timestamp":S,"binlog_timestamp":B,
//    "position":{"file","pos","row"},"gtid":G}
// It takes the row's place in the stream (same message_id, routing key and headers) and names the
// row (keys, and where it is in the binlog), so a consumer can read it from the source itself.
//
// Why read the message instead of keeping the facts beside it: a message is found too large only
// by the publisher, rarely, and keeping these fields for every row would cost the hot path.
// Reading costs little even for a body of hundreds of megabytes: RowMessageBuilder writes the
// identifying fields before the values (type, database, table_name, keys) and the rest after them
// (timestamp, binlog_timestamp, position, gtid), so only the head and the tail are parsed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace mm::message {

// The fields of a row message that identify the row.
struct RowIdentity {
  std::string type;  // row_insert, row_update, row_delete
  std::string database;
  std::string table;
  std::string keys_json;  // the `keys` object, compact, as the message has it
  int64_t timestamp = 0;
  int64_t binlog_timestamp = 0;
  std::string file;  // "" when the message has no position
  uint64_t pos = 0;
  uint64_t row = 0;
  std::string gtid;  // "" when the message has none
};

// The identity of a row message as RowMessageBuilder writes it. InvalidArgument naming what is
// missing when `row_message` is not one (a heartbeat, a gap message, malformed text).
Result<RowIdentity> readRowIdentity(std::string_view row_message);

// The row_oversize message for a row whose message has `message_size` bytes, over the broker's
// `max_message_size`.
std::string rowOversizeMessage(const RowIdentity& row, uint64_t message_size,
                               uint64_t max_message_size);

// "shop.item keys {"id":7} (row_insert at mysql-bin.000042:91234 row 0, gtid 0-1-5)", for logs and
// errors.
std::string describeRow(const RowIdentity& row);

}  // namespace mm::message
