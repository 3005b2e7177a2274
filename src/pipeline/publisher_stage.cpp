#include "pipeline/publisher_stage.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "message/row_oversize.h"

namespace mm::pipeline {
namespace {

constexpr std::chrono::milliseconds kIdlePoll{50};
constexpr std::chrono::milliseconds kConfirmPoll{5};

}  // namespace

void PublisherStage::markDisconnected(const Status& why) {
  // Even a link that simply dropped waits a little: a broker that takes the connection and then
  // refuses what is published on it would otherwise be hit as fast as it answers.
  const auto retry_delay = backoff_.next();
  if (connected_) {
    spdlog::warn("{}; will reconnect{} and publish the {} unconfirmed messages again", why.toString(),
                 retry_delay.count() > 0 ? fmt::format(" in {} ms", retry_delay.count()) : "", unconfirmed_);
  }
  connected_ = false;
  blocked_ = false;
  metrics::set(metrics_.broker_connected, false);
  metrics::set(metrics_.broker_blocked, false);
  reconnect_not_before_ = clock_.monotonicNow() + retry_delay;
  awaiting_.clear();
  for (size_t i = 0; i < in_flight_.size(); ++i) {
    in_flight_[i].delivery_tag = 0;
  }
}

Status PublisherStage::ensureConnected(std::stop_token stop) {
  while (!connected_ && !stop.stop_requested()) {
    // A stop with nothing unconfirmed need not wait for a broker that is down or silent.
    const bool idle = in_flight_.empty();
    if (draining_.stop_requested() && idle) {
      return Status::cancelled("stopped while the broker was unreachable, with nothing unconfirmed");
    }
    const auto wait = reconnect_not_before_ - clock_.monotonicNow();
    if (wait.count() > 0) {
      sleepUnlessStopped(std::chrono::ceil<std::chrono::milliseconds>(wait), wake_);
      continue;
    }
    if (connect_attempted_) {
      metrics::add(metrics_.broker_reconnects);
    }
    connect_attempted_ = true;
    Status status;
    {
      // The connect (TCP, handshake, declarations) may wait up to the connect timeout.
      std::stop_callback interrupt_on_stop(stop, [this] { publisher_.interrupt(); });
      std::stop_callback interrupt_on_drain(draining_, [this, idle] {
        if (idle) {
          publisher_.interrupt();
        }
      });
      status = publisher_.connect();
    }
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
    metrics::set(metrics_.broker_connected, true);
    // Everything unconfirmed goes out again, in the original order.
    for (size_t i = 0; i < in_flight_.size(); ++i) {
      InFlight& entry = in_flight_[i];
      if (halted() && entry.sequence >= halted_sequence_) {
        break;
      }
      if (isMessage(entry) && !entry.confirmed) {
        ++stats_.republished;
        metrics::add(metrics_.messages_republished);
        publish(entry);
        if (!connected_) {
          break;
        }
      }
    }
    if (connected_) {
      spdlog::info("publishing to the {}", publisher_.describe());
    }
  }
  return stop.stop_requested() ? Status::cancelled("stopped") : Status::ok();
}

void PublisherStage::append(PublishItem item) {
  in_flight_.push_back(InFlight{std::move(item), next_sequence_++});
  if (isMessage(in_flight_.back())) {
    ++unconfirmed_;
    ++stats_.published;
    metrics::add(metrics_.messages_published);
    publish(in_flight_.back());
  }
}

void PublisherStage::publish(InFlight& entry) {
  if (halted() && entry.sequence >= halted_sequence_) {
    return;
  }
  const uint64_t limit = publisher_.maxMessageSize();
  if (limit != 0 && entry.item.body().size() > limit && !handleOversize(entry, limit)) [[unlikely]] {
    return;
  }
  const PublishItem& item = entry.item;
  auto tag = publisher_.publish(sink::OutgoingMessage{item.body(), item.messageId(), item.route->routing_key,
                                                      item.timestamp, item.route->headers});
  if (!tag.isOk()) {
    markDisconnected(tag.status());
    return;
  }
  entry.delivery_tag = *tag;
  awaiting_.push_back(Awaiting{entry.delivery_tag, entry.sequence});
  ++publishes_;
}

void PublisherStage::confirm(uint64_t sequence) {
  if (!isConfirmed(sequence)) {
    InFlight& entry = in_flight_[sequence - in_flight_.front().sequence];
    entry.confirmed = true;
    --unconfirmed_;
    ++stats_.confirmed;
    metrics::add(metrics_.messages_confirmed);
    backoff_.reset();  // the broker takes messages again
  }
}

bool PublisherStage::handleOversize(InFlight& entry, uint64_t limit) {
  const size_t size = entry.item.body().size();
  auto row = message::readRowIdentity(entry.item.body());
  const std::string what = row.isOk() ? fmt::format("the row message of {}", message::describeRow(*row))
                                      : fmt::format("message {}", entry.item.messageId());
  if (options_.on_oversize == OversizePolicy::Stub && row.isOk()) {
    std::string stub = message::rowOversizeMessage(*row, size, limit);
    if (stub.size() <= limit) {
      spdlog::warn("{} is {} bytes, more than the {} bytes {} takes: publishing a row_oversize message "
                   "in its place ([amqp] on_oversize = stub)",
                   what, size, limit, publisher_.describe());
      metrics::add(metrics_.messages_oversize);
      entry.item.setBody(stub);
      return true;
    }
  }
  std::string why = "[amqp] on_oversize = fail";
  std::string fix = "set [amqp] on_oversize = stub to publish a row_oversize message in its place";
  if (options_.on_oversize == OversizePolicy::Stub) {
    why = row.isOk() ? "even the row_oversize message for it is larger"
                     : "it is not a row message, so no row_oversize message can stand in for it";
    fix = "make the row smaller";
  }
  halt_reason_ = Status::protocol(fmt::format(
      "{} is {} bytes, more than the {} bytes {} takes (its max_message_size), and {}: stopped "
      "before it, and the saved position stays before it. Raise max_message_size in the broker's "
      "configuration (RabbitMQ: rabbitmq.conf, at most 536870912) and [amqp] max_message_size if "
      "set, or {}",
      what, size, limit, publisher_.describe(), why, fix));
  halted_sequence_ = entry.sequence;
  spdlog::warn("{} is too large for the broker ({} > {} bytes): stopping once the messages before it "
               "are confirmed ({} unconfirmed)",
               what, size, limit, unconfirmed_ - 1);
  return false;
}

void PublisherStage::acknowledge(const sink::BrokerEvent& ack) {
  if (ack.multiple) {
    while (!awaiting_.empty() && awaiting_.front().delivery_tag <= ack.delivery_tag) {
      confirm(awaiting_.front().sequence);
      awaiting_.pop_front();
    }
    return;
  }
  auto it = std::lower_bound(awaiting_.begin(), awaiting_.end(), ack.delivery_tag,
                             [](const Awaiting& a, uint64_t tag) { return a.delivery_tag < tag; });
  if (it == awaiting_.end() || it->delivery_tag != ack.delivery_tag) {
    return;
  }
  confirm(it->sequence);
}

bool PublisherStage::isConfirmed(uint64_t sequence) const {
  // Entries before the head were confirmed and dropped already.
  if (in_flight_.empty() || sequence < in_flight_.front().sequence) {
    return true;
  }
  return in_flight_[sequence - in_flight_.front().sequence].confirmed;
}

void PublisherStage::pollBroker(std::chrono::milliseconds timeout) {
  events_.clear();
  Status status = publisher_.poll(timeout, events_);
  for (const sink::BrokerEvent& event : events_) {
    switch (event.kind) {
      case sink::BrokerEvent::Kind::Ack:
        acknowledge(event);
        break;
      case sink::BrokerEvent::Kind::Nack:
        metrics::add(metrics_.messages_nacked);
        // The broker refused responsibility: never drop it, send everything unconfirmed again.
        markDisconnected(Status::protocol(fmt::format("broker nacked delivery tag {}", event.delivery_tag)));
        return;
      case sink::BrokerEvent::Kind::Returned:
        metrics::add(metrics_.messages_returned);
        // No queue took it (`mandatory`): retry until one is bound rather than lose it.
        markDisconnected(Status::protocol(event.detail));
        return;
      case sink::BrokerEvent::Kind::Blocked:
        blocked_ = true;
        metrics::set(metrics_.broker_blocked, true);
        spdlog::warn("{}; publishing paused with {} messages unconfirmed", event.detail, unconfirmed_);
        break;
      case sink::BrokerEvent::Kind::Unblocked:
        blocked_ = false;
        metrics::set(metrics_.broker_blocked, false);
        spdlog::info("{}; publishing resumes", event.detail);
        break;
    }
  }
  // Single acks confirm without removing (only the front is cheap to remove); drop what is
  // confirmed once it reaches the front.
  while (!awaiting_.empty() && isConfirmed(awaiting_.front().sequence)) {
    awaiting_.pop_front();
  }
  if (!status.isOk()) {
    markDisconnected(status);
  }
}

void PublisherStage::advanceCheckpoint() {
  while (!in_flight_.empty() && (in_flight_.front().confirmed || !isMessage(in_flight_.front()))) {
    PublishItem& item = in_flight_.front().item;
    if (item.checkpoint != nullptr) {
      checkpoint_ = std::move(item.checkpoint);
      checkpoint_rows_done_ = item.rows_done;
    }
    in_flight_.pop_front();
  }
}

checkpoint::Checkpoint PublisherStage::checkpoint() const {
  return withRowsDone(*checkpoint_, checkpoint_rows_done_);
}

Status PublisherStage::maybeSave(bool force) {
  if (force) {
    return writer_.finish(checkpoint());
  }
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
  writer_.offer(std::move(mark));
  return Status::ok();
}

void PublisherStage::maybeHeartbeat() {
  if (options_.heartbeat_interval.count() == 0 || !connected_ || blocked_ || halted()) {
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
  heartbeat.setMessage(fmt::format("heartbeat:{}", now), fmt::format(R"({{"type":"heartbeat","timestamp":{}}})", now));
  heartbeat.timestamp = now;
  heartbeat.route = heartbeat_route_;
  append(std::move(heartbeat));
}

void PublisherStage::reportCheckpoint(const checkpoint::Checkpoint& saved) {
  metrics_.setCheckpoint(metrics::SavedCheckpoint{metrics::BinlogCoordinate{saved.file, saved.position},
                                                  saved.rows_done, unixSeconds(clock_.now())});
}

Status PublisherStage::run(std::stop_token stop, std::stop_token draining) {
  std::stop_source wake;
  std::stop_callback wake_on_stop(stop, [&wake] { wake.request_stop(); });
  std::stop_callback wake_on_drain(draining, [&wake] { wake.request_stop(); });
  draining_ = draining;
  wake_ = wake.get_token();
  last_message_ = clock_.monotonicNow();
  reportCheckpoint(offered_);  // where we start from
  std::optional<std::chrono::steady_clock::time_point> drain_deadline;
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
    if (halted() && !drain_deadline) {
      drain_deadline = clock_.monotonicNow() + options_.drain_timeout;
    }
    bool accepting = unconfirmed_ < options_.confirm_window && !drain_deadline && !blocked_;
    if (accepting) {
      // Take every batch already queued, up to the window, before waiting for the broker. Waiting
      // for a confirm after each batch made the window one batch wide: with one-row transactions,
      // one message per broker round trip (docs/performance.md).
      auto wait = unconfirmed_ > 0 ? std::chrono::milliseconds{0} : kIdlePoll;
      // A batch is taken item by item, so the window holds even when batches are larger.
      while (connected_ && unconfirmed_ < options_.confirm_window && !halted()) {
        if (pending_next_ == pending_.size()) {
          auto batch = in_.popFor(wait);
          if (!batch) {
            if (in_.drained()) {
              drain_deadline = clock_.monotonicNow() + options_.drain_timeout;
            }
            break;
          }
          pending_ = std::move(*batch);
          pending_next_ = 0;
          wait = std::chrono::milliseconds{0};
          continue;
        }
        append(std::move(pending_[pending_next_++]));
      }
      accepting = unconfirmed_ < options_.confirm_window && !drain_deadline;
    }
    if (connected_) {
      // Not accepting input (window full, draining or blocked): nothing to do but wait for the
      // broker, so wait in the library, where heartbeats are served. Otherwise the input is empty:
      // wait briefly for confirms, then look at the input again.
      std::chrono::milliseconds timeout{0};
      if (!accepting) {
        timeout = kIdlePoll;
      } else if (unconfirmed_ > 0) {
        timeout = kConfirmPoll;
      }
      pollBroker(timeout);
    }
    advanceCheckpoint();
    metrics::set<uint64_t>(metrics_.messages_unconfirmed, unconfirmed_);
    MM_RETURN_IF_ERROR(maybeSave(false));
    if (drain_deadline) {
      if (in_flight_.empty() || (halted() && in_flight_.front().sequence == halted_sequence_)) {
        break;
      }
      if (clock_.monotonicNow() > *drain_deadline) {
        spdlog::warn("stopping with {} messages unconfirmed after {} ms; they will be sent again "
                     "on restart",
                     unconfirmed_, options_.drain_timeout.count());
        break;
      }
    } else {
      maybeHeartbeat();
    }
  }
  advanceCheckpoint();
  Status saved = maybeSave(true);
  if (halted()) {
    return halt_reason_;
  }
  MM_RETURN_IF_ERROR(saved);
  return ended;
}

}  // namespace mm::pipeline
