// PublisherStage against a fake broker (tests/support/fake_publisher.h) and a fake clock: every
// broker fault (nack, basic.return, connection.blocked/unblocked, a closed channel, a lost
// connection) republishes what was unconfirmed, in order, and never what was confirmed; a stop
// with messages in flight saves only what was confirmed; the confirm window holds; a whole window
// goes out before the stage waits for confirms; oversize rows; refusals back off. The stage runs
// on the test's thread: the fake broker's hooks answer each poll and may request the stop, and
// every wait is in fake time, so no test sleeps.
#include "pipeline/publisher_stage.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "checkpoint/state_file.h"
#include "support/fake_clock.h"
#include "support/fake_publisher.h"

namespace mm::pipeline {
namespace {

using namespace std::chrono_literals;
using Kind = sink::BrokerEvent::Kind;
using test::FakePublisher;

// Where message `i` of messages() moves the checkpoint once it and all before it are confirmed.
checkpoint::Checkpoint markAfter(int i) {
  return checkpoint::Checkpoint{"mysql-bin.000001", static_cast<uint64_t>(100 * (i + 1))};
}

// Messages m0 ... m<count - 1>, each moving the checkpoint past itself (markAfter).
PublishBatch messages(int count, int first = 0) {
  PublishBatch batch;
  for (int i = first; i < first + count; ++i) {
    PublishItem item;
    item.setMessage(fmt::format("m{}", i), "{}");
    item.route = makeRoute("rows", {});
    item.checkpoint = std::make_shared<const checkpoint::Checkpoint>(markAfter(i));
    batch.push_back(std::move(item));
  }
  return batch;
}

std::vector<std::string> ids(std::initializer_list<int> numbers) {
  std::vector<std::string> out;
  for (int n : numbers) {
    out.push_back(fmt::format("m{}", n));
  }
  return out;
}

class PublisherStageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mm_publisher_stage_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    state_.emplace((dir_ / "position").string());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Queues `batches`, closes the input and runs a stage on this thread until it ends.
  Status run(std::vector<PublishBatch> batches, std::stop_token stop = {},
             std::stop_token draining = {}) {
    for (PublishBatch& batch : batches) {
      const size_t size = batch.size();
      EXPECT_TRUE(in_.push(std::move(batch), size, std::stop_token{}));
    }
    in_.close();
    stage_.emplace(broker_, in_, *state_, clock_, stats_, options_, checkpoint::Checkpoint{});
    return stage_->run(stop, draining);
  }
  std::optional<checkpoint::Checkpoint> saved() {
    auto loaded = state_->load();
    return loaded.isOk() && !loaded->empty() ? std::optional(*loaded) : std::nullopt;
  }
  uint64_t count(const metrics::Counter& counter) const { return metrics::get(counter); }

