#include "message/row_oversize.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace mm::message {
namespace {

using rapidjson::SizeType;

// SAX handler over the head of a row message: takes type, database and table_name, copies the
// `keys` object through a Writer (compact, as RowMessageBuilder writes it, so the text is the
// same), and stops the parse once `keys` ends, before the values, which may be hundreds of
// megabytes.
class HeadHandler {
 public:
  explicit HeadHandler(RowIdentity& out) : out_(out), keys_writer_(keys_) {}

  bool keysDone() const { return keys_done_; }
  std::string keys() const { return std::string(keys_.GetString(), keys_.GetSize()); }

  bool Null() { return !inKeys() || keys_writer_.Null(); }
  bool Bool(bool b) { return !inKeys() || keys_writer_.Bool(b); }
  bool Int(int i) { return !inKeys() || keys_writer_.Int(i); }
  bool Uint(unsigned u) { return !inKeys() || keys_writer_.Uint(u); }
  bool Int64(int64_t i) { return !inKeys() || keys_writer_.Int64(i); }
  bool Uint64(uint64_t u) { return !inKeys() || keys_writer_.Uint64(u); }
  bool Double(double d) { return !inKeys() || keys_writer_.Double(d); }
  bool RawNumber(const char* s, SizeType n, bool) {
    return !inKeys() || keys_writer_.RawValue(s, n, rapidjson::kNumberType);
  }
  bool String(const char* s, SizeType n, bool) {
    if (inKeys()) {
      return keys_writer_.String(s, n);
    }
    if (depth_ == 1) {
      const std::string_view text(s, n);
      if (key_ == "type") {
        out_.type = text;
      } else if (key_ == "database") {
        out_.database = text;
      } else if (key_ == "table_name") {
        out_.table = text;
      }
    }
    return true;
  }
  bool Key(const char* s, SizeType n, bool) {
    if (inKeys()) {
      return keys_writer_.Key(s, n);
    }
    if (depth_ == 1) {
      key_.assign(s, n);
    }
    return true;
  }
  bool StartObject() {
    ++depth_;
    if (inKeys()) {
      return keys_writer_.StartObject();
    }
    if (depth_ == 2) {
      if (key_ != "keys") {
        return false;  // the values, yet no keys: not a row message of ours
      }
      keys_depth_ = depth_;
      return keys_writer_.StartObject();
    }
    return depth_ == 1;
  }
  bool EndObject(SizeType) {
    if (inKeys()) {
      const bool written = keys_writer_.EndObject();
      if (depth_-- == keys_depth_) {
        keys_depth_ = 0;
        keys_done_ = true;
        return false;  // everything the head holds is read: stop here
      }
      return written;
    }
    --depth_;
    return true;
  }
  bool StartArray() {
    ++depth_;
    return inKeys() ? keys_writer_.StartArray() : depth_ > 1;
  }
  bool EndArray(SizeType) {
    --depth_;
    return !inKeys() || keys_writer_.EndArray();
  }

 private:
  bool inKeys() const { return keys_depth_ != 0; }

  RowIdentity& out_;
  rapidjson::StringBuffer keys_;
  rapidjson::Writer<rapidjson::StringBuffer> keys_writer_;
  std::string key_;     // the last key of the top-level object
  int depth_ = 0;       // nesting: 1 inside the top-level object
  int keys_depth_ = 0;  // depth_ of the keys object while inside it, else 0
  bool keys_done_ = false;
};

// The fields after the values: ,"timestamp":T,"binlog_timestamp":B[,"position":{..}][,"gtid":G]}.
// The last `,"timestamp":` of the text starts them: a quote inside a JSON string is escaped, so
// that text is structure, and a column named "timestamp" (or a JSON value holding one) comes
// earlier, among the values.
Status readTail(std::string_view message, RowIdentity& out) {
  const size_t at = message.rfind(R"(,"timestamp":)");
  if (at == std::string_view::npos) {
    return Status::invalidArgument("no \"timestamp\" field");
  }
  std::string tail = "{";
  tail.append(message.substr(at + 1));
  rapidjson::Document fields;
  fields.Parse(tail.data(), tail.size());
  if (fields.HasParseError() || !fields.IsObject()) {
    return Status::invalidArgument("the fields after the values are not a JSON object's end");
  }
  auto int64Field = [&](const rapidjson::Value& object, const char* name, int64_t& value) {
    auto it = object.FindMember(name);
    if (it == object.MemberEnd() || !it->value.IsInt64()) {
      return false;
    }
    value = it->value.GetInt64();
    return true;
  };
  if (!int64Field(fields, "timestamp", out.timestamp) ||
      !int64Field(fields, "binlog_timestamp", out.binlog_timestamp)) {
    return Status::invalidArgument("no integer \"timestamp\" and \"binlog_timestamp\"");
  }
  if (auto position = fields.FindMember("position"); position != fields.MemberEnd()) {
    const rapidjson::Value& p = position->value;
    int64_t pos = 0;
    int64_t row = 0;
    if (!p.IsObject() || !p.HasMember("file") || !p["file"].IsString() ||
        !int64Field(p, "pos", pos) || !int64Field(p, "row", row) || pos < 0 || row < 0) {
      return Status::invalidArgument("a malformed \"position\"");
    }
    out.file.assign(p["file"].GetString(), p["file"].GetStringLength());
    out.pos = static_cast<uint64_t>(pos);
    out.row = static_cast<uint64_t>(row);
  }
  if (auto gtid = fields.FindMember("gtid"); gtid != fields.MemberEnd() && gtid->value.IsString()) {
    out.gtid.assign(gtid->value.GetString(), gtid->value.GetStringLength());
  }
  return Status::ok();
}

}  // namespace

Result<RowIdentity> readRowIdentity(std::string_view row_message) {
  RowIdentity row;
  HeadHandler head(row);
  rapidjson::Reader reader;
  rapidjson::MemoryStream stream(row_message.data(), row_message.size());
  reader.Parse(stream, head);
  if (!head.keysDone() || row.type.rfind("row_", 0) != 0 || row.table.empty()) {
    return Status::invalidArgument(
        "not a row message: no \"type\" of a row change, \"table_name\" and "
        "\"keys\" before the values");
  }
  row.keys_json = head.keys();
  Status tail = readTail(row_message, row);
  if (!tail.isOk()) {
    return tail.withContext("not a row message");
  }
  return row;
}

std::string rowOversizeMessage(const RowIdentity& row, uint64_t message_size,
                               uint64_t max_message_size) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  auto string = [&](const char* key, const std::string& value) {
    writer.Key(key);
    writer.String(value.data(), static_cast<SizeType>(value.size()));
  };
  writer.StartObject();
  writer.Key("type");
  writer.String("row_oversize");
  string("row_type", row.type);
  string("database", row.database);
  string("table_name", row.table);
  writer.Key("keys");
  writer.RawValue(row.keys_json.data(), row.keys_json.size(), rapidjson::kObjectType);
  writer.Key("message_size");
  writer.Uint64(message_size);
  writer.Key("max_message_size");
  writer.Uint64(max_message_size);
  writer.Key("timestamp");
  writer.Int64(row.timestamp);
  writer.Key("binlog_timestamp");
  writer.Int64(row.binlog_timestamp);
  if (!row.file.empty()) {
    writer.Key("position");
    writer.StartObject();
    string("file", row.file);
    writer.Key("pos");
    writer.Uint64(row.pos);
    writer.Key("row");
    writer.Uint64(row.row);
    writer.EndObject();
  }
  if (!row.gtid.empty()) {
    string("gtid", row.gtid);
  }
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
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
