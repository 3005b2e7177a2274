#include "support/applied_table.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace mm::test {
namespace {

std::string valueText(const rapidjson::Value& value) {
  if (value.IsNull()) {
    return "NULL";
  }
  if (value.IsString()) {
    return std::string(value.GetString(), value.GetStringLength());
  }
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return buffer.GetString();
}

std::string keyOf(const rapidjson::Value& keys) {
  std::string key;
  for (const auto& column : keys.GetObject()) {
    key += (key.empty() ? "" : ",") + valueText(column.value);
  }
  return key;
}

void assign(AppliedTable::Row& row, const rapidjson::Value& values) {
  for (const auto& column : values.GetObject()) {
    row[column.name.GetString()] = valueText(column.value);
  }
}

}  // namespace

Status AppliedTable::apply(const ReceivedMessage& message) {
  rapidjson::Document doc;
  doc.Parse(message.body.c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("type")) {
    return Status::internal("not a message of ours: " + message.body);
  }
  const std::string type = doc["type"].GetString();
  if (type == "heartbeat" || type == "snapshot_start" || type == "snapshot_end") {
    return Status::ok();
  }
  if (!doc.HasMember("keys") || !doc["keys"].IsObject()) {
    return Status::internal("row message without keys: " + message.body);
  }
  ++row_messages_;
  if (!seen_ids_.insert(message.message_id).second) {
    ++duplicates_;
  }
  const std::string key = keyOf(doc["keys"]);
  if (type == "row_insert" || type == "row_snapshot") {  // a snapshot row is an upsert
    Row& row = rows_[key];
    row.clear();
    assign(row, doc["values"]);
  } else if (type == "row_update") {
    // As `UPDATE ... WHERE keys`: a row the consumer does not hold is not changed (it comes later
    // whole, in a snapshot chunk), and a re-sent key change whose row moved already must not
    // replace the moved row with the few columns the update carries.
    auto held = rows_.find(key);
    if (held == rows_.end()) {
      return Status::ok();
    }
    Row row = std::move(held->second);
    rows_.erase(held);
    assign(row, doc["after_values"]);
    // The key may have changed: the row's new key is its key columns' new values.
    rapidjson::Value new_keys(doc["keys"], doc.GetAllocator());
    for (auto& column : new_keys.GetObject()) {
      auto after = doc["after_values"].FindMember(column.name);
      if (after != doc["after_values"].MemberEnd()) {
        column.value.CopyFrom(after->value, doc.GetAllocator());
      }
    }
    rows_[keyOf(new_keys)] = std::move(row);
  } else if (type == "row_delete") {
    rows_.erase(key);
  } else {
    return Status::internal("unknown message type: " + message.body);
  }
  return Status::ok();
}

AppliedTable::Rows tableRows(const std::vector<std::string>& columns,
                             const std::vector<size_t>& key_columns,
                             const std::vector<mysql::Row>& rows) {
  AppliedTable::Rows out;
  for (const mysql::Row& row : rows) {
    std::string key;
    for (size_t k : key_columns) {
      key += (key.empty() ? "" : ",") + row[k].value_or("NULL");
    }
    AppliedTable::Row& target = out[key];
    for (size_t i = 0; i < columns.size(); ++i) {
      target[columns[i]] = row[i].value_or("NULL");
    }
  }
  return out;
}

std::string describeDifference(const AppliedTable::Rows& expected,
                               const AppliedTable::Rows& actual) {
  std::string out;
  int shown = 0;
  auto row_text = [](const AppliedTable::Row& row) {
    std::string text;
    for (const auto& [column, value] : row) {
      text += fmt::format("{}{}={}", text.empty() ? "" : " ", column, value);
    }
    return text;
  };
  for (const auto& [key, row] : expected) {
    auto it = actual.find(key);
    if ((it == actual.end() || it->second != row) && shown++ < 10) {
      out += fmt::format("key {}: table has [{}], consumer has [{}]\n", key, row_text(row),
                         it == actual.end() ? "no row" : row_text(it->second));
    }
  }
  for (const auto& [key, row] : actual) {
    if (!expected.contains(key) && shown++ < 10) {
      out += fmt::format("key {}: table has no row, consumer has [{}]\n", key, row_text(row));
    }
  }
  if (shown > 10) {
    out += fmt::format("... {} differences in all\n", shown);
  }
  return out;
}

}  // namespace mm::test