  std::filesystem::path dir_;
  test::FakeClock clock_;
  FakePublisher broker_{clock_};
  metrics::Stats stats_;
  PublisherOptions options_;
  BoundedQueue<PublishBatch> in_{64, 1 << 20};
  std::optional<checkpoint::StateFile> state_;
  std::optional<PublisherStage> stage_;
};

// First connection: the answers of `first_poll`; later ones: every message confirmed.
FakePublisher::OnPoll onFirstPoll(std::vector<sink::BrokerEvent> events, Status status = {}) {
  return [events = std::move(events), status](FakePublisher& broker,
                                              std::vector<sink::BrokerEvent>& out) {
    if (broker.connection() > 1) {
      return broker.ackAll(out);
    }
    out.insert(out.end(), events.begin(), events.end());
    return status;
  };
}

TEST_F(PublisherStageTest, ANackRepublishesEveryUnconfirmedMessageButNotTheConfirmedOnes) {
  broker_.on_poll = onFirstPoll({FakePublisher::ack(1), FakePublisher::event(Kind::Nack, 2)});
  ASSERT_TRUE(run({messages(3)}).isOk());
  EXPECT_EQ(broker_.idsOn(1), ids({0, 1, 2}));
  EXPECT_EQ(broker_.idsOn(2), ids({1, 2})) << "m0 was confirmed: sending it again is a duplicate";
  EXPECT_EQ(count(stats_.messages_nacked), 1u);
  EXPECT_EQ(count(stats_.messages_published), 3u);
  EXPECT_EQ(count(stats_.messages_republished), 2u);
  EXPECT_EQ(count(stats_.messages_confirmed), 3u);
  EXPECT_EQ(count(stats_.broker_reconnects), 1u);
  EXPECT_EQ(saved(), markAfter(2));
}

TEST_F(PublisherStageTest, AReturnedMessageIsPublishedAgainAndTheAcksAfterTheReturnAreMoot) {
  // The broker acks a returned message's tag right after the return; the stage has already
  // dropped the connection, so that ack confirms nothing and m1 goes out again.
  broker_.on_poll = onFirstPoll({FakePublisher::ack(1),
                                 FakePublisher::event(Kind::Returned, 0, "returned: 312 NO_ROUTE"),
                                 FakePublisher::ack(2)});
  ASSERT_TRUE(run({messages(3)}).isOk());
  EXPECT_EQ(broker_.idsOn(2), ids({1, 2}));
  EXPECT_EQ(count(stats_.messages_returned), 1u);
  EXPECT_EQ(count(stats_.messages_confirmed), 3u);
  EXPECT_EQ(saved(), markAfter(2));
}

TEST_F(PublisherStageTest, AClosedChannelReconnectsAfterABackoffAndRepublishes) {
  broker_.on_poll = onFirstPoll({FakePublisher::ack(1)},
                                Status::protocol("channel closed by broker: 404 NOT_FOUND"));
  ASSERT_TRUE(run({messages(3)}).isOk());
  EXPECT_EQ(broker_.idsOn(2), ids({1, 2}));
  ASSERT_EQ(broker_.connect_times.size(), 2u);
  // The first delay is drawn from [min/2, min].
  EXPECT_GE(broker_.connect_times[1] - broker_.connect_times[0],
            options_.min_reconnect_backoff / 2);
  EXPECT_TRUE(metrics::get(stats_.broker_connected));
  EXPECT_EQ(saved(), markAfter(2));
}

TEST_F(PublisherStageTest, ALostConnectionRepublishesInTheOriginalOrderAfterOutOfOrderConfirms) {
  std::vector<checkpoint::Checkpoint> mark_on_reconnect;
  broker_.on_poll = [&](FakePublisher& broker, std::vector<sink::BrokerEvent>& out) {
    if (broker.connection() == 1) {
      // m2, m0, m3 confirmed one by one, out of order; then the link fails.
      for (uint64_t tag : {3, 1, 4}) {
        out.push_back(FakePublisher::ack(tag));
      }
      return Status::io("connection lost: a socket error occurred");
    }
    mark_on_reconnect.push_back(stage_->checkpoint());
    return broker.ackAll(out);
  };
  ASSERT_TRUE(run({messages(5)}).isOk());
  EXPECT_EQ(broker_.idsOn(2), ids({1, 4}));
  ASSERT_FALSE(mark_on_reconnect.empty());
  EXPECT_EQ(mark_on_reconnect[0], markAfter(0)) << "the mark passed the unconfirmed m1";
  EXPECT_EQ(count(stats_.messages_confirmed), 5u);
  EXPECT_EQ(saved(), markAfter(4));
}

TEST_F(PublisherStageTest, NothingIsPublishedWhileTheBrokerBlocksTheConnection) {
  options_.confirm_window = 2;
  std::vector<uint64_t> sent_while_blocked;
  broker_.on_poll = [&](FakePublisher& broker, std::vector<sink::BrokerEvent>& out) {
    switch (broker.polls) {
      case 1:  // m0 and m1 out (the window is full): the alarm goes off
        out.push_back(FakePublisher::event(Kind::Blocked, 0, "blocked: low on memory"));
        return Status::ok();
      case 2:  // the window empties, but the connection is blocked
        EXPECT_TRUE(metrics::get(stats_.broker_blocked));
        sent_while_blocked.push_back(broker.sentOnThisConnection());
        return broker.ackAll(out);
      case 3:
        sent_while_blocked.push_back(broker.sentOnThisConnection());
        out.push_back(FakePublisher::event(Kind::Unblocked, 0, "unblocked"));
        return Status::ok();
      default: return broker.ackAll(out);
    }
  };
  ASSERT_TRUE(run({messages(4)}).isOk());
  EXPECT_EQ(sent_while_blocked, (std::vector<uint64_t>{2, 2}));
  EXPECT_EQ(broker_.idsOn(1), ids({0, 1, 2, 3})) << "each once, in order, on one connection";
  EXPECT_FALSE(metrics::get(stats_.broker_blocked));
  EXPECT_EQ(saved(), markAfter(3));
}

TEST_F(PublisherStageTest, AStopWithMessagesInFlightSavesOnlyWhatIsConfirmedBeforeThem) {
  std::stop_source stop;
  broker_.on_poll = [&](FakePublisher&, std::vector<sink::BrokerEvent>& out) {
    out.push_back(FakePublisher::ack(1));
    out.push_back(FakePublisher::ack(3));  // m2, after the unconfirmed m1
    stop.request_stop();
    return Status::ok();
  };
  ASSERT_TRUE(run({messages(4)}, stop.get_token()).isOk());
  EXPECT_EQ(saved(), markAfter(0));
  EXPECT_EQ(stage_->checkpoint(), markAfter(0));
  EXPECT_EQ(metrics::get(stats_.messages_unconfirmed), 2u);
}

// A drain request while the broker is down and messages are unconfirmed: the stage still waits
// out each backoff (it once spun until the delay was over) and retries until the hard stop.
TEST_F(PublisherStageTest, ADrainWithMessagesUnconfirmedKeepsBackingOffUntilTheHardStop) {
  std::stop_source stop;
  std::stop_source draining;
  broker_.on_poll = onFirstPoll({FakePublisher::ack(1)}, Status::io("connection lost"));
  broker_.on_connect = [&](FakePublisher& broker) {
    switch (broker.connect_times.size()) {
      case 1: return Status::ok();
      case 2: draining.request_stop(); return Status::io("cannot connect: connection refused");
      default: stop.request_stop(); return Status::io("cannot connect: connection refused");
    }
  };
  const Status result = run({messages(3)}, stop.get_token(), draining.get_token());
  EXPECT_EQ(result.code(), StatusCode::Cancelled) << result.toString();
  ASSERT_EQ(broker_.connect_times.size(), 3u);
  EXPECT_GE(broker_.connect_times[2] - broker_.connect_times[1], options_.min_reconnect_backoff)
      << "the backoff after the drain request was cut short";
  EXPECT_EQ(saved(), markAfter(0));
}

TEST_F(PublisherStageTest, ADrainThatTimesOutSavesOnlyWhatIsConfirmed) {
  options_.drain_timeout = 1s;
  broker_.on_poll = [](FakePublisher&, std::vector<sink::BrokerEvent>& out) {
    out.push_back(FakePublisher::ack(1));  // m1 is never confirmed
    return Status::ok();
  };
  ASSERT_TRUE(run({messages(3)}).isOk());
  EXPECT_EQ(saved(), markAfter(0));
  EXPECT_EQ(broker_.idsOn(1), ids({0, 1, 2}));
  EXPECT_EQ(broker_.connection(), 1);
}

TEST_F(PublisherStageTest, WindowHoldsWhenABatchIsLargerThanIt) {
  options_.confirm_window = 3;
  uint64_t acked = 0;
  uint64_t most_outstanding = 0;
  broker_.on_poll = [&](FakePublisher& broker, std::vector<sink::BrokerEvent>& out) {
    most_outstanding = std::max(most_outstanding, broker.sentOnThisConnection() - acked);
    if (broker.polls <= 3) {
      return Status::ok();  // no confirms yet: the stage must not go past the window
    }
    acked = broker.sentOnThisConnection();
    return broker.ackAll(out);
  };
  ASSERT_TRUE(run({messages(10)}).isOk());
  EXPECT_EQ(most_outstanding, 3u);
  EXPECT_EQ(broker_.sent().size(), 10u);
  EXPECT_EQ(count(stats_.messages_confirmed), 10u);
}

TEST_F(PublisherStageTest, AWholeWindowGoesOutBeforeWaitingForConfirms) {
  options_.confirm_window = 50;
  uint64_t sent_at_first_poll = 0;
  broker_.on_poll = [&](FakePublisher& broker, std::vector<sink::BrokerEvent>& out) {
    if (broker.polls == 1) {
      sent_at_first_poll = broker.sentOnThisConnection();
    }
    return broker.ackAll(out);
  };
  // Forty one-message batches, as one-row transactions arrive: all in flight at once.
  std::vector<PublishBatch> batches;
  for (int i = 0; i < 40; ++i) {
    batches.push_back(messages(1, i));
  }
  ASSERT_TRUE(run(std::move(batches)).isOk());
  EXPECT_EQ(sent_at_first_poll, 40u) << "waited for the broker with input still queued";
}

// Three row messages, each moving the checkpoint past itself: a small one, one of ~5 KB (over the
// fake broker's 4096 bytes), a small one.
PublishBatch rowsWithALargeOne() {
  PublishBatch batch;
  for (int i = 0; i < 3; ++i) {
    PublishItem item;
    const std::string note(i == 1 ? 5000 : 10, 'x');
    item.setMessage(
        fmt::format("mysql-bin.000001:{}:0", 100 * (i + 1)),
        fmt::format(
            R"({{"type":"row_insert","database":"shop","table_name":"item","keys":{{"id":{}}},)"
            R"("values":{{"id":{},"note":"{}"}},"timestamp":1,"binlog_timestamp":1,)"
            R"("position":{{"file":"mysql-bin.000001","pos":{},"row":0}}}})",
            i, i, note, 100 * (i + 1)));
    // Where RowMessageBuilder would say the parts are (message/row_oversize.h).
    const std::string_view body = item.body();
    item.layout = message::RowMessageLayout{static_cast<uint32_t>(body.find(R"("keys":)") + 7),
                                            static_cast<uint32_t>(body.find(R"(,"values":)")),
                                            static_cast<uint32_t>(body.find(R"(,"timestamp":)"))};
    item.route =
        makeRoute("rows", {{"database", "shop"}, {"table", "item"}, {"type", "row_insert"}});
    item.checkpoint = std::make_shared<const checkpoint::Checkpoint>(
        checkpoint::Checkpoint{"mysql-bin.000001", static_cast<uint64_t>(100 * (i + 1) + 50)});
    batch.push_back(std::move(item));
  }
  return batch;
}

constexpr size_t kLimit = 4096;

// A broker that refuses bodies over kLimit as RabbitMQ does: it closes the channel (the poll
// fails) after confirming what came before, drops what came after, and (when `names_limit`) says
// its limit, which maxMessageSize() then reports.
FakePublisher::OnPoll refuseLargeBodies(bool names_limit) {
  return [names_limit](FakePublisher& broker, std::vector<sink::BrokerEvent>& out) {
    for (const FakePublisher::Sent& sent : broker.sent()) {
      if (sent.connection == broker.connection() && sent.body.size() > kLimit) {
        if (sent.delivery_tag > 1) {
          out.push_back(FakePublisher::ack(sent.delivery_tag - 1, /*multiple=*/true));
        }
        if (names_limit) {
          broker.max_message_size = kLimit;
        }
        return Status::protocol(
            "channel closed by broker: 406 PRECONDITION_FAILED - message too large");
      }
    }
    return broker.ackAll(out);
  };
}

size_t largeBodiesSent(const FakePublisher& broker) {
  size_t n = 0;
  for (const FakePublisher::Sent& sent : broker.sent()) {
    n += sent.body.size() > kLimit ? 1 : 0;
  }
  return n;
}

// Issue 16 (a row over the broker's max_message_size): with on_oversize = fail the stage stops at
// it with an error naming the row, the sizes and the fixes, after the rows before it are confirmed;
// nothing after it is published again and the checkpoint stays before it.
TEST_F(PublisherStageTest, OversizeRowWithFailStopsBeforeItNamingTheRow) {
  options_.on_oversize = OversizePolicy::Fail;
  broker_.on_poll = refuseLargeBodies(/*names_limit=*/true);
  const Status result = run({rowsWithALargeOne()});
  ASSERT_FALSE(result.isOk());
  for (const char* part : {"shop.item keys {\"id\":1}", "mysql-bin.000001:200 row 0",
                           "more than the 4096 bytes", "max_message_size", "on_oversize = stub"}) {
    EXPECT_NE(result.message().find(part), std::string::npos)
        << part << " missing in " << result.toString();
  }
  EXPECT_EQ(largeBodiesSent(broker_), 1u) << "the refused message was published again";
  EXPECT_TRUE(broker_.idsOn(2).empty()) << "something after the refused row was published again";
  EXPECT_EQ(count(stats_.messages_republished), 1u) << "only the refused row was due again";
  EXPECT_EQ(stage_->checkpoint(), (checkpoint::Checkpoint{"mysql-bin.000001", 150}));
  EXPECT_EQ(saved(), (checkpoint::Checkpoint{"mysql-bin.000001", 150}));
}

// With on_oversize = stub a row_oversize message takes the row's place (its id, in its order) and
// the rows after it follow.
TEST_F(PublisherStageTest, OversizeRowWithStubPublishesARowOversizeMessageInItsPlace) {
  options_.on_oversize = OversizePolicy::Stub;
  broker_.on_poll = refuseLargeBodies(/*names_limit=*/true);
  ASSERT_TRUE(run({rowsWithALargeOne()}).isOk());
  EXPECT_EQ(broker_.idsOn(2),
            (std::vector<std::string>{"mysql-bin.000001:200:0", "mysql-bin.000001:300:0"}));
  ASSERT_EQ(broker_.sent().size(), 5u);
  EXPECT_EQ(
      broker_.sent()[3].body,
      R"({"type":"row_oversize","row_type":"row_insert","database":"shop","table_name":"item","keys":{"id":1},)"
      R"("message_size":5195,"max_message_size":4096,"timestamp":1,"binlog_timestamp":1,)"
      R"("position":{"file":"mysql-bin.000001","pos":200,"row":0}})");
  EXPECT_EQ(count(stats_.messages_oversize), 1u);
  EXPECT_EQ(stage_->checkpoint(), (checkpoint::Checkpoint{"mysql-bin.000001", 350}));
}

// A broker that refuses a message without naming its limit cannot be told apart from other
// refusals: the stage retries (nothing is dropped), but each closed channel backs off, so the
// delays keep doubling instead of a reconnect per round trip (issue 16: ~3 a second, forever).
TEST_F(PublisherStageTest, RepeatedRefusalBacksOffInsteadOfATightLoop) {
  options_.min_reconnect_backoff = 1ms;
  options_.max_reconnect_backoff = 16ms;
  broker_.polls_take_time = false;  // only the backoff moves the clock
  broker_.on_poll = refuseLargeBodies(/*names_limit=*/false);
  std::stop_source stop;
  broker_.on_connect = [&](FakePublisher& broker) {
    if (broker.connect_times.size() == 8) {
      stop.request_stop();
    }
    return Status::ok();
  };
  // Stopped during the eighth connect.
  EXPECT_EQ(run({rowsWithALargeOne()}, stop.get_token()).code(), StatusCode::Cancelled);
  ASSERT_EQ(broker_.connect_times.size(), 8u);
  // Delays drawn from [d/2, d] with d = 2, 4, 8, 16, 16, 16 ms between the second connect and the
  // eighth: 31 to 62 ms of fake time; reconnecting at once took none.
  const auto backed_off = broker_.connect_times[7] - broker_.connect_times[1];
  EXPECT_GE(backed_off, 31ms);
  EXPECT_LE(backed_off, 62ms);
  EXPECT_EQ(saved(), (checkpoint::Checkpoint{"mysql-bin.000001", 150}));
}

TEST_F(PublisherStageTest, ARefusalEndsTheStageAtOnceInsteadOfRetrying) {
  broker_.on_connect = [](FakePublisher&) {
    return Status::refused("login refused; fix: check [amqp] user and password");
  };
  const Status result = run({});
  EXPECT_EQ(result.code(), StatusCode::Refused) << result.toString();
  EXPECT_EQ(broker_.connect_times.size(), 1u);
}

TEST_F(PublisherStageTest, AStopWithNothingUnconfirmedDoesNotWaitForAnUnreachableBroker) {
  options_.min_reconnect_backoff = 30s;  // a wait that the stop must make moot
  options_.max_reconnect_backoff = 30s;
  std::stop_source draining;
  broker_.on_connect = [&](FakePublisher&) {
    draining.request_stop();  // while the connect is under way
    return Status::io("cannot connect: a socket error occurred");
  };
  const Status result = run({}, std::stop_token{}, draining.get_token());
  EXPECT_EQ(result.code(), StatusCode::Cancelled) << result.toString();
  EXPECT_TRUE(broker_.interrupted) << "the connect under way was not interrupted";
  EXPECT_EQ(broker_.connect_times.size(), 1u);
  EXPECT_EQ(clock_.waited(), std::chrono::steady_clock::duration::zero());
}

}  // namespace
}  // namespace mm::pipeline

