#include "message/row_message_builder.h"

#include <charconv>

#include <fmt/format.h>

#include "binlog/column_type.h"
#include "common/base64.h"

namespace mm::message {

using binlog::Cell;
using binlog::CellValue;
using binlog::TableMap;
using binlog::TableMapColumn;

namespace {

bool sameCell(const Cell& a, const Cell& b) {
  if (a.state != b.state) {
    return false;
  }
  return a.state != Cell::State::Value ||
         std::equal(a.bytes.begin(), a.bytes.end(), b.bytes.begin(), b.bytes.end());
}

bool isKeyColumn(const TableMap& table, size_t index) {
  for (uint32_t k : table.primary_key) {
    if (k == index) {
      return true;
    }
  }
  return false;
}

}  // namespace

void RowMessageBuilder::begin(std::string_view type, const TableMap& table) {
  buffer_.Clear();
  writer_.Reset(buffer_);
  writer_.StartObject();
  writer_.Key("type");
  writer_.String(type.data(), static_cast<rapidjson::SizeType>(type.size()));
  writer_.Key("database");
  writer_.String(table.database.data(), static_cast<rapidjson::SizeType>(table.database.size()));
  writer_.Key("table_name");
  writer_.String(table.table.data(), static_cast<rapidjson::SizeType>(table.table.size()));
}

void RowMessageBuilder::end(const RowOrigin& origin) {
  writer_.Key("timestamp");
  writer_.Int64(origin.publish_timestamp);
  writer_.Key("binlog_timestamp");
  writer_.Int64(origin.binlog_timestamp);
  if (!origin.file.empty()) {
    writer_.Key("position");
    writer_.StartObject();
    writer_.Key("file");
    writer_.String(origin.file.data(), static_cast<rapidjson::SizeType>(origin.file.size()));
    writer_.Key("pos");
    writer_.Uint64(origin.event_end);
    writer_.Key("row");
    writer_.Uint64(origin.row);
    writer_.EndObject();
  }
  if (!origin.gtid.empty()) {
    writer_.Key("gtid");
    writer_.String(origin.gtid.data(), static_cast<rapidjson::SizeType>(origin.gtid.size()));
  }
  writer_.EndObject();
}

Status RowMessageBuilder::writeValue(const TableMapColumn& column, const Cell& cell) {
  if (cell.state == Cell::State::Null) {
    writer_.Null();
    return Status::ok();
  }
  MM_RETURN_IF_ERROR(binlog::decodeCell(column, cell, scratch_));
  const CellValue& v = scratch_;
  switch (v.kind) {
    case CellValue::Kind::Signed: writer_.Int64(v.i); break;
    case CellValue::Kind::Unsigned: writer_.Uint64(v.u); break;
    case CellValue::Kind::Float:
    case CellValue::Kind::Double: {
      // Shortest text that reads back to the same float/double (a FLOAT 1.1 stays "1.1").
      char text[32];
      auto result = v.kind == CellValue::Kind::Float ? std::to_chars(text, text + sizeof text, v.f)
                                                     : std::to_chars(text, text + sizeof text, v.d);
      writer_.RawValue(text, static_cast<size_t>(result.ptr - text), rapidjson::kNumberType);
      break;
    }
    case CellValue::Kind::Text:
      writer_.String(reinterpret_cast<const char*>(v.bytes.data()),
                     static_cast<rapidjson::SizeType>(v.bytes.size()));
      break;
    case CellValue::Kind::Binary:
      base64_.clear();
      appendBase64(v.bytes, v.padded_length, base64_);
      writer_.String(base64_.data(), static_cast<rapidjson::SizeType>(base64_.size()));
      break;
    case CellValue::Kind::Chars: writer_.String(v.text.data(), v.text_len); break;
    case CellValue::Kind::Set:
      writer_.StartArray();
      for (size_t i = 0; i < v.members->size() && i < 64; ++i) {
        if ((v.u >> i) & 1) {
          writer_.String((*v.members)[i].data(), static_cast<rapidjson::SizeType>((*v.members)[i].size()));
        }
      }
      writer_.EndArray();
      break;
    case CellValue::Kind::Json:
      writer_.RawValue(v.json.data(), v.json.size(), rapidjson::kObjectType);
      break;
  }
  return Status::ok();
}

template <typename Include>
Status RowMessageBuilder::writeColumns(const TableMap& table, const Cells& cells, Include include) {
  writer_.StartObject();
  for (size_t i = 0; i < cells.size(); ++i) {
    if (cells[i].state == Cell::State::Absent || !include(i)) {
      continue;
    }
    const TableMapColumn& column = table.columns[i];
    writer_.Key(column.name.data(), static_cast<rapidjson::SizeType>(column.name.size()));
    Status status = writeValue(column, cells[i]);
    if (!status.isOk()) {
      return status.withContext(fmt::format("{}.{} column {} ({})", table.database, table.table,
                                            column.name, binlog::columnTypeName(column.real_type)));
    }
  }
  writer_.EndObject();
  return Status::ok();
}

Status RowMessageBuilder::writeKeys(const TableMap& table, const Cells& image) {
  writer_.Key("keys");
  return writeColumns(table, image, [&](size_t i) { return isKeyColumn(table, i); });
}

Result<std::string_view> RowMessageBuilder::insert(const TableMap& table, const Cells& after,
                                                   const RowOrigin& origin) {
  begin("row_insert", table);
  MM_RETURN_IF_ERROR(writeKeys(table, after));
  writer_.Key("values");
  MM_RETURN_IF_ERROR(writeColumns(table, after, [](size_t) { return true; }));
  end(origin);
  return std::string_view(buffer_.GetString(), buffer_.GetSize());
}

Result<std::string_view> RowMessageBuilder::update(const TableMap& table, const Cells& before,
                                                   const Cells& after, const RowOrigin& origin) {
  begin("row_update", table);
  // The key identifies the row as it was; MINIMAL images may log it in the before image only.
  MM_RETURN_IF_ERROR(writeKeys(table, before));
  // A column is reported when the after image logs it and it differs from a logged before value
  // (or no before value is logged, as with MINIMAL images).
  auto changed = [&](size_t i) {
    return after[i].state != Cell::State::Absent && !sameCell(before[i], after[i]);
  };
  writer_.Key("before_values");
  MM_RETURN_IF_ERROR(writeColumns(table, before, changed));
  writer_.Key("after_values");
  MM_RETURN_IF_ERROR(writeColumns(table, after, changed));
  end(origin);
  return std::string_view(buffer_.GetString(), buffer_.GetSize());
}

Result<std::string_view> RowMessageBuilder::remove(const TableMap& table, const Cells& before,
                                                   const RowOrigin& origin) {
  begin("row_delete", table);
  MM_RETURN_IF_ERROR(writeKeys(table, before));
  if (table.primary_key.empty()) {
    writer_.Key("values");
    MM_RETURN_IF_ERROR(writeColumns(table, before, [](size_t) { return true; }));
  }
  end(origin);
  return std::string_view(buffer_.GetString(), buffer_.GetSize());
}

std::string_view RowMessageBuilder::heartbeat(int64_t publish_timestamp) {
  buffer_.Clear();
  writer_.Reset(buffer_);
  writer_.StartObject();
  writer_.Key("type");
  writer_.String("heartbeat");
  writer_.Key("timestamp");
  writer_.Int64(publish_timestamp);
  writer_.EndObject();
  return {buffer_.GetString(), buffer_.GetSize()};
}

}  // namespace mm::message
