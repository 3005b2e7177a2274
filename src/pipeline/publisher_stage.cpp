#include "pipeline/publisher_stage.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "message/origin_message.h"
#include "message/row_oversize.h"

namespace mm::pipeline {
namespace {

constexpr std::chrono::milliseconds kIdlePoll{50};
constexpr std::chrono::milliseconds kConfirmPoll{5};
// While the lease is past its time: how often to look whether it was renewed (or the stop came).
constexpr std::chrono::milliseconds kLeasePoll{10};

}  // namespace

PublisherStage::PublisherStage(sink::Publisher& publisher, BoundedQueue<PublishBatch>& in,
                               checkpoint::StateStore& state, const Clock& clock,
                               metrics::Stats& stats, PublisherOptions options,
                               const checkpoint::Checkpoint& initial)
    : publisher_(publisher), in_(in), clock_(clock), stats_(stats), options_(std::move(options)),
      window_(initial), backoff_(options_.min_reconnect_backoff, options_.max_reconnect_backoff),
      offered_(initial),
      heartbeat_route_(makeRoute(options_.heartbeat_routing_key, {{"type", "heartbeat"}})),
      writer_(state, clock, options_.checkpoint_interval, initial, stats) {}

void PublisherStage::markDisconnected(const Status& why) {
  // Even a link that simply dropped waits a little: a broker that takes the connection and then
  // refuses what is published on it would otherwise be hit as fast as it answers.
  const auto retry_delay = backoff_.next();
  if (connected_) {
    spdlog::warn("{}; will reconnect{} and publish the {} unconfirmed messages again",
                 why.toString(),
                 retry_delay.count() > 0 ? fmt::format(" in {} ms", retry_delay.count()) : "",
                 window_.unconfirmed());
  }
  connected_ = false;
  blocked_ = false;
  metrics::set(stats_.broker_connected, false);
  metrics::set(stats_.broker_blocked, false);
  reconnect_not_before_ = clock_.monotonicNow() + retry_delay;
  window_.disconnected();
}

Status PublisherStage::ensureConnected(std::stop_token stop) {
  while (!connected_ && !stop.stop_requested()) {
    // A stop with nothing unconfirmed need not wait for a broker that is down or silent.
    if (draining_.stop_requested() && window_.empty()) {
      return Status::cancelled(
          "stopped while the broker was unreachable, with nothing unconfirmed");
    }
    if (clock_.monotonicNow() < reconnect_not_before_) {
      // A drain request ends the wait once (to see whether anything is unconfirmed); after it,
      // only the hard stop does, or the loop would spin until the backoff is over.
      (void)clock_.waitUntil(reconnect_not_before_, draining_.stop_requested() ? stop : wake_);
      continue;
    }
    if (connect_attempted_) {
      metrics::add(stats_.broker_reconnects);
    }
    connect_attempted_ = true;
    const Status status = connect(stop);
    if (status.code() == StatusCode::Refused) {
      return status;  // credentials, vhost, permissions, exchange type: a retry cannot help
    }
    if (status.code() == StatusCode::Cancelled) {
      continue;  // the loop's conditions say why
    }
    if (!status.isOk()) {
      const auto delay = backoff_.next();
      spdlog::error("{}; retrying in {} ms", status.toString(), delay.count());
      reconnect_not_before_ = clock_.monotonicNow() + delay;
      continue;
    }
    connected_ = true;
    metrics::set(stats_.broker_connected, true);
    republish();
    if (connected_) {
      spdlog::info("publishing to the {}", publisher_.describe());
    }
  }
  return stop.stop_requested() ? Status::cancelled("stopped") : Status::ok();
}

Status PublisherStage::connect(std::stop_token stop) {
  const bool idle = window_.empty();
  // The connect (TCP, handshake, declarations) may wait up to the connect timeout.
  std::stop_callback interrupt_on_stop(stop, [this] { publisher_.interrupt(); });
  std::stop_callback interrupt_on_drain(draining_, [this, idle] {
    if (idle) {
      publisher_.interrupt();
    }
  });
  return publisher_.connect();
}

void PublisherStage::republish() {
  for (const uint64_t sequence : window_.republishOrder()) {
    Entry& entry = window_.at(sequence);
    if (!window_.publishable(entry)) {
      return;  // an oversize message just halted the stage at or before it
    }
    metrics::add(stats_.messages_republished);
    publish(entry);
    if (!connected_) {
      return;
    }
  }
}

void PublisherStage::append(PublishItem item) {
  Entry& entry = window_.add(std::move(item));
  if (entry.item.isMessage()) {
    metrics::add(stats_.messages_published);
    publish(entry);
  }
}

void PublisherStage::publish(Entry& entry) {
  if (!window_.publishable(entry)) {
    return;
  }
  const uint64_t limit = publisher_.maxMessageSize();
  if (limit != 0 && entry.item.body().size() > limit && !handleOversize(entry, limit))
      [[unlikely]] {
    return;
  }
  const PublishItem& item = entry.item;
  auto tag = publisher_.publish(sink::OutgoingMessage{
      item.body(), item.messageId(), item.route->routing_key, item.timestamp, item.route->headers});
  if (!tag.isOk()) {
    markDisconnected(tag.status());
    return;
  }
  window_.published(entry, *tag);
  ++publishes_;
}

bool PublisherStage::handleOversize(Entry& entry, uint64_t limit) {
  const PublishItem& item = entry.item;
  const size_t size = item.body().size();
  const bool is_row = item.layout.isRow() && item.route != nullptr;
  const std::string what =
      is_row ? fmt::format("the row message of {}",
                           message::describeRow(message::rowIdentity(
                               item.body(), item.layout, item.messageId(), item.route->headers)))
             : fmt::format("message {}", item.messageId());
  if (options_.on_oversize == OversizePolicy::Stub && is_row) {
    std::string stub = message::rowOversizeMessage(item.body(), item.layout, limit);
    if (stub.size() <= limit) {
      spdlog::warn("{} is {} bytes, more than the {} bytes {} takes: publishing a row_oversize "
                   "message in its place ([amqp] on_oversize = stub)",
                   what, size, limit, publisher_.describe());
      metrics::add(stats_.messages_oversize);
      entry.item.setBody(stub);
      entry.item.layout = {};
      return true;
    }
  }
  std::string why = "[amqp] on_oversize = fail";
  std::string fix = "set [amqp] on_oversize = stub to publish a row_oversize message in its place";
  if (options_.on_oversize == OversizePolicy::Stub) {
    why = is_row ? "even the row_oversize message for it is larger"
                 : "it is not a row message, so no row_oversize message can stand in for it";
    fix = "make the row smaller";
  }
  halt_reason_ = Status::protocol(fmt::format(
      "{} is {} bytes, more than the {} bytes {} takes (its max_message_size), and {}: stopped "
      "before it, and the saved position stays before it. Raise max_message_size in the broker's "
      "configuration (RabbitMQ: rabbitmq.conf, at most 536870912) and [amqp] max_message_size if "
      "set, or {}",
      what, size, limit, publisher_.describe(), why, fix));
  window_.haltAt(entry.sequence);
  spdlog::warn("{} is too large for the broker ({} > {} bytes): stopping once the messages before "
               "it are confirmed ({} unconfirmed)",
               what, size, limit, window_.unconfirmed() - 1);
  return false;
}

void PublisherStage::pollBroker(std::chrono::milliseconds timeout) {
  events_.clear();
  Status status = publisher_.poll(timeout, events_);
  for (const sink::BrokerEvent& event : events_) {
    if (!handle(event)) {
      return;
    }
  }
  if (!status.isOk()) {
    markDisconnected(status);
  }
}

bool PublisherStage::handle(const sink::BrokerEvent& event) {
  switch (event.kind) {
    case sink::BrokerEvent::Kind::Ack:
      if (const size_t confirmed = window_.acknowledge(event.delivery_tag, event.multiple);
          confirmed > 0) {
        metrics::add(stats_.messages_confirmed, confirmed);
        backoff_.reset();  // the broker takes messages again
      }
      return true;
    case sink::BrokerEvent::Kind::Nack:
      metrics::add(stats_.messages_nacked);
      // The broker refused responsibility: never drop it, send everything unconfirmed again.
      markDisconnected(
          Status::protocol(fmt::format("broker nacked delivery tag {}", event.delivery_tag)));
      return false;
    case sink::BrokerEvent::Kind::Returned:
      metrics::add(stats_.messages_returned);
      // No queue took it (`mandatory`): retry until one is bound rather than lose it.
      markDisconnected(Status::protocol(event.detail));
      return false;
    case sink::BrokerEvent::Kind::Blocked:
      blocked_ = true;
      metrics::set(stats_.broker_blocked, true);
      spdlog::warn("{}; publishing paused with {} messages unconfirmed", event.detail,
                   window_.unconfirmed());
      return true;
    case sink::BrokerEvent::Kind::Unblocked:
      blocked_ = false;
      metrics::set(stats_.broker_blocked, false);
      spdlog::info("{}; publishing resumes", event.detail);
      return true;
  }
  return true;
}

Status PublisherStage::maybeSave() {
  const auto now = clock_.monotonicNow();
  if (now < next_offer_) {
    return Status::ok();
  }
  next_offer_ = now + options_.checkpoint_interval;
  MM_RETURN_IF_ERROR(writer_.status());
  checkpoint::Checkpoint mark = checkpoint();
  if (mark == offered_ || mark.empty()) {
    return Status::ok();
  }
  offered_ = mark;
  writer_.offer(std::move(mark), window_.firstUnconfirmed());
  return Status::ok();
}

void PublisherStage::maybeHeartbeat() {
  if (options_.heartbeat_interval.count() == 0 || !connected_ || blocked_ || window_.halted()) {
    return;
  }
  // When the last message went out, to within one turn of the loop (a clock read per message cost
  // more than the heartbeat needs).
  const auto monotonic_now = clock_.monotonicNow();
  if (publishes_ != publishes_seen_) {
    publishes_seen_ = publishes_;
    last_message_ = monotonic_now;
  }
  if (monotonic_now - last_message_ < options_.heartbeat_interval) {
    return;
  }
  const int64_t now = unixSeconds(clock_.now());
  // No checkpoint: a heartbeat moves nothing forward.
  PublishItem heartbeat;
  if (options_.message_format == message::MessageFormat::Origin) {
    const std::chrono::duration<double> since_epoch = clock_.now().time_since_epoch();
    heartbeat.setMessage(message::originHeartbeatId(since_epoch.count()),
                         message::originHeartbeatMessage(now));
  } else {
    heartbeat.setMessage(fmt::format("heartbeat:{}", now),
                         fmt::format(R"({{"type":"heartbeat","timestamp":{}}})", now));
  }
  heartbeat.timestamp = now;
  heartbeat.route = heartbeat_route_;
  append(std::move(heartbeat));
}

void PublisherStage::takeInput() {
  // Take every batch already queued, up to the window, before waiting for the broker. Waiting
  // for a confirm after each batch made the window one batch wide: with one-row transactions,
  // one message per broker round trip (docs/performance.md).
  auto wait = window_.unconfirmed() > 0 ? std::chrono::milliseconds{0} : kIdlePoll;
  // A batch is taken item by item, so the window holds even when batches are larger.
  while (connected_ && window_.unconfirmed() < options_.confirm_window && !window_.halted()) {
    if (pending_next_ == pending_.size()) {
      auto batch = in_.popFor(wait);
      if (!batch) {
        if (in_.drained()) {
          drain_deadline_ = clock_.monotonicNow() + options_.drain_timeout;
        }
        return;
      }
      pending_ = std::move(*batch);
      pending_next_ = 0;
      wait = std::chrono::milliseconds{0};
      continue;
    }
    append(std::move(pending_[pending_next_++]));
  }
}

bool PublisherStage::drainEnded() const {
  if (window_.settled()) {
    return true;
  }
  if (clock_.monotonicNow() > *drain_deadline_) {
    spdlog::warn("stopping with {} messages unconfirmed after {} ms; they will be sent again "
                 "on restart",
                 window_.unconfirmed(), options_.drain_timeout.count());
    return true;
  }
  return false;
}

Result<bool> PublisherStage::turn() {
  if (window_.halted() && !drain_deadline_) {
    drain_deadline_ = clock_.monotonicNow() + options_.drain_timeout;
  }
  bool accepting = window_.unconfirmed() < options_.confirm_window && !drain_deadline_ &&
                   !blocked_ && !savesBehind();
  if (accepting) {
    takeInput();
    accepting = window_.unconfirmed() < options_.confirm_window && !drain_deadline_;
  }
  if (connected_) {
    // Not accepting input (window full, draining or blocked): nothing to do but wait for the
    // broker, so wait in the library, where heartbeats are served. Otherwise the input is empty:
    // wait briefly for confirms, then look at the input again.
    std::chrono::milliseconds timeout{0};
    if (!accepting) {
      timeout = kIdlePoll;
    } else if (window_.unconfirmed() > 0) {
      timeout = kConfirmPoll;
    }
    pollBroker(timeout);
  }
  window_.advance();
  metrics::set<uint64_t>(stats_.messages_unconfirmed, window_.unconfirmed());
  MM_RETURN_IF_ERROR(maybeSave());
  if (drain_deadline_) {
    return drainEnded();
  }
  maybeHeartbeat();
  return false;
}

bool PublisherStage::savesBehind() const {
  // A leader only (a lease): alone, the checkpoint lagging costs nothing but republishing.
  if (options_.lease_valid_until == nullptr) {
    return false;
  }
  // Saves normally land every checkpoint_interval: four of them missed is a state server that
  // stopped answering (or a very slow one, which this paces).
  const auto allowance = std::max<std::chrono::steady_clock::duration>(
      std::chrono::milliseconds(100), 4 * options_.checkpoint_interval);
  return writer_.behind(allowance, window_.nextSequence(), options_.confirm_window);
}

bool PublisherStage::leaseExpired() const {
  const std::atomic<int64_t>* lease = options_.lease_valid_until;
  return lease != nullptr &&
         clock_.monotonicNow().time_since_epoch().count() >= lease->load(std::memory_order_acquire);
}

Status PublisherStage::run(std::stop_token stop, std::stop_token draining) {
  std::stop_source wake;
  std::stop_callback wake_on_stop(stop, [&wake] { wake.request_stop(); });
  std::stop_callback wake_on_drain(draining, [&wake] { wake.request_stop(); });
  draining_ = draining;
  wake_ = wake.get_token();
  last_message_ = clock_.monotonicNow();
  reportSavedCheckpoint(stats_, offered_, clock_);  // where we start from
  Status ended;
  while (!stop.stop_requested()) {
    ended = ensureConnected(stop);
    if (ended.code() == StatusCode::Cancelled) {
      break;  // still save what was confirmed
    }
    MM_RETURN_IF_ERROR(ended);
    if (!connected_) {
      continue;
    }
    if (leaseExpired()) [[unlikely]] {
      clock_.waitFor(kLeasePoll, wake_);
      continue;
    }
    auto done = turn();
    MM_RETURN_IF_ERROR(done.status());
    if (*done) {
      break;
    }
  }
  window_.advance();
  Status saved = writer_.finish(checkpoint());
  if (window_.halted()) {
    return halt_reason_;
  }
  MM_RETURN_IF_ERROR(saved);
  return ended;
}

}  // namespace mm::pipeline
