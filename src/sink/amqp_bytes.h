// Conversions between rabbitmq-c's byte spans and C++ strings, for the sink's own .cpp files.
#pragma once

#include <amqp.h>

#include <string>
#include <string_view>

namespace mm::sink {

// A non-owning amqp_bytes_t over `s`; valid while `s` is.
inline amqp_bytes_t bytesOf(std::string_view s) {
  return amqp_bytes_t{s.size(), const_cast<char*>(s.data())};
}

inline std::string textOf(amqp_bytes_t bytes) {
  return std::string(static_cast<const char*>(bytes.bytes), bytes.len);
}

}  // namespace mm::sink
