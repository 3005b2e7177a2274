// PublisherStage against a fake broker: the confirm window bounds the unconfirmed messages even
// when the transformer hands over batches larger than the window, and a whole window goes out
// before the stage waits for confirms (one message per broker round trip was the old bottleneck).
#include "pipeline/publisher_stage.h"

#include <atomic>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace mm::pipeline {
namespace {

// A broker that refuses bodies over `limit` as RabbitMQ does: it closes the channel (the next poll
// fails), drops what came after on it, and (when `names_limit`) says its limit, which
// maxMessageSize() then reports. Everything before the refused message is confirmed. Records what
// it took, in order, and when each connect came. Thread-safe.
class SizeLimitedBroker final : public sink::Publisher {
 public:
  SizeLimitedBroker(size_t limit, bool names_limit) : limit_(limit), names_limit_(names_limit) {}

  Status connect() override {
    std::lock_guard lock(mutex_);
    connects_.push_back(std::chrono::steady_clock::now());
    open_ = true;
    channel_closed_ = false;
    next_tag_ = 1;
    return Status::ok();
  }
  std::string describe() const override { return "fake broker"; }
  uint64_t maxMessageSize() const override {
    std::lock_guard lock(mutex_);
    return learned_;
  }
  Result<uint64_t> publish(const sink::OutgoingMessage& message) override {
    std::lock_guard lock(mutex_);
    if (!open_) {
      return Status::io("not connected");
    }
    const uint64_t tag = next_tag_++;
    if (channel_closed_) {
      return tag;  // lost with the channel
    }
    if (message.body.size() > limit_) {
      channel_closed_ = true;
      refused_.emplace_back(message.message_id);
    } else {
      taken_.push_back(std::string(message.message_id) + " " + std::string(message.body));
      to_ack_.push_back(tag);
    }
    return tag;
  }
  Status poll(std::chrono::milliseconds timeout, std::vector<sink::BrokerEvent>& out) override {
    std::this_thread::sleep_for(std::min(timeout, std::chrono::milliseconds{1}));
    std::lock_guard lock(mutex_);
    for (uint64_t tag : to_ack_) {
      out.push_back(sink::BrokerEvent{tag, false, sink::BrokerEvent::Kind::Ack, {}});
    }
    to_ack_.clear();
    if (channel_closed_ && open_) {
      open_ = false;
      if (names_limit_) {
        learned_ = limit_;
      }
      return Status::protocol("channel closed by broker: 406 PRECONDITION_FAILED - message too large");
    }
    return Status::ok();
  }
  std::vector<std::string> taken() const {
    std::lock_guard lock(mutex_);
    return taken_;
  }
  size_t refusals() const {
    std::lock_guard lock(mutex_);
    return refused_.size();
  }
  std::vector<std::chrono::steady_clock::time_point> connects() const {
    std::lock_guard lock(mutex_);
    return connects_;
  }

 private:
  mutable std::mutex mutex_;
  const size_t limit_;
  const bool names_limit_;
  bool open_ = false;
  bool channel_closed_ = false;
  uint64_t next_tag_ = 1;
  uint64_t learned_ = 0;
  std::vector<uint64_t> to_ack_;
  std::vector<std::string> taken_;
  std::vector<std::string> refused_;
  std::vector<std::chrono::steady_clock::time_point> connects_;
};

// Publishes into memory; confirms (multiple) everything published so far on each poll once
// `confirming` is set. Thread-safe: the stage runs on its own thread.
class FakeBroker final : public sink::Publisher {
 public:
  Status connect() override { return Status::ok(); }
  std::string describe() const override { return "fake broker"; }
  Result<uint64_t> publish(const sink::OutgoingMessage&) override {
    std::lock_guard lock(mutex_);
    ++published_;
    max_unconfirmed_ = std::max(max_unconfirmed_, published_ - confirmed_);
    return published_;
  }
  Status poll(std::chrono::milliseconds timeout, std::vector<sink::BrokerEvent>& out) override {
    std::this_thread::sleep_for(std::min(timeout, std::chrono::milliseconds{1}));
    std::lock_guard lock(mutex_);
    if (published_ > 0 && published_at_first_poll_ == 0) {
      published_at_first_poll_ = published_;
    }
    if (confirming && confirmed_ < published_) {
      confirmed_ = published_;
      out.push_back(sink::BrokerEvent{confirmed_, true, sink::BrokerEvent::Kind::Ack, {}});
    }
    return Status::ok();
  }
  uint64_t published() const {
    std::lock_guard lock(mutex_);
    return published_;
  }
  // How many messages were out when the stage first waited for the broker with some published.
  uint64_t publishedAtFirstPoll() const {
    std::lock_guard lock(mutex_);
    return published_at_first_poll_;
  }
  uint64_t maxUnconfirmed() const {
    std::lock_guard lock(mutex_);
    return max_unconfirmed_;
  }
  std::atomic<bool> confirming{false};

