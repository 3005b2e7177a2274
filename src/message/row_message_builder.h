// RowMessageBuilder: turns decoded row images into the JSON messages consumers receive.
//
// The contract (README "Messages"; extra fields may be added, none renamed):
//   {"type":"row_insert","table_name":T,"keys":{..},"values":{every logged column},...}
//   {"type":"row_update","table_name":T,"keys":{..},"before_values":{changed},"after_values":{changed},...}
//   {"type":"row_delete","table_name":T,"keys":{..},...}
//   {"type":"heartbeat","timestamp":S}
// Rows also carry "database", "timestamp" (when the message was built for publishing, Unix s),
// "binlog_timestamp" (the event's, Unix s), "position" {"file","pos","row"} (the rows event's file
// and end position and the row's index there: the coordinate the message_id is made of) and "gtid"
// (the transaction's, when the server has one). A column absent from an image is absent from the message,
// never null. `keys` are the primary-key columns; a table without a primary key gets an empty `keys`
// and its deletes carry the logged before image as `values` so the row can still be identified.
//
// Requires: the TableMap has column names (from metadata or binlog::completeTableMap). One builder
// per thread; the returned string_view is valid until the next call.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "binlog/column_value.h"
#include "binlog/rows_event.h"
#include "binlog/table_map.h"
#include "common/status.h"

namespace mm::message {

// Where and when a row change happened, as its message states it.
struct RowOrigin {
  int64_t binlog_timestamp = 0;   // the event's, Unix s
  int64_t publish_timestamp = 0;  // when the message is built, Unix s
  std::string_view file = {};     // the rows event's binlog file; "" = no "position" field
  uint64_t event_end = 0;         // the rows event's end position
  uint64_t row = 0;               // the row's index among the rows at that position
  std::string_view gtid = {};     // the transaction's GTID; "" = no "gtid" field
};

class RowMessageBuilder {
 public:
  using Cells = std::vector<binlog::Cell>;

  Result<std::string_view> insert(const binlog::TableMap& table, const Cells& after, const RowOrigin& origin);
  Result<std::string_view> update(const binlog::TableMap& table, const Cells& before, const Cells& after,
                                  const RowOrigin& origin);
  Result<std::string_view> remove(const binlog::TableMap& table, const Cells& before, const RowOrigin& origin);
  std::string_view heartbeat(int64_t publish_timestamp);

 private:
  using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

  void begin(std::string_view type, const binlog::TableMap& table);
  void end(const RowOrigin& origin);
  // Writes {"name":value,...} for the columns `include` selects among `cells`.
  template <typename Include>
  Status writeColumns(const binlog::TableMap& table, const Cells& cells, Include include);
  Status writeKeys(const binlog::TableMap& table, const Cells& image);
  Status writeValue(const binlog::TableMapColumn& column, const binlog::Cell& cell);

  rapidjson::StringBuffer buffer_;
  Writer writer_{buffer_};
  binlog::CellValue scratch_;
  std::string base64_;
};

}  // namespace mm::message
