#include "message/row_message_builder.h"

#include "message/snapshot_message.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "binlog/column_type.h"
#include "common/check.h"
#include "message/origin_message.h"
#include "message/origin_value.h"

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

void RowMessageBuilder::prepare(std::shared_ptr<const TableMap> table) {
  if (prefixes_.pinned == table && prefixes_.table == table.get()) {
    return;
  }
  prepare(*table);
  prefixes_.pinned = std::move(table);
}

void RowMessageBuilder::prepare(const TableMap& table) {
  TablePrefixes& p = prefixes_;
  p.pinned.reset();
  if (p.table == &table && p.database == table.database && p.table_name == table.table &&
      p.names.size() == table.columns.size() &&
      std::equal(p.names.begin(), p.names.end(), table.columns.begin(),
                 [](const std::string& name, const TableMapColumn& column) {
                   return name == column.name;
                 })) {
    return;
  }
  p.table = &table;
  p.database = table.database;
  p.table_name = table.table;
  p.header.assign(",\"database\":");
  appendJsonString(table.database, p.header);
  p.header.append(",\"table_name\":");
  appendJsonString(table.table, p.header);
  p.names.resize(table.columns.size());
  p.keys.resize(table.columns.size());
  for (size_t i = 0; i < table.columns.size(); ++i) {
    p.names[i] = table.columns[i].name;
    std::string key(1, ',');
    appendJsonString(table.columns[i].name, key);
    key.push_back(':');
    p.keys[i] = padJsonText(key);
  }
}

void RowMessageBuilder::begin(std::string_view type, const TableMap& table) {
  JsonBuffer& out = *out_;
  if (prefixes_.table != &table) {
    prepare(table);
  }
  if (out_ == &own_) {
    own_.clear();
  }
  start_ = out.size();
  out.raw("{\"type\":\"");
  out.raw(type);
  out.put('"');
  out.raw(prefixes_.header);
}

std::string_view RowMessageBuilder::end(const RowOrigin& origin) {
  JsonBuffer& out = *out_;
  OriginText& t = origin_text_;
  if (!t.valid || t.publish_timestamp != origin.publish_timestamp ||
      t.binlog_timestamp != origin.binlog_timestamp || t.file != origin.file) {
    t.valid = true;
    t.publish_timestamp = origin.publish_timestamp;
    t.binlog_timestamp = origin.binlog_timestamp;
    t.file.assign(origin.file);
    t.head = fmt::format(",\"timestamp\":{},\"binlog_timestamp\":{}", origin.publish_timestamp,
                         origin.binlog_timestamp);
    if (!origin.file.empty()) {
      t.head.append(",\"position\":{\"file\":");
      appendJsonString(origin.file, t.head);
      t.head.append(",\"pos\":");
    }
  }
  if (t.gtid != origin.gtid) {
    t.gtid.assign(origin.gtid);
    t.gtid_field.clear();
    if (!origin.gtid.empty()) {
      t.gtid_field.assign(",\"gtid\":");
      appendJsonString(origin.gtid, t.gtid_field);
    }
  }
  tail_begin_ = out.size();
  out.raw(t.head);
  if (!origin.file.empty()) {
    out.uint64(origin.event_end);
    out.raw(",\"row\":");
    out.uint64(origin.row);
    out.put('}');
  }
  out.raw(t.gtid_field);
  out.put('}');
  return out.view().substr(start_);
}

Result<std::string_view> RowMessageBuilder::finish(const Status& written, const RowOrigin& origin) {
  JsonBuffer& out = *out_;
  if (!written.isOk()) {
    out.truncate(start_);
    return written;
  }
  return end(origin);
}

