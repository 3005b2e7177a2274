#include "app/decode_command.h"

#include <zlib.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>
#include <map>

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "binlog/binlog_file.h"
#include "binlog/event_decoder.h"
#include "binlog/event_type.h"
#include "binlog/table_schema.h"
#include "message/rows_formatter.h"

namespace mm::app {
namespace {

Result<std::vector<uint8_t>> readWholeFile(const std::string& path) {
  std::vector<uint8_t> bytes;
  if (path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0) {
    gzFile file = gzopen(path.c_str(), "rb");
    if (file == nullptr) {
      return Status::io(fmt::format("cannot open {}", path));
    }
    std::vector<uint8_t> chunk(1 << 20);
    int n = 0;
    while ((n = gzread(file, chunk.data(), static_cast<unsigned>(chunk.size()))) > 0) {
      bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + n);
    }
    const bool failed = n < 0;
    gzclose(file);
    if (failed) {
      return Status::corruption(fmt::format("{}: damaged gzip data", path));
    }
    return bytes;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::io(fmt::format("cannot open {}", path));
  }
  bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return bytes;
}

// One line for a non-row event (--all-events).
void printEvent(const binlog::DecodedEvent& event, uint64_t position, std::string& line) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("type");
  w.String("event");
  w.Key("event");
  const std::string_view name = binlog::eventTypeName(event.header.type);
  w.String(name.data(), static_cast<rapidjson::SizeType>(name.size()));
  w.Key("event_type");
  w.Uint(event.header.type);
  w.Key("position");
  w.Uint64(position);
  w.Key("binlog_timestamp");
  w.Uint(event.header.timestamp);
  if (auto* query = std::get_if<binlog::QueryEvent>(&event.body)) {
    w.Key("database");
    w.String(query->database.data(), static_cast<rapidjson::SizeType>(query->database.size()));
    w.Key("query");
    w.String(query->query.data(), static_cast<rapidjson::SizeType>(query->query.size()));
  } else if (auto* rotate = std::get_if<binlog::RotateEvent>(&event.body)) {
    w.Key("next_file");
    w.String(rotate->next_file.c_str());
  } else if (auto* fde = std::get_if<binlog::FormatDescription>(&event.body)) {
    w.Key("server_version");
    w.String(fde->server_version.c_str());
  } else if (auto* table = std::get_if<binlog::TableMapEvent>(&event.body)) {
    w.Key("table_id");
    w.Uint64(table->table->table_id);
    w.Key("table_name");
    w.String(table->table->table.c_str());
    w.Key("database");
    w.String(table->table->database.c_str());
  }
  w.EndObject();
  line.assign(buffer.GetString(), buffer.GetSize());
}

Status decodeFile(const std::string& path, bool all_events, std::FILE* out) {
  auto bytes = readWholeFile(path);
  if (!bytes.isOk()) {
    return bytes.status();
  }
  auto file = binlog::BinlogFile::open(*bytes);
  if (!file.isOk()) {
    return file.status().withContext(path);
  }
  const std::string basename = path.substr(path.find_last_of('/') + 1);
  binlog::EventDecoder decoder;
  message::RowsFormatter formatter;
  // Tables named positionally, per TABLE_MAP (shared_ptr identity), when the file lacks names.
  std::map<const binlog::TableMap*, binlog::TableMap> named;
  std::string line;
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  for (;;) {
    const uint64_t position = file->offset();
    auto raw = file->next();
    if (!raw.isOk()) {
      return raw.status().withContext(path);
    }
    if (!raw->has_value()) {
      return Status::ok();
    }
    auto event = decoder.decode(**raw);
    if (!event.isOk()) {
      return event.status().withContext(fmt::format("{}: event at offset {}", path, position));
    }
    auto* rows = std::get_if<binlog::RowsEvent>(&event->body);
    if (rows == nullptr) {
      if (all_events) {
        printEvent(*event, position, line);
        line.push_back('\n');
        std::fwrite(line.data(), 1, line.size(), out);
      }
      if (std::holds_alternative<binlog::TableMapEvent>(event->body)) {
        named.clear();
      }
      continue;
    }
    const binlog::TableMap* table = rows->table.get();
    if (!table->has_column_names) {
      auto it = named.find(table);
      if (it == named.end()) {
        it = named.emplace(table, message::withPositionalNames(*table)).first;
      }
      table = &it->second;
    }
    const uint64_t event_end = position + event->header.event_size;
    Status status = formatter.format(
        rows->header, *table, message::RowTimes{event->header.timestamp, now},
        [&](uint64_t, std::string_view body) {
          std::fwrite(body.data(), 1, body.size(), out);
          std::fputc('\n', out);
          return Status::ok();
        });
    if (!status.isOk()) {
      return status.withContext(fmt::format("{}: rows event ending at {}:{}", path, basename, event_end));
    }
  }
}

}  // namespace

int runDecode(const std::vector<std::string>& files, bool all_events) {
  static char buffer[1 << 20];
  std::setvbuf(stdout, buffer, _IOFBF, sizeof buffer);
  int exit_code = 0;
  for (const std::string& path : files) {
    Status status = decodeFile(path, all_events, stdout);
    if (!status.isOk()) {
      std::fflush(stdout);
      std::fprintf(stderr, "mysql-monitor decode: %s\n", status.toString().c_str());
      exit_code = 1;
    }
  }
  std::fflush(stdout);
  return exit_code;
}

}  // namespace mm::app
