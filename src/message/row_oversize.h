// Row messages the broker cannot take: what identifies the row, and the "row_oversize" message
// published in its place when [amqp] on_oversize = stub:
//   {"type":"row_oversize","row_type":"row_insert","database":D,"table_name":T,"keys":{..},
//    "message_size":N,"max_message_size":M,"timestamp":S,"binlog_timestamp":B,
//    "position":{"file","pos","row"},"gtid":G}
// It takes the row's place in the stream (same message_id, routing key and headers) and names the
// row (keys, and where it is in the binlog), so a consumer can read it from the source itself.
//
// Nothing is parsed: RowMessageBuilder reports where the parts of each row message it writes are
// (RowMessageLayout: the head up to the end of "keys", and the tail from ,"timestamp": on), and
// the stub is the row message's own head and tail around the two sizes. A message is found too
// large only by the publisher, rarely; these three offsets are all a row's item carries for it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "message/message_route.h"

namespace mm::message {

// Where the parts of a row message are, as offsets into its body (RowMessageBuilder::layout()).
// All zero for any other message (a heartbeat, a gap).
struct RowMessageLayout {
  uint32_t keys_begin = 0;  // the "keys" object: [keys_begin, keys_end)
  uint32_t keys_end = 0;
  uint32_t tail_begin = 0;  // ,"timestamp":...} to the end
  bool isRow() const { return tail_begin != 0; }
};

// What names a row in logs and errors.
struct RowIdentity {
  std::string type;  // row_insert, row_update, row_delete
  std::string database;
  std::string table;
  std::string keys_json;  // the `keys` object, as the message has it
  std::string file;       // "" when the message id is not FILE:POS:ROW
  uint64_t pos = 0;
  uint64_t row = 0;
  std::string gtid;  // "" when the message has none
};

// The identity of a row message with `layout`, `message_id` (FILE:POS:ROW) and the route's
// `headers` (database, table, type).
RowIdentity rowIdentity(std::string_view row_message, const RowMessageLayout& layout,
                        std::string_view message_id, const Headers& headers);

// The row_oversize message for `row_message` (which has `layout`, and is over the broker's
// `max_message_size`).
std::string rowOversizeMessage(std::string_view row_message, const RowMessageLayout& layout,
                               uint64_t max_message_size);

// "shop.item keys {"id":7} (row_insert at mysql-bin.000042:91234 row 0, gtid 0-1-5)", for logs and
// errors.
std::string describeRow(const RowIdentity& row);

}  // namespace mm::message
