// MessageFormat: which message contract the monitor publishes ([message] format).
//
//   native  the contract of README "Messages" and docs/message.schema.json (the default).
//   origin  what aventri's Python "MySQL Monitor" published, field for field, so that its
//           consumers run unchanged (docs/migrating-from-the-python-monitor.md): its body fields
//           and value renderings (message/origin_value.h), its AMQP properties (content_type,
//           delivery_mode and message_id only), 1-based row numbers in message ids and its
//           heartbeat. Where the origin published a wrong value the right one is published in its
//           format; where it could not publish at all, the native rendering.
#pragma once

#include <cstdint>
#include <string_view>

namespace mm::message {

enum class MessageFormat : uint8_t { Native, Origin };

inline std::string_view messageFormatName(MessageFormat format) {
  return format == MessageFormat::Origin ? "origin" : "native";
}

// The first row's number in a message id "FILE:POS:ROW": the origin counted rows from 1.
inline uint64_t firstRowNumber(MessageFormat format) {
  return format == MessageFormat::Origin ? 1 : 0;
}

}  // namespace mm::message
