// Prometheus text exposition (format 0.0.4) of the Stats, for GET /metrics.
//
// Every family gets its # HELP and # TYPE lines and a name starting with mysql_monitor_. Label
// values and help texts are escaped as the format requires (backslash, double quote, newline).
// The families and their meaning are listed in README "Operations: metrics and health".
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "metrics/readiness.h"
#include "metrics/stats.h"

namespace mm::metrics {

inline constexpr std::string_view kMetricPrefix = "mysql_monitor_";
inline constexpr std::string_view kExpositionContentType =
    "text/plain; version=0.0.4; charset=utf-8";

using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

// Appends metric families to a text buffer. `name` is given without the prefix; counters end in
// _total by our convention.
class ExpositionWriter {
 public:
  void counter(std::string_view name, std::string_view help, uint64_t value);
  void gauge(std::string_view name, std::string_view help, double value, Labels labels = {});
  // One gauge family with a sample per value of `label`.
  void gauges(std::string_view name, std::string_view help, std::string_view label,
              std::span<const std::pair<std::string_view, double>> samples);
  void gauges(std::string_view name, std::string_view help, std::string_view label,
              std::initializer_list<std::pair<std::string_view, double>> samples) {
    gauges(name, help, label, std::span(samples.begin(), samples.size()));
  }

  const std::string& text() const { return text_; }

 private:
  void family(std::string_view name, std::string_view help, std::string_view type);
  void sample(std::string_view name, Labels labels, std::string_view value);

  std::string text_;
};

// Seconds until the server's automatic purge reaches a file created at `file_created_unix`, when
// it purges files older than `expire_seconds` (0 = never: +infinity). Negative once the file is
// old enough to go at the server's next purge (at a rotation, FLUSH LOGS or restart).
double retentionRunway(int64_t expire_seconds, int64_t file_created_unix, int64_t now_unix);

// Every metric, as of `now_unix`; `readiness` is the /readyz verdict at the same moment.
std::string renderMetrics(const Stats& stats, int64_t now_unix, const Readiness& readiness);

}  // namespace mm::metrics
