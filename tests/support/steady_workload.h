// SteadyWorkload: small insert/update/delete transactions on a table (id INT PRIMARY KEY, a INT,
// b VARCHAR), every few milliseconds, on a thread of its own, as an application writes while a
// failover test kills things around it (tests/integration/high_availability_test.cpp,
// broker_cluster_test.cpp). nextId() is the id the next insert takes, so a test can wait for the
// message of a change made after a given moment. BackgroundLoop: a loop on its own thread from
// start() until stop() (derived classes call stop() in their destructors).
#pragma once

#include <atomic>
#include <stop_token>
#include <string>
#include <thread>

#include "support/sql_client.h"

namespace mm::test {

class BackgroundLoop {
 public:
  virtual ~BackgroundLoop() = default;
  void start();
  void stop();

 protected:
  virtual void loop(const std::stop_token& stop) = 0;

 private:
  std::jthread thread_;
};

class SteadyWorkload final : public BackgroundLoop {
 public:
  // `table`: "db.t"; `env` must outlive the workload. `mysql_port`: another server than env's
  // (0: env's); `first_id`: the first insert's id (a workload continuing another's).
  SteadyWorkload(const ServerEnvironment& env, std::string table, int mysql_port = 0,
                 int first_id = 1)
      : env_(env), table_(std::move(table)), mysql_port_(mysql_port), next_id_(first_id) {}
  ~SteadyWorkload() override { stop(); }

  int nextId() const { return next_id_.load(); }
  // The first statement that failed ("" when none); read after stop().
  const std::string& error() const { return error_; }

 private:
  void loop(const std::stop_token& stop) override;

  const ServerEnvironment& env_;
  std::string table_;
  int mysql_port_;
  std::atomic<int> next_id_;
  std::string error_;
};

}  // namespace mm::test
