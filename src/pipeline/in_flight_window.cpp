#include "pipeline/in_flight_window.h"

#include <algorithm>

namespace mm::pipeline {

InFlightWindow::InFlightWindow(const checkpoint::Checkpoint& initial)
    : mark_(std::make_shared<const checkpoint::Checkpoint>(initial)),
      mark_rows_done_(initial.rows_done), snapshot_(initial.snapshot) {}

checkpoint::Checkpoint InFlightWindow::lowWaterMark() const {
  checkpoint::Checkpoint mark = withRowsDone(*mark_, mark_rows_done_);
  mark.snapshot = snapshot_;
  return mark;
}

InFlightWindow::Entry& InFlightWindow::add(PublishItem item) {
  items_.push_back(Entry{std::move(item), next_sequence_++});
  if (items_.back().item.isMessage()) {
    ++unconfirmed_;
  }
  return items_.back();
}

void InFlightWindow::published(Entry& entry, uint64_t delivery_tag) {
  entry.delivery_tag = delivery_tag;
  awaiting_.push_back(Awaiting{delivery_tag, entry.sequence});
}

size_t InFlightWindow::acknowledge(uint64_t delivery_tag, bool multiple) {
  size_t confirmed = 0;
  if (multiple) {
    while (!awaiting_.empty() && awaiting_.front().delivery_tag <= delivery_tag) {
      confirmed += confirm(awaiting_.front().sequence) ? 1 : 0;
      awaiting_.pop_front();
    }
    return confirmed;
  }
  auto it = std::lower_bound(awaiting_.begin(), awaiting_.end(), delivery_tag,
                             [](const Awaiting& a, uint64_t tag) { return a.delivery_tag < tag; });
  if (it != awaiting_.end() && it->delivery_tag == delivery_tag) {
    confirmed = confirm(it->sequence) ? 1 : 0;
  }
  // A single ack confirms without removing (only the front is cheap to remove); what is confirmed
  // goes once it reaches the front.
  while (!awaiting_.empty() && isConfirmed(awaiting_.front().sequence)) {
    awaiting_.pop_front();
  }
  return confirmed;
}

bool InFlightWindow::confirm(uint64_t sequence) {
  if (isConfirmed(sequence)) {
    return false;
  }
  at(sequence).confirmed = true;
  --unconfirmed_;
  return true;
}

bool InFlightWindow::isConfirmed(uint64_t sequence) const {
  // Entries before the head were confirmed and dropped already.
  if (items_.empty() || sequence < items_.front().sequence) {
    return true;
  }
  return items_[sequence - items_.front().sequence].confirmed;
}

void InFlightWindow::disconnected() {
  awaiting_.clear();
  for (size_t i = 0; i < items_.size(); ++i) {
    items_[i].delivery_tag = 0;
  }
}

std::vector<uint64_t> InFlightWindow::republishOrder() const {
  std::vector<uint64_t> order;
  order.reserve(unconfirmed_);
  for (size_t i = 0; i < items_.size(); ++i) {
    const Entry& entry = items_[i];
    if (!publishable(entry)) {
      break;
    }
    if (entry.item.isMessage() && !entry.confirmed) {
      order.push_back(entry.sequence);
    }
  }
  return order;
}

void InFlightWindow::advance() {
  while (!items_.empty() && (items_.front().confirmed || !items_.front().item.isMessage())) {
    PublishItem& item = items_.front().item;
    if (item.checkpoint != nullptr) {
      if (item.checkpoint->snapshot != nullptr) {
        snapshot_ = item.checkpoint->snapshot;
      }
      mark_ = std::move(item.checkpoint);
      mark_rows_done_ = item.rows_done;
    }
    items_.pop_front();
  }
}

void InFlightWindow::haltAt(uint64_t sequence) {
  halted_ = true;
  halted_sequence_ = sequence;
}

}  // namespace mm::pipeline
