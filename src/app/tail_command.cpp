#include "app/tail_command.h"

#include <cstdio>
#include <iostream>

#include <fmt/format.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>

#include "app/configuration.h"
#include "app/exit_codes.h"
#include "app/stop_signals.h"
#include "app/time_text.h"

namespace mm::app {
namespace {

constexpr std::chrono::milliseconds kStopCheckInterval{250};

// A PrettyWriter that writes numbers as their source text (rapidjson's own RawNumber quotes them).
class IndentingWriter : public rapidjson::PrettyWriter<rapidjson::StringBuffer> {
 public:
  using PrettyWriter::PrettyWriter;
  bool RawNumber(const char* text, rapidjson::SizeType length, bool /*copy*/) {
    return RawValue(text, length, rapidjson::kNumberType);
  }
};

// The body re-indented, numbers and member order exactly as published (SAX straight into the
// writer, numbers as their source text); nullopt when it is not JSON.
std::optional<std::string> indentedJson(const std::string& body) {
  rapidjson::StringBuffer buffer;
  IndentingWriter writer(buffer);
  writer.SetIndent(' ', 2);
  rapidjson::Reader reader;
  rapidjson::MemoryStream stream(body.data(), body.size());
  if (reader
          .Parse<rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseStopWhenDoneFlag>(stream,
                                                                                            writer)
          .IsError()) {
    return std::nullopt;
  }
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

Result<std::string> tailBindingKey(const config::AmqpConfig& amqp,
                                   const message::RoutingKeyTemplate& routing) {
  if (amqp.exchange_type == "topic") {
    return std::string("#");
  }
  if (amqp.exchange_type == "x-consistent-hash") {
    return std::string("1");
  }
  if (amqp.exchange_type == "direct") {
    // A template whose expansion does not depend on the message is one fixed key.
    const std::string one = routing.expand(message::RouteFacts{"row_insert", "a", "b", "{}"});
    const std::string other =
        routing.expand(message::RouteFacts{"row_delete", "c", "d", "{\"id\":1}"});
    if (one != other) {
      return Status::invalidArgument(
          fmt::format("[amqp] exchange_type = direct with routing_key '{}': no single binding key "
                      "receives every "
                      "message; pass --binding-key with the key to watch",
                      amqp.routing_key));
    }
    return one;
  }
  return std::string();  // fanout, headers: the key is ignored
}

std::string formatTailMessage(const sink::ConsumedMessage& message, bool compact) {
  std::string out = fmt::format("--- routing_key={} message_id={}", message.routing_key,
                                message.message_id.empty() ? "(none)" : message.message_id);
  if (message.timestamp != 0) {
    out += fmt::format(" published={}", utcTimeText(message.timestamp));
  }
  if (message.redelivered) {
    out += " redelivered";
  }
  out += '\n';
  std::optional<std::string> indented = compact ? std::nullopt : indentedJson(message.body);
  out += indented ? *indented : message.body;
  out += "\n\n";
  return out;
}

int runTail(const config::Config& config, const CommandLine& command_line) {
  std::string binding_key;
  if (command_line.binding_key) {
    binding_key = *command_line.binding_key;
  } else {
    auto derived = tailBindingKey(config.amqp, config.amqp.routing);
    if (!derived.isOk()) {
      std::cerr << "mysql-monitor tail: " << derived.status().message() << "\n";
      return kExitUsage;
    }
    binding_key = std::move(*derived);
  }
  sink::AmqpConsumer consumer(amqpOptions(config), binding_key);
  Status connected = consumer.connect();
  if (!connected.isOk()) {
    std::cerr << "mysql-monitor tail: " << connected.message() << "\n";
    return kExitFailure;
  }
  std::cerr << fmt::format(
      "mysql-monitor tail: watching exchange '{}' ({}) with binding key '{}' at {}{}; "
      "Ctrl-C stops\n",
      config.amqp.exchange, config.amqp.exchange_type, binding_key, consumer.where(),
      config.amqp.exchange_type == "x-consistent-hash"
          ? " (a consistent-hash exchange gives this queue only its share)"
          : "");
  int received = 0;
  while (command_line.count == 0 || received < command_line.count) {
    if (waitForStopSignal(std::chrono::milliseconds(0))) {
      break;
    }
    auto message = consumer.next(kStopCheckInterval);
    if (!message.isOk()) {
      std::cerr << "mysql-monitor tail: " << message.status().message() << "\n";
      return kExitFailure;
    }
    if (message->has_value()) {
      const std::string text = formatTailMessage(**message, command_line.compact);
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
      ++received;
    }
  }
  return kExitOk;
}

}  // namespace mm::app
