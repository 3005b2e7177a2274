#include "pipeline/publisher_stage.h"

#include <condition_variable>
#include <mutex>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace mm::pipeline {
namespace {

constexpr std::chrono::milliseconds kIdlePoll{50};

void interruptibleSleep(std::chrono::milliseconds duration, std::stop_token stop) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  cv.wait_for(lock, stop, duration, [] { return false; });
}

}  // namespace

void PublisherStage::markDisconnected(const Status& why) {
  if (connected_) {
    spdlog::warn("{}; will reconnect and publish the {} unconfirmed messages again", why.toString(),
                 unconfirmed_);
  }
  connected_ = false;
  for (auto& entry : in_flight_) {
    entry.delivery_tag = 0;
  }
}

Status PublisherStage::ensureConnected(std::stop_token stop) {
  while (!connected_ && !stop.stop_requested()) {
    Status status = publisher_.connect();
    if (status.isOk()) {
      connected_ = true;
      backoff_ = std::chrono::milliseconds{500};
      // Everything unconfirmed goes out again, in the original order.
      for (auto& entry : in_flight_) {
        if (isMessage(entry) && !entry.confirmed) {
          ++stats_.republished;
          MM_RETURN_IF_ERROR(publish(entry));
          if (!connected_) {
            break;
          }
        }
      }
      if (connected_) {
        spdlog::info("publishing to the broker");
      }
      continue;
    }
    spdlog::error("{}; retrying in {} ms", status.toString(), backoff_.count());
    interruptibleSleep(backoff_, stop);
    backoff_ = std::min(backoff_ * 2, options_.max_reconnect_backoff);
  }
  return stop.stop_requested() ? Status::cancelled("stopped") : Status::ok();
}

Status PublisherStage::publish(InFlight& entry) {
  auto tag = publisher_.publish(sink::OutgoingMessage{entry.item.body, entry.item.message_id,
                                                      options_.routing_key, entry.item.timestamp});
  if (!tag.isOk()) {
    markDisconnected(tag.status());
    return Status::ok();
  }
  entry.delivery_tag = *tag;
  last_message_ = clock_.monotonicNow();
  return Status::ok();
}

Status PublisherStage::pollConfirms(std::chrono::milliseconds timeout) {
  confirms_.clear();
  Status status = publisher_.pollConfirms(timeout, confirms_);
  for (const sink::Confirm& confirm : confirms_) {
    for (auto& entry : in_flight_) {
      if (entry.delivery_tag == 0 || entry.confirmed) {
        continue;
      }
      const bool covered = confirm.multiple ? entry.delivery_tag <= confirm.delivery_tag
                                            : entry.delivery_tag == confirm.delivery_tag;
      if (!covered) {
        continue;
      }
      if (!confirm.ack) {
        // The broker refused responsibility: never drop it, send everything unconfirmed again.
        markDisconnected(Status::protocol(fmt::format("broker nacked message {}", entry.item.message_id)));
        return Status::ok();
      }
      entry.confirmed = true;
      --unconfirmed_;
      ++stats_.confirmed;
    }
  }
  if (!status.isOk()) {
    markDisconnected(status);
  }
  advanceCheckpoint();
  return Status::ok();
}

void PublisherStage::advanceCheckpoint() {
  while (!in_flight_.empty() && (in_flight_.front().confirmed || !isMessage(in_flight_.front()))) {
    if (!in_flight_.front().item.after.empty()) {
      checkpoint_ = in_flight_.front().item.after;
    }
    in_flight_.pop_front();
  }
}

Status PublisherStage::maybeSave(bool force) {
  const auto now = clock_.monotonicNow();
  if (checkpoint_ == saved_ || checkpoint_.empty() || (!force && now - last_save_ < options_.checkpoint_interval)) {
    return Status::ok();
  }
  Status status = state_.save(checkpoint_);
  if (!status.isOk()) {
    return status.withContext("cannot save the checkpoint");
  }
  saved_ = checkpoint_;
  last_save_ = now;
  return Status::ok();
}

void PublisherStage::maybeHeartbeat() {
  if (options_.heartbeat_interval.count() == 0 || !connected_) {
    return;
  }
  if (clock_.monotonicNow() - last_message_ < options_.heartbeat_interval) {
    return;
  }
  const int64_t now = unixSeconds(clock_.now());
  InFlight entry{PublishItem{fmt::format(R"({{"type":"heartbeat","timestamp":{}}})", now),
                             fmt::format("heartbeat:{}", now), now, {}}};
  in_flight_.push_back(std::move(entry));
  ++unconfirmed_;
  ++stats_.published;
  (void)publish(in_flight_.back());
}

Status PublisherStage::run(std::stop_token stop) {
  last_message_ = clock_.monotonicNow();
  std::optional<std::chrono::steady_clock::time_point> drain_deadline;
  while (!stop.stop_requested()) {
    MM_RETURN_IF_ERROR(ensureConnected(stop));
    if (!connected_) {
      continue;
    }
    const bool window_full = unconfirmed_ >= options_.confirm_window;
    if (!window_full && !drain_deadline) {
      if (auto batch = in_.popFor(unconfirmed_ > 0 ? std::chrono::milliseconds{0} : kIdlePoll)) {
        for (auto& item : *batch) {
          const bool message = !item.body.empty();
          in_flight_.push_back(InFlight{std::move(item)});
          if (message) {
            ++unconfirmed_;
            ++stats_.published;
            MM_RETURN_IF_ERROR(publish(in_flight_.back()));
          }
        }
      } else if (in_.drained()) {
        drain_deadline = clock_.monotonicNow() + options_.drain_timeout;
      }
    }
    if (connected_) {
      const bool waiting = window_full || drain_deadline || unconfirmed_ > 0;
      MM_RETURN_IF_ERROR(pollConfirms(waiting ? std::chrono::milliseconds{5} : std::chrono::milliseconds{0}));
    }
    advanceCheckpoint();
    MM_RETURN_IF_ERROR(maybeSave(false));
    if (drain_deadline) {
      if (in_flight_.empty()) {
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
  return maybeSave(true);
}

}  // namespace mm::pipeline
