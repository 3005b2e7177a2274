#include "app/logging.h"

#include <ctime>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace mm::app {
namespace {

// The length of the valid UTF-8 sequence starting at text[i], or 0 when it is not one.
size_t utf8SequenceLength(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  size_t length = 0;
  uint32_t min = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    min = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    min = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + length > text.size()) {
    return 0;
  }
  uint32_t code = lead & (0xFF >> (length + 1));
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      return 0;
    }
    code = (code << 6) | (byte(i + k) & 0x3F);
  }
  const bool surrogate = code >= 0xD800 && code <= 0xDFFF;
  return code < min || code > 0x10FFFF || surrogate ? 0 : length;
}

void appendJsonString(std::string_view text, spdlog::memory_buf_t& out) {
  out.push_back('"');
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const size_t length = utf8SequenceLength(text, i);
      if (length == 0) {
        fmt::format_to(std::back_inserter(out), "\\ufffd");
        ++i;
      } else {
        out.append(text.data() + i, text.data() + i + length);
        i += length;
      }
      continue;
    }
    switch (c) {
      case '"': fmt::format_to(std::back_inserter(out), "\\\""); break;
      case '\\': fmt::format_to(std::back_inserter(out), "\\\\"); break;
      case '\n': fmt::format_to(std::back_inserter(out), "\\n"); break;
      case '\r': fmt::format_to(std::back_inserter(out), "\\r"); break;
      case '\t': fmt::format_to(std::back_inserter(out), "\\t"); break;
      default:
        if (c < 0x20 || c == 0x7F) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
}

class JsonLinesFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto since_epoch = msg.time.time_since_epoch();
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds);
    const std::time_t time = static_cast<std::time_t>(seconds.count());
    std::tm tm{};
    gmtime_r(&time, &tm);
    char stamp[32];
    const size_t length = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    fmt::format_to(std::back_inserter(dest),
                   "{{\"time\":\"{}.{:03d}Z\",\"level\":", std::string_view(stamp, length),
                   static_cast<int>(millis.count()));
    const spdlog::string_view_t level = spdlog::level::to_string_view(msg.level);
    appendJsonString(std::string_view(level.data(), level.size()), dest);
    fmt::format_to(std::back_inserter(dest), ",\"logger\":");
    appendJsonString(std::string_view(msg.logger_name.data(), msg.logger_name.size()), dest);
    fmt::format_to(std::back_inserter(dest), ",\"message\":");
    appendJsonString(std::string_view(msg.payload.data(), msg.payload.size()), dest);
    fmt::format_to(std::back_inserter(dest), "}}\n");
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonLinesFormatter>();
  }
};

}  // namespace

std::unique_ptr<spdlog::formatter> jsonLinesFormatter() {
  return std::make_unique<JsonLinesFormatter>();
}

void setUpLogging(config::LogLevel level, config::LogFormat format) {
  auto logger = spdlog::stderr_color_mt("mysql-monitor");
  spdlog::set_default_logger(logger);
  if (format == config::LogFormat::Json) {
    spdlog::set_formatter(jsonLinesFormatter());
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
  }
  switch (level) {
    case config::LogLevel::Debug: spdlog::set_level(spdlog::level::debug); break;
    case config::LogLevel::Info: spdlog::set_level(spdlog::level::info); break;
    case config::LogLevel::Warning: spdlog::set_level(spdlog::level::warn); break;
    case config::LogLevel::Error: spdlog::set_level(spdlog::level::err); break;
  }
}

}  // namespace mm::app
