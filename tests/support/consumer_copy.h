// ConsumerCopy: what a consumer of the monitor's messages holds of a table (id INT PRIMARY KEY,
// a INT, b VARCHAR: support/steady_workload.h's), applying every message it takes from an
// AmqpTestConsumer in order (support/applied_table.h), for failover tests that compare it with
// the real table at the end.
#pragma once

#include <chrono>
#include <string>

#include "mysql/connection.h"
#include "support/amqp_test_consumer.h"
#include "support/applied_table.h"

namespace mm::test {

class ConsumerCopy {
 public:
  // `consumer` must outlive the copy.
  explicit ConsumerCopy(AmqpTestConsumer& consumer) : consumer_(consumer) {}

  // Applies what arrives until a row message of an id at or past `id` came (true), or `timeout`.
  // Every message taken is applied.
  bool applyUntilId(int id, std::chrono::milliseconds timeout);
  // Applies what arrives until the copy equals `table` ("db.t", read on `sql`) and nothing came
  // for two rounds of a second: "" when equal, else how they differ (or the first error).
  std::string drainAndCompare(mysql::Connection& sql, const std::string& table,
                              std::chrono::seconds timeout = std::chrono::seconds(60));

  const AppliedTable& applied() const { return applied_; }

 private:
  // Applies one message: its row id (0 for a heartbeat).
  int apply(const ReceivedMessage& message);

  AmqpTestConsumer& consumer_;
  AppliedTable applied_;
  std::string error_;
};

}  // namespace mm::test
