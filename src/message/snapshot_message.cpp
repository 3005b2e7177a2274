#include "message/snapshot_message.h"

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace mm::message {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void writeString(Writer& writer, std::string_view text) {
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

// {"type":TYPE,"database":D,"table_name":T,"snapshot_id":I, then COUNT_KEY:COUNT,"timestamp":S}.
std::string tableMessage(std::string_view type, const SnapshotTableFacts& facts,
                         const char* count_key, uint64_t count, int64_t timestamp) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartObject();
  writer.Key("type");
  writeString(writer, type);
  writer.Key("database");
  writeString(writer, facts.database);
  writer.Key("table_name");
  writeString(writer, facts.table);
  writer.Key("snapshot_id");
  writeString(writer, facts.snapshot_id);
  writer.Key(count_key);
  writer.Uint64(count);
  writer.Key("timestamp");
  writer.Int64(timestamp);
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

// FNV-1a over 128 bits: stable across builds and platforms, unlike std::hash.
std::string fnv1a128Hex(std::string_view text) {
  __extension__ using u128 = unsigned __int128;
  const u128 prime = (u128{0x0000000001000000} << 64) | 0x000000000000013B;
  u128 hash = (u128{0x6c62272e07bb0142} << 64) | 0x62b821756295c58d;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= prime;
  }
  return fmt::format("{:016x}{:016x}", static_cast<uint64_t>(hash >> 64),
                     static_cast<uint64_t>(hash));
}

}  // namespace

std::string snapshotStartMessage(const SnapshotTableFacts& facts, uint64_t estimated_rows,
                                 int64_t timestamp) {
  return tableMessage(kSnapshotStartType, facts, "estimated_rows", estimated_rows, timestamp);
}

std::string snapshotEndMessage(const SnapshotTableFacts& facts, uint64_t rows, int64_t timestamp) {
  return tableMessage(kSnapshotEndType, facts, "rows", rows, timestamp);
}

std::string snapshotStartId(const SnapshotTableFacts& facts) {
  return fmt::format("snapshot:{}:start:{}.{}", facts.snapshot_id, facts.database, facts.table);
}

std::string snapshotEndId(const SnapshotTableFacts& facts) {
  return fmt::format("snapshot:{}:end:{}.{}", facts.snapshot_id, facts.database, facts.table);
}

std::string snapshotRowId(const SnapshotTableFacts& facts, std::string_view keys_json) {
  // An AMQP message-id is a short string: 255 bytes at most.
  constexpr size_t kMaxId = 255;
  std::string id = fmt::format("snapshot:{}:row:{}.{}:{}", facts.snapshot_id, facts.database,
                               facts.table, keys_json);
  if (id.size() <= kMaxId) {
    return id;
  }
  const std::string named = fmt::format("{}.{}:{}", facts.database, facts.table, keys_json);
  return fmt::format("snapshot:{}:row:#{}", facts.snapshot_id, fnv1a128Hex(named));
}

}  // namespace mm::message