 private:
  mutable std::mutex mutex_;
  uint64_t published_ = 0;
  uint64_t confirmed_ = 0;
  uint64_t max_unconfirmed_ = 0;
  uint64_t published_at_first_poll_ = 0;
};

PublishBatch messages(int count) {
  PublishBatch batch;
  for (int i = 0; i < count; ++i) {
    PublishItem item;
    item.setMessage(std::to_string(i), "{}");
    item.route = makeRoute("rows", {});
    batch.push_back(std::move(item));
  }
  return batch;
}

bool waitFor(const std::function<bool()>& done) {
  for (int i = 0; i < 2000 && !done(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  }
  return done();
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

  // Runs a stage with `window` over `batches` (the input then closed) on its own thread.
  void start(size_t window, std::vector<PublishBatch> batches) {
    PublisherOptions options;
    options.confirm_window = window;
    start(broker_, options, std::move(batches));
  }
  void start(sink::Publisher& publisher, const PublisherOptions& options, std::vector<PublishBatch> batches,
             std::stop_token stop = {}) {
    for (PublishBatch& batch : batches) {
      const size_t size = batch.size();
      ASSERT_TRUE(in_.push(std::move(batch), size, std::stop_token{}));
    }
    in_.close();
    stage_.emplace(publisher, in_, *state_, clock_, options, checkpoint::Checkpoint{});
    thread_ = std::jthread([this, stop] { result_ = stage_->run(stop); });
  }
  // Lets the broker confirm and waits for the stage to end.
  void finish() {
    broker_.confirming = true;
    thread_.join();
    EXPECT_TRUE(result_.isOk()) << result_.toString();
  }

  std::filesystem::path dir_;
  FakeBroker broker_;
  BoundedQueue<PublishBatch> in_{64, 1 << 20};
  std::optional<checkpoint::StateFile> state_;
  SystemClock clock_;
  std::optional<PublisherStage> stage_;
  Status result_;
  std::jthread thread_;
};

TEST_F(PublisherStageTest, WindowHoldsWhenABatchIsLargerThanIt) {
  start(3, {messages(10)});
  ASSERT_TRUE(waitFor([&] { return broker_.published() == 3; }));
  std::this_thread::sleep_for(std::chrono::milliseconds{30});
  EXPECT_EQ(broker_.published(), 3u) << "published beyond the window without a confirm";
  finish();
  EXPECT_EQ(broker_.published(), 10u);
  EXPECT_EQ(broker_.maxUnconfirmed(), 3u);
  EXPECT_EQ(stage_->stats().confirmed, 10u);
}

TEST_F(PublisherStageTest, AWholeWindowGoesOutBeforeWaitingForConfirms) {
  // Forty one-message batches, as one-row transactions arrive: all in flight at once.
  start(50, std::vector<PublishBatch>(40, messages(1)));
  ASSERT_TRUE(waitFor([&] { return broker_.publishedAtFirstPoll() > 0; }));
  EXPECT_EQ(broker_.publishedAtFirstPoll(), 40u) << "waited for the broker with input still queued";
  finish();
}

// Three row messages, each moving the checkpoint past itself: a small one, one of ~5 KB (over the
// fake broker's 4096 bytes), a small one.
PublishBatch rowsWithALargeOne() {
  PublishBatch batch;
  for (int i = 0; i < 3; ++i) {
    PublishItem item;
    const std::string note(i == 1 ? 5000 : 10, 'x');
    item.setMessage(fmt::format("mysql-bin.000001:{}:0", 100 * (i + 1)),
                    fmt::format(R"({{"type":"row_insert","database":"shop","table_name":"item","keys":{{"id":{}}},)"
                                R"("values":{{"id":{},"note":"{}"}},"timestamp":1,"binlog_timestamp":1,)"
                                R"("position":{{"file":"mysql-bin.000001","pos":{},"row":0}}}})",
                                i, i, note, 100 * (i + 1)));
    item.route = makeRoute("rows", {});
    item.checkpoint = std::make_shared<const checkpoint::Checkpoint>(
        checkpoint::Checkpoint{"mysql-bin.000001", static_cast<uint64_t>(100 * (i + 1) + 50)});
    batch.push_back(std::move(item));
  }
  return batch;
}

PublisherOptions quickBackoff(OversizePolicy policy) {
  PublisherOptions options;
  options.on_oversize = policy;
  options.min_reconnect_backoff = std::chrono::milliseconds{1};
  options.max_reconnect_backoff = std::chrono::milliseconds{16};
  return options;
}

// Issue 16 (a row over the broker's max_message_size): with on_oversize = fail the stage stops at
// it with an error naming the row, the sizes and the fixes, after the rows before it are confirmed;
// nothing after it is published again and the checkpoint stays before it.
TEST_F(PublisherStageTest, OversizeRowWithFailStopsBeforeItNamingTheRow) {
  SizeLimitedBroker broker(4096, /*names_limit=*/true);
  start(broker, quickBackoff(OversizePolicy::Fail), {rowsWithALargeOne()});
  thread_.join();
  ASSERT_FALSE(result_.isOk());
  for (const char* part : {"shop.item keys {\"id\":1}", "mysql-bin.000001:200 row 0", "more than the 4096 bytes",
                           "max_message_size", "on_oversize = stub"}) {
    EXPECT_NE(result_.message().find(part), std::string::npos) << part << " missing in " << result_.toString();
  }
  const std::vector<std::string> taken = broker.taken();
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0].substr(0, taken[0].find(' ')), "mysql-bin.000001:100:0");
  EXPECT_EQ(broker.refusals(), 1u) << "the refused message was published again";
  EXPECT_EQ(stage_->checkpoint(), (checkpoint::Checkpoint{"mysql-bin.000001", 150}));
  auto saved = state_->load();
  ASSERT_TRUE(saved.isOk());
  EXPECT_EQ(*saved, (checkpoint::Checkpoint{"mysql-bin.000001", 150}));
}

