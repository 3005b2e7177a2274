// Publisher: where the publisher stage sends messages. The sink knows nothing of binlogs or rows:
// it publishes opaque bodies with a few properties and reports the broker's confirms.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mm::sink {

struct OutgoingMessage {
  std::string_view body;
  std::string_view message_id;  // stable across restarts: consumers de-duplicate on it
  std::string_view routing_key;
  int64_t timestamp = 0;        // Unix seconds
};

// The broker's answer for one delivery tag, or for every tag up to it when `multiple`.
struct Confirm {
  uint64_t delivery_tag = 0;
  bool multiple = false;
  bool ack = true;  // false = nack: the broker did not take responsibility for the message
};

class Publisher {
 public:
  virtual ~Publisher() = default;

  // Connects (or reconnects) and prepares the exchange. Delivery tags restart at 1.
  virtual Status connect() = 0;

  // Sends a persistent message and returns its delivery tag. Io when the link is down.
  virtual Result<uint64_t> publish(const OutgoingMessage& message) = 0;

  // Appends the confirms that arrive within `timeout` (at least one wait; returns early once some
  // arrived and no more are buffered). Protocol/Io errors when the broker closes the channel or
  // the link fails.
  virtual Status pollConfirms(std::chrono::milliseconds timeout, std::vector<Confirm>& out) = 0;
};

}  // namespace mm::sink
