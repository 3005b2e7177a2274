#include "message/row_oversize.h"

#include <charconv>

#include <fmt/format.h>

namespace mm::message {
namespace {

std::string headerValue(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (key == name) {
      return value;
    }
  }
  return {};
}

bool parseNumber(std::string_view text, uint64_t& value) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

RowIdentity rowIdentity(std::string_view row_message, const RowMessageLayout& layout,
                        std::string_view message_id, const Headers& headers) {
  RowIdentity row;
  row.type = headerValue(headers, "type");
  row.database = headerValue(headers, "database");
  row.table = headerValue(headers, "table");
  row.keys_json = row_message.substr(layout.keys_begin, layout.keys_end - layout.keys_begin);
  // The message id is FILE:POS:ROW (pipeline/transformer_stage.h); a file name may hold ':'.
  const size_t row_colon = message_id.rfind(':');
  const size_t pos_colon =
      row_colon == std::string_view::npos ? row_colon : message_id.rfind(':', row_colon - 1);
  if (pos_colon != std::string_view::npos &&
      parseNumber(message_id.substr(pos_colon + 1, row_colon - pos_colon - 1), row.pos) &&
      parseNumber(message_id.substr(row_colon + 1), row.row)) {
    row.file = message_id.substr(0, pos_colon);
  }
  // The GTID is the tail's last field, when there is one; GTIDs hold no character JSON escapes.
  const std::string_view tail = row_message.substr(layout.tail_begin);
  constexpr std::string_view kGtid = R"(,"gtid":")";
  if (const size_t at = tail.rfind(kGtid); at != std::string_view::npos && tail.ends_with("\"}")) {
    row.gtid = tail.substr(at + kGtid.size(), tail.size() - 2 - at - kGtid.size());
  }
  return row;
}

std::string rowOversizeMessage(std::string_view row_message, const RowMessageLayout& layout,
                               uint64_t max_message_size) {
  // {"type":"row_insert","database":..,"table_name":..,"keys":{..} | values | ,"timestamp":..}
  constexpr std::string_view kTypeField = R"({"type":)";
  const std::string_view head =
      row_message.substr(kTypeField.size(), layout.keys_end - kTypeField.size());
  return fmt::format(R"({{"type":"row_oversize","row_type":{},"message_size":{},)"
                     R"("max_message_size":{}{})",
                     head, row_message.size(), max_message_size,
                     row_message.substr(layout.tail_begin));
}

std::string describeRow(const RowIdentity& row) {
  std::string where;
  if (!row.file.empty()) {
    where = fmt::format(" at {}:{} row {}", row.file, row.pos, row.row);
  }
  if (!row.gtid.empty()) {
    where += fmt::format(", gtid {}", row.gtid);
  }
  return fmt::format("{}.{} keys {} ({}{})", row.database, row.table, row.keys_json, row.type,
                     where);
}

}  // namespace mm::message
