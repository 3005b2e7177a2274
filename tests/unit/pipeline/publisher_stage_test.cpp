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

#include <gtest/gtest.h>

namespace mm::pipeline {
namespace {

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
    for (PublishBatch& batch : batches) {
      const size_t size = batch.size();
      ASSERT_TRUE(in_.push(std::move(batch), size, std::stop_token{}));
    }
    in_.close();
    PublisherOptions options;
    options.confirm_window = window;
    stage_.emplace(broker_, in_, *state_, clock_, options, checkpoint::Checkpoint{});
    thread_ = std::jthread([this] { result_ = stage_->run(std::stop_token{}); });
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