// With on_oversize = stub a row_oversize message takes the row's place (its id, in its order) and
// the rows after it follow.
TEST_F(PublisherStageTest, OversizeRowWithStubPublishesARowOversizeMessageInItsPlace) {
  SizeLimitedBroker broker(4096, /*names_limit=*/true);
  start(broker, quickBackoff(OversizePolicy::Stub), {rowsWithALargeOne()});
  thread_.join();
  ASSERT_TRUE(result_.isOk()) << result_.toString();
  const std::vector<std::string> taken = broker.taken();
  ASSERT_EQ(taken.size(), 3u);
  EXPECT_EQ(taken[0].substr(0, taken[0].find(' ')), "mysql-bin.000001:100:0");
  EXPECT_EQ(taken[1],
            "mysql-bin.000001:200:0 "
            R"({"type":"row_oversize","row_type":"row_insert","database":"shop","table_name":"item","keys":{"id":1},)"
            R"("message_size":5195,"max_message_size":4096,"timestamp":1,"binlog_timestamp":1,)"
            R"("position":{"file":"mysql-bin.000001","pos":200,"row":0}})");
  EXPECT_EQ(taken[2].substr(0, taken[2].find(' ')), "mysql-bin.000001:300:0");
  EXPECT_EQ(stage_->checkpoint(), (checkpoint::Checkpoint{"mysql-bin.000001", 350}));
}