namespace mm::pipeline {
namespace {

// Issue 19: a leader paused or cut off past its lease publishes nothing until it is renewed
// (docs/high-availability.md "Fencing").
TEST_F(PublisherStageTest, NothingIsPublishedPastTheLeaderLeaseUntilItIsRenewed) {
  std::atomic<int64_t> lease{clock_.monotonicNow().time_since_epoch().count()};  // past now
  options_.lease_valid_until = &lease;
  std::atomic<uint64_t> published_before_renewal{99};
  std::atomic<bool> ended{false};
  std::jthread renewer([&] {
    // The stage looks at the lease again every few (fake) milliseconds while it is past.
    while (clock_.waits() < 20 && !ended) {
      std::this_thread::yield();
    }
    published_before_renewal = metrics::get(stats_.messages_published);
    lease = std::numeric_limits<int64_t>::max();
  });
  const Status status = run({messages(3)});
  ended = true;
  renewer.join();
  ASSERT_TRUE(status.isOk()) << status.toString();
  EXPECT_EQ(published_before_renewal.load(), 0u) << "published past the lease";
  EXPECT_EQ(broker_.idsOn(1), ids({0, 1, 2}));
  EXPECT_EQ(saved(), markAfter(2));
}

}  // namespace
}  // namespace mm::pipeline