Status RowMessageBuilder::writeValue(const TableMapColumn& column, const Cell& cell) {
  JsonBuffer& out = *out_;
  if (cell.state == Cell::State::Null) {
    out.raw("null");
    return Status::ok();
  }
  MM_RETURN_IF_ERROR(binlog::decodeCell(column, cell, scratch_));
  const CellValue& v = scratch_;
  switch (v.kind) {
    case CellValue::Kind::Signed: out.int64(v.i); break;
    case CellValue::Kind::Unsigned: out.uint64(v.u); break;
    case CellValue::Kind::Float:
    case CellValue::Kind::Double: {
      // Shortest text that reads back to the same float/double (a FLOAT 1.1 stays "1.1").
      constexpr size_t kRoom = 32;
      char* text = out.reserve(kRoom);
      auto result = v.kind == CellValue::Kind::Float ? std::to_chars(text, text + kRoom, v.f)
                                                     : std::to_chars(text, text + kRoom, v.d);
      out.commit(result.ptr);
      break;
    }
    case CellValue::Kind::Text: out.string(v.bytes); break;
    case CellValue::Kind::Binary:
      // Base64 needs no escapes.
      out.put('"');
      out.base64(v.bytes, v.padded_length);
      out.put('"');
      break;
    case CellValue::Kind::Chars:
      // Digits and separators only (column_value.cpp): nothing to escape.
      out.put('"');
      out.raw({v.text.data(), v.text_len});
      out.put('"');
      break;
    case CellValue::Kind::Set: {
      out.put('[');
      bool first = true;
      for (size_t i = 0; i < v.members->size() && i < 64; ++i) {
        if ((v.u >> i) & 1) {
          if (!first) {
            out.put(',');
          }
          first = false;
          out.string((*v.members)[i]);
        }
      }
      out.put(']');
      break;
    }
    case CellValue::Kind::Json: out.raw(v.json); break;
  }
  return Status::ok();
}

Status RowMessageBuilder::writeEncodedValue(const TableMapColumn& column, const Cell& cell) {
  if (format_ != MessageFormat::Origin || cell.state == Cell::State::Null) {
    return writeValue(column, cell);
  }
  MM_RETURN_IF_ERROR(binlog::decodeCell(column, cell, scratch_));
  origin_json_.clear();
  if (!appendOriginValue(column, scratch_, origin_json_)) {
    return writeValue(column, cell);  // a value the origin could not publish: the native one
  }
  out_->raw(origin_json_);
  return Status::ok();
}

Result<std::string_view> RowMessageBuilder::writeOrigin(binlog::RowsKind kind,
                                                        const TableMap& table, const Cells& image,
                                                        const Cells& after,
                                                        const RowOrigin& origin) {
  MM_RETURN_IF_ERROR(encode(kind, table, image, after, origin_change_));
  origin_change_.kind = kind;
  origin_change_.origin.binlog_timestamp = origin.binlog_timestamp;
  return renderOrigin(table, origin_change_, origin.publish_timestamp);
}

std::string_view RowMessageBuilder::renderOrigin(const TableMap& table, const RowChange& change,
                                                 int64_t publish_timestamp) {
  JsonBuffer& out = *out_;
  if (out_ == &own_) {
    own_.clear();
  }
  start_ = out.size();
  origin_json_.clear();
  OriginParts parts;
  appendOriginRowMessage(table, change, publish_timestamp, origin_json_, parts);
  out.raw(origin_json_);
  keys_begin_ = start_ + parts.keys_begin;
  keys_end_ = start_ + parts.keys_end;
  tail_begin_ = start_ + parts.tail_begin;
  return out.view().substr(start_);
}

Status RowMessageBuilder::columnError(const Status& status, const TableMap& table, size_t i) {
  const TableMapColumn& column = table.columns[i];
  return status.withContext(fmt::format("{}.{} column {} ({})", table.database, table.table,
                                        column.name, binlog::columnTypeName(column.real_type)));
}

namespace {

// The text that opens each section (RowMessageBuilder::Section), the one place their names are
// spelled.
constexpr std::string_view kSectionOpen[] = {",\"keys\":{", ",\"values\":{", ",\"before_values\":{",
                                             ",\"after_values\":{"};

}  // namespace

// Inline, with the error's text made out of line: it runs for every value.
inline Status RowMessageBuilder::writeColumn(const TableMap& table, const Cells& cells, size_t i,
                                             bool& first) {
  JsonBuffer& out = *out_;
  out.rawPadded(prefixes_.keys[i], first ? 1 : 0);
  first = false;
  Status status = writeValue(table.columns[i], cells[i]);
  if (!status.isOk()) [[unlikely]] {
    return columnError(status, table, i);
  }
  return status;
}

// Writes each section into the message: "section":{"name":value,...}.
struct RowMessageBuilder::DirectWriter {
  RowMessageBuilder& builder;
  bool first = true;

