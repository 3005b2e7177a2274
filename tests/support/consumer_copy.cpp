#include "support/consumer_copy.h"

#include <fmt/format.h>
#include <rapidjson/document.h>

namespace mm::test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

bool ConsumerCopy::applyUntilId(int id, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    bool reached = false;
    for (const ReceivedMessage& message : consumer_.take(1000, 100ms)) {
      reached = apply(message) >= id || reached;  // the whole batch is applied
    }
    if (reached) {
      return true;
    }
  }
  return false;
}

int ConsumerCopy::apply(const ReceivedMessage& message) {
  rapidjson::Document body;
  body.Parse(message.body.c_str());
  if (body.HasParseError() || !body.HasMember("keys")) {
    return 0;
  }
  if (Status s = applied_.apply(message); !s.isOk() && error_.empty()) {
    error_ = s.toString();
  }
  return body["keys"]["id"].GetInt();
}

std::string ConsumerCopy::drainAndCompare(mysql::Connection& sql, const std::string& table,
                                          std::chrono::seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string difference = "nothing compared";
  int quiet_rounds = 0;
  while (Clock::now() < deadline && quiet_rounds < 2) {
    auto messages = consumer_.take(5000, 1s);
    for (const ReceivedMessage& message : messages) {
      apply(message);
    }
    if (!messages.empty()) {
      quiet_rounds = 0;
      continue;
    }
    auto rows = sql.query(fmt::format("SELECT id, a, b FROM {}", table));
    if (!rows.isOk()) {
      return rows.status().toString();
    }
    difference = describeDifference(tableRows({"id", "a", "b"}, {0}, *rows), applied_.rows());
    quiet_rounds = difference.empty() ? quiet_rounds + 1 : 0;
  }
  return error_.empty() ? difference : error_;
}

}  // namespace mm::test
