// RowMessageBuilder: turns decoded row images into the JSON messages consumers receive.
//
// The contract (README "Messages"; extra fields may be added, none renamed):
//   {"type":"row_insert","table_name":T,"keys":{..},"values":{every logged column},...}
//   {"type":"row_update","table_name":T,"keys":{..},"before_values":{changed},"after_values":{changed},...}
//   {"type":"row_delete","table_name":T,"keys":{..},...}
//   {"type":"heartbeat","timestamp":S}
// Rows also carry "database", "timestamp" (when the message was built for publishing, Unix s) and
// "binlog_timestamp" (the event's, Unix s). A column absent from an image is absent from the message,
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

struct RowTimes {
  int64_t binlog_timestamp = 0;
  int64_t publish_timestamp = 0;
};

class RowMessageBuilder {
 public:
  using Cells = std::vector<binlog::Cell>;

  Result<std::string_view> insert(const binlog::TableMap& table, const Cells& after, RowTimes times);
  Result<std::string_view> update(const binlog::TableMap& table, const Cells& before, const Cells& after,
                                  RowTimes times);
  Result<std::string_view> remove(const binlog::TableMap& table, const Cells& before, RowTimes times);
  std::string_view heartbeat(int64_t publish_timestamp);

 private:
  using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

  void begin(std::string_view type, const binlog::TableMap& table);
  void end(RowTimes times);
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