  void open(Section section) {
    builder.out_->raw(kSectionOpen[static_cast<size_t>(section)]);
    if (section == Section::Keys) {
      builder.keys_begin_ = builder.out_->size() - 1;
    }
    first = true;
  }
  Status column(const TableMap& table, const Cells& cells, size_t i) {
    return builder.writeColumn(table, cells, i, first);
  }
  void close(Section section) {
    builder.out_->put('}');
    if (section == Section::Keys) {
      builder.keys_end_ = builder.out_->size();
    }
  }
};

// Encodes each section's values into a RowChange.
struct RowMessageBuilder::EncodeWriter {
  RowMessageBuilder& builder;
  RowChange& change;
  EncodedColumns* target = nullptr;

  void open(Section section) {
    EncodedColumns* sections[] = {&change.keys, &change.values, &change.before, &change.after};
    target = sections[static_cast<size_t>(section)];
  }
  Status column(const TableMap& table, const Cells& cells, size_t i) {
    builder.encoded_.clear();
    Status status = builder.writeEncodedValue(table.columns[i], cells[i]);
    if (!status.isOk()) [[unlikely]] {
      return columnError(status, table, i);
    }
    target->append(static_cast<uint32_t>(i), builder.encoded_.view());
    return status;
  }
  void close(Section) {}
};

template <typename Writer, typename Include>
Status RowMessageBuilder::walkColumns(Section section, const TableMap& table, const Cells& cells,
                                      Include include, Writer& writer) {
  writer.open(section);
  for (size_t i = 0; i < cells.size(); ++i) {
    if (cells[i].state != Cell::State::Absent && include(i)) {
      MM_RETURN_IF_ERROR(writer.column(table, cells, i));
    }
  }
  writer.close(section);
  return Status::ok();
}

template <typename Writer>
Status RowMessageBuilder::walkKeys(const TableMap& table, const Cells& image, Writer& writer) {
  // Keys go in column order. A key listed in that order (a one-column key always is) is written
  // from its own list; walking every column and asking whether it is a key cost 2% of decode.
  const std::vector<uint32_t>& key = table.primary_key;
  const bool in_column_order =
      std::adjacent_find(key.begin(), key.end(), [](uint32_t a, uint32_t b) { return a >= b; }) ==
          key.end() &&
      (key.empty() || key.back() < image.size());
  if (!in_column_order) {
    return walkColumns(
        Section::Keys, table, image, [&](size_t i) { return isKeyColumn(table, i); }, writer);
  }
  writer.open(Section::Keys);
  for (uint32_t i : key) {
    if (image[i].state != Cell::State::Absent) {
      MM_RETURN_IF_ERROR(writer.column(table, image, i));
    }
  }
  writer.close(Section::Keys);
  return Status::ok();
}

template <typename Writer>
Status RowMessageBuilder::walk(binlog::RowsKind kind, const TableMap& table, const Cells& image,
                               const Cells& after, Writer& writer) {
  // The key identifies the row as it was; MINIMAL images may log it in the before image only.
  MM_RETURN_IF_ERROR(walkKeys(table, image, writer));
  auto every = [](size_t) { return true; };
  switch (kind) {
    case binlog::RowsKind::Write: return walkColumns(Section::Values, table, image, every, writer);
    case binlog::RowsKind::Update: {
      // A column is reported when the after image logs it and it differs from a logged before
      // value (or no before value is logged, as with MINIMAL images).
      auto changed = [&](size_t i) {
        return after[i].state != Cell::State::Absent && !sameCell(image[i], after[i]);
      };
      MM_RETURN_IF_ERROR(walkColumns(Section::Before, table, image, changed, writer));
      return walkColumns(Section::After, table, after, changed, writer);
    }
    case binlog::RowsKind::Delete:
      // Without a key, the whole logged row is what identifies it.
      return table.primary_key.empty() ? walkColumns(Section::Values, table, image, every, writer)
                                       : Status::ok();
  }
  return Status::ok();
}

Result<std::string_view> RowMessageBuilder::write(binlog::RowsKind kind, const TableMap& table,
                                                  const Cells& image, const Cells& after,
                                                  const RowOrigin& origin) {
  if (format_ == MessageFormat::Origin) [[unlikely]] {
    return writeOrigin(kind, table, image, after, origin);
  }
  begin(changeType(kind), table);
  DirectWriter writer{*this};
  return finish(walk(kind, table, image, after, writer), origin);
}

