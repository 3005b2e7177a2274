#include "support/steady_workload.h"

#include <random>

#include <fmt/format.h>

namespace mm::test {

using namespace std::chrono_literals;

void BackgroundLoop::start() {
  thread_ = std::jthread([this](std::stop_token stop) { loop(stop); });
}

void BackgroundLoop::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

void SteadyWorkload::loop(const std::stop_token& stop) {
  mysql::Connection sql;
  ServerEnvironment env = env_;
  if (mysql_port_ != 0) {
    env.mysql_port = mysql_port_;
  }
  if (Status s = connectAdmin(env, sql); !s.isOk()) {
    error_ = s.toString();
    return;
  }
  std::mt19937 random(7);
  while (!stop.stop_requested()) {
    const int id = next_id_.load();
    const int other = 1 + static_cast<int>(random() % static_cast<unsigned>(id));
    for (const std::string& statement :
         {std::string("BEGIN"), fmt::format("INSERT INTO {} VALUES ({}, 0, 'new')", table_, id),
          fmt::format("UPDATE {} SET a = a + 1, b = 'updated' WHERE id = {}", table_, other),
          id % 7 == 0 ? fmt::format("DELETE FROM {} WHERE id = {}", table_, id - 3)
                      : std::string("DO 0"),
          std::string("COMMIT")}) {
      if (Status s = sql.execute(statement); !s.isOk() && error_.empty()) {
        error_ = statement + ": " + s.toString();
      }
    }
    next_id_ = id + 1;
    std::this_thread::sleep_for(4ms);
  }
}

}  // namespace mm::test
