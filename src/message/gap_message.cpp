#include "message/gap_message.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace mm::message {

std::string gapMessage(std::string_view from, std::string_view to, int64_t timestamp) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("type");
  writer.String("gap");
  writer.Key("from");
  writer.String(from.data(), static_cast<rapidjson::SizeType>(from.size()));
  writer.Key("to");
  writer.String(to.data(), static_cast<rapidjson::SizeType>(to.size()));
  writer.Key("timestamp");
  writer.Int64(timestamp);
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace mm::message
