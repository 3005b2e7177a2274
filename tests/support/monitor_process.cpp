#include "support/monitor_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace mm::test {
namespace {
int exitCodeOf(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  return 128 + WTERMSIG(status);
}
}  // namespace

MonitorProcess::~MonitorProcess() {
  if (pid_ > 0) {
    stop(SIGKILL, std::chrono::seconds(5));
  }
}

bool MonitorProcess::start(const std::string& config_path, const std::string& log_path) {
  return startCommand({MM_MONITOR_BINARY, "--config", config_path}, log_path);
}

bool MonitorProcess::startStreaming(const std::string& config_path, const std::string& log_path,
                                    std::chrono::milliseconds timeout) {
  return start(config_path, log_path) &&
         waitFor([&] { return log().find("streaming binlog") != std::string::npos; }, timeout);
}

bool MonitorProcess::startCommand(const std::vector<std::string>& argv,
                                  const std::string& log_path) {
  if (argv.empty()) {
    return false;
  }
  std::vector<char*> args;
  for (const std::string& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));
  }
  args.push_back(nullptr);
  log_path_ = log_path;
  pid_ = fork();
  if (pid_ < 0) {
    return false;
  }
  if (pid_ == 0) {
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      ::close(fd);
    }
    for (const auto& [name, value] : environment_) {
      setenv(name.c_str(), value.c_str(), 1);
    }
    execv(args[0], args.data());
    _exit(127);
  }
  return true;
}

std::optional<int> MonitorProcess::exited() {
  if (pid_ <= 0) {
    return std::nullopt;
  }
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return exitCodeOf(status);
  }
  return std::nullopt;
}

std::optional<int> MonitorProcess::stop(int signal, std::chrono::milliseconds timeout) {
  if (pid_ <= 0) {
    return std::nullopt;
  }
  kill(pid_, signal);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return exitCodeOf(status);
    }
    struct timespec ts {
      0, 20'000'000
    };
    nanosleep(&ts, nullptr);
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return std::nullopt;
}

std::string MonitorProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool writeTextFile(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out);
}

std::string readTextFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

size_t countOf(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

}  // namespace mm::test