// A broker that refuses a message without naming its limit cannot be told apart from other
// refusals: the stage retries (nothing is dropped), but each closed channel backs off, so the
// delays keep doubling instead of a reconnect per round trip (issue 16: ~3 a second, forever).
TEST_F(PublisherStageTest, RepeatedRefusalBacksOffInsteadOfATightLoop) {
  SizeLimitedBroker broker(4096, /*names_limit=*/false);
  std::stop_source stop;
  start(broker, quickBackoff(OversizePolicy::Fail), {rowsWithALargeOne()}, stop.get_token());
  ASSERT_TRUE(waitFor([&] { return broker.connects().size() >= 8; }));
  stop.request_stop();
  thread_.join();
  const auto connects = broker.connects();
  // Delays drawn from [d/2, d] with d = 2, 4, 8, 16, 16, 16 ms between the second connect and the
  // eighth: at least 31 ms; reconnecting at once took about 6 x 1 ms.
  EXPECT_GE(connects[7] - connects[1], std::chrono::milliseconds{31});
  EXPECT_EQ(broker.taken().size(), 1u);
}

// connect() answers with `answer` (counted); interrupt() is recorded and makes a blocked connect
// return Cancelled, as AmqpPublisher's does.
class UnreachableBroker final : public sink::Publisher {
 public:
  explicit UnreachableBroker(Status answer) : answer_(std::move(answer)) {}
  Status connect() override {
    ++connects;
    return answer_;
  }
  void interrupt() override { interrupted = true; }
  std::string describe() const override { return "unreachable broker"; }
  Result<uint64_t> publish(const sink::OutgoingMessage&) override { return Status::io("not connected"); }
  Status poll(std::chrono::milliseconds, std::vector<sink::BrokerEvent>&) override { return Status::io("not connected"); }
  std::atomic<int> connects{0};
  std::atomic<bool> interrupted{false};

 private:
  Status answer_;
};

class PublisherStageBrokerTest : public PublisherStageTest {};

TEST_F(PublisherStageBrokerTest, ARefusalEndsTheStageAtOnceInsteadOfRetrying) {
  UnreachableBroker broker(Status::refused("login refused; fix: check [amqp] user and password"));
  in_.close();
  PublisherStage stage(broker, in_, *state_, clock_, PublisherOptions{}, checkpoint::Checkpoint{});
  const Status result = stage.run(std::stop_token{});
  EXPECT_EQ(result.code(), StatusCode::Refused) << result.toString();
  EXPECT_EQ(broker.connects, 1);
}

TEST_F(PublisherStageBrokerTest, AStopWithNothingUnconfirmedDoesNotWaitForAnUnreachableBroker) {
  UnreachableBroker broker(Status::io("cannot connect: a socket error occurred"));
  PublisherOptions options;
  options.min_reconnect_backoff = std::chrono::milliseconds{30000};  // waits that a stop must cut short
  options.max_reconnect_backoff = std::chrono::milliseconds{30000};
  PublisherStage stage(broker, in_, *state_, clock_, options, checkpoint::Checkpoint{});
  std::stop_source draining;
  Status result;
  std::jthread thread([&] { result = stage.run(std::stop_token{}, draining.get_token()); });
  ASSERT_TRUE(waitFor([&] { return broker.connects.load() == 1; }));
  const auto asked = std::chrono::steady_clock::now();
  draining.request_stop();
  thread.join();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::milliseconds{500});
  EXPECT_EQ(result.code(), StatusCode::Cancelled) << result.toString();
}

}  // namespace
}  // namespace mm::pipeline
