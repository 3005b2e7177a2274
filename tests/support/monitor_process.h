// MonitorProcess: runs the real mysql-monitor executable for integration tests, with its log in a
// file the test can print on failure; startCommand() runs another program the same way (the
// example consumers).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mm::test {

class MonitorProcess {
 public:
  ~MonitorProcess();

  // Starts `MM_MONITOR_BINARY --config config_path`, logging to log_path, with environment().
  bool start(const std::string& config_path, const std::string& log_path);

  // Starts argv[0] (a path) with its arguments and environment(), stdout and stderr appended to
  // log_path.
  bool startCommand(const std::vector<std::string>& argv, const std::string& log_path);

  // start(), then waits until the log says the binlog is streaming; false when it never does.
  bool startStreaming(const std::string& config_path, const std::string& log_path,
                      std::chrono::milliseconds timeout = std::chrono::seconds(20));

  // Variables set for the monitor (they win over its config file). By default the metrics server
  // is off: monitors of concurrent test runs would all take the default port.
  std::map<std::string, std::string>& environment() { return environment_; }

  // Sends `signal` and waits up to `timeout`; returns the exit code (128+N when killed by signal
  // N), or nullopt when it did not exit in time (it is then killed).
  std::optional<int> stop(int signal, std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Exit code if it already ended, without waiting.
  std::optional<int> exited();

  std::string log() const;

  // The process id while running, else -1.
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  std::map<std::string, std::string> environment_{{"MYSQL_MONITOR_METRICS_LISTEN", "off"}};
};

// Writes `text` to `path` (creating directories); false on failure.
bool writeTextFile(const std::string& path, const std::string& text);

// The whole of the file at `path`; "" when it cannot be read.
std::string readTextFile(const std::string& path);

// How often `needle` occurs in `text` (e.g. a log line across restarts).
size_t countOf(const std::string& text, const std::string& needle);

// Polls `predicate` every 50 ms until it holds or `timeout` passes.
template <typename Predicate>
bool waitFor(Predicate predicate, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) {
      return true;
    }
    struct timespec ts {
      0, 50'000'000
    };
    nanosleep(&ts, nullptr);
  }
  return predicate();
}

}  // namespace mm::test
