// FakePublisher: a sink::Publisher in memory, for the publisher stage's unit tests. It records
// every message sent (with its connection and delivery tag) and answers poll() with what the test
// scripts in `on_poll` (by default: every message sent on this connection is confirmed, one
// `multiple` ack). poll() first moves the FakeClock by its timeout, as a real wait would, so
// drain timeouts and backoffs run in fake time. Not thread-safe: the stage runs on the test's
// thread, and hooks may request a stop to end it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "sink/publisher.h"
#include "support/fake_clock.h"

namespace mm::test {

class FakePublisher final : public sink::Publisher {
 public:
  struct Sent {
    int connection = 0;  // 1 = the first connection
    uint64_t delivery_tag = 0;
    std::string message_id;
    std::string body;
  };
  // Appends the broker's answers to one poll; a Status that is not ok ends the connection.
  using OnPoll = std::function<Status(FakePublisher&, std::vector<sink::BrokerEvent>&)>;
  using OnConnect = std::function<Status(FakePublisher&)>;

  explicit FakePublisher(FakeClock& clock) : clock_(clock) {}

  Status connect() override {
    connect_times.push_back(clock_.monotonicNow());
    Status answer = on_connect ? on_connect(*this) : Status::ok();
    if (answer.isOk()) {
      ++connection_;
      open_ = true;
      next_tag_ = 1;
    }
    return answer;
  }
  Result<uint64_t> publish(const sink::OutgoingMessage& message) override {
    if (!open_) {
      return Status::io("fake broker: not connected");
    }
    sent_.push_back(
        Sent{connection_, next_tag_, std::string(message.message_id), std::string(message.body)});
    return next_tag_++;
  }
  Status poll(std::chrono::milliseconds timeout, std::vector<sink::BrokerEvent>& out) override {
    if (polls_take_time) {
      clock_.advance(timeout);
    }
    ++polls;
    if (!open_) {
      return Status::io("fake broker: not connected");
    }
    Status status = on_poll ? on_poll(*this, out) : ackAll(out);
    if (!status.isOk()) {
      open_ = false;
    }
    return status;
  }
  void interrupt() override { interrupted = true; }
  std::string describe() const override { return "fake broker"; }
  uint64_t maxMessageSize() const override { return max_message_size; }

  // Confirms every tag sent on this connection so far (one `multiple` ack), if any.
  Status ackAll(std::vector<sink::BrokerEvent>& out) const {
    if (next_tag_ > 1) {
      out.push_back(ack(next_tag_ - 1, /*multiple=*/true));
    }
    return Status::ok();
  }
  static sink::BrokerEvent ack(uint64_t tag, bool multiple = false) {
    return sink::BrokerEvent{tag, multiple, sink::BrokerEvent::Kind::Ack, {}};
  }
  static sink::BrokerEvent event(sink::BrokerEvent::Kind kind, uint64_t tag = 0,
                                 std::string detail = {}) {
    return sink::BrokerEvent{tag, false, kind, std::move(detail)};
  }

  const std::vector<Sent>& sent() const { return sent_; }
  // The ids of the messages sent on `connection`, in order.
  std::vector<std::string> idsOn(int connection) const {
    std::vector<std::string> ids;
    for (const Sent& s : sent_) {
      if (s.connection == connection) {
        ids.push_back(s.message_id);
      }
    }
    return ids;
  }
  int connection() const { return connection_; }
  // Messages sent on the current connection.
  uint64_t sentOnThisConnection() const { return next_tag_ - 1; }

  OnPoll on_poll;
  OnConnect on_connect;
  uint64_t max_message_size = 0;
  bool polls_take_time = true;  // false: only the stage's own waits move the clock
  bool interrupted = false;
  int polls = 0;
  std::vector<Clock::MonotonicTime> connect_times;

 private:
  FakeClock& clock_;
  std::vector<Sent> sent_;
  int connection_ = 0;
  bool open_ = false;
  uint64_t next_tag_ = 1;
};

}  // namespace mm::test