Result<std::string_view> RowMessageBuilder::insert(const TableMap& table, const Cells& after,
                                                   const RowOrigin& origin) {
  return write(binlog::RowsKind::Write, table, after, after, origin);
}

Result<std::string_view> RowMessageBuilder::update(const TableMap& table, const Cells& before,
                                                   const Cells& after, const RowOrigin& origin) {
  return write(binlog::RowsKind::Update, table, before, after, origin);
}

Result<std::string_view> RowMessageBuilder::remove(const TableMap& table, const Cells& before,
                                                   const RowOrigin& origin) {
  return write(binlog::RowsKind::Delete, table, before, before, origin);
}

Status RowMessageBuilder::encode(binlog::RowsKind kind, const TableMap& table, const Cells& image,
                                 const Cells& after, RowChange& change) {
  change.keys.clear();
  change.values.clear();
  change.before.clear();
  change.after.clear();
  JsonBuffer* const saved = out_;
  out_ = &encoded_;
  EncodeWriter writer{*this, change};
  Status status = walk(kind, table, image, after, writer);
  out_ = saved;
  return status;
}

void RowMessageBuilder::writeSection(Section section, const EncodedColumns& columns) {
  JsonBuffer& out = *out_;
  out.raw(kSectionOpen[static_cast<size_t>(section)]);
  if (section == Section::Keys) {
    keys_begin_ = out.size() - 1;
  }
  for (size_t i = 0; i < columns.size(); ++i) {
    out.rawPadded(prefixes_.keys[columns.column(i)], i == 0 ? 1 : 0);
    out.raw(columns.value(i));
  }
  out.put('}');
  if (section == Section::Keys) {
    keys_end_ = out.size();
  }
}

std::string_view RowMessageBuilder::render(const RowChange& change, int64_t publish_timestamp) {
  const TableMap& table = *change.table;
  if (format_ == MessageFormat::Origin) {
    return renderOrigin(table, change, publish_timestamp);
  }
  prepare(change.table);  // returns at once while the table is the one prepared last
  begin(changeType(change.kind), table);
  writeSection(Section::Keys, change.keys);
  switch (change.kind) {
    case binlog::RowsKind::Write: writeSection(Section::Values, change.values); break;
    case binlog::RowsKind::Update:
      writeSection(Section::Before, change.before);
      writeSection(Section::After, change.after);
      break;
    case binlog::RowsKind::Delete:
      if (table.primary_key.empty()) {
        writeSection(Section::Values, change.values);
      }
      break;
  }
  const ChangeOrigin& o = change.origin;
  return end(RowOrigin{o.binlog_timestamp, publish_timestamp, o.file, o.event_end, o.row, o.gtid});
}

std::string_view RowMessageBuilder::renderSnapshot(const RowChange& row,
                                                   std::string_view snapshot_id,
                                                   int64_t publish_timestamp) {
  prepare(row.table);
  begin(kRowSnapshotType, *row.table);
  writeSection(Section::Keys, row.keys);
  writeSection(Section::Values, row.values);
  JsonBuffer& out = *out_;
  out.raw(",\"snapshot_id\":");
  out.string(snapshot_id);
  const ChangeOrigin& o = row.origin;
  return end(RowOrigin{o.binlog_timestamp, publish_timestamp, o.file, o.event_end, o.row, o.gtid});
}

std::string RowMessageBuilder::takeMessage(std::string_view suffix) {
  MM_CHECK(out_ == &own_, "takeMessage() needs the builder's own buffer");
  // What a large value left in the scratch value goes too.
  constexpr size_t kKeptScratch = 1 << 20;
  if (scratch_.utf8.capacity() > kKeptScratch) {
    scratch_.utf8 = std::string();
  }
  if (scratch_.json.capacity() > kKeptScratch) {
    scratch_.json = std::string();
  }
  return own_.take(suffix);
}

std::string_view RowMessageBuilder::heartbeat(int64_t publish_timestamp) {
  own_.clear();
  if (format_ == MessageFormat::Origin) {
    own_.raw(originHeartbeatMessage(publish_timestamp));
    return own_.view();
  }
  own_.raw("{\"type\":\"heartbeat\",\"timestamp\":");
  own_.int64(publish_timestamp);
  own_.put('}');
  return own_.view();
}

}  // namespace mm::message
