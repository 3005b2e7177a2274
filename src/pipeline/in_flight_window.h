// InFlightWindow: what the publisher stage handed the broker and the broker has not confirmed yet,
// and what follows from it. The pure core of the publisher (pipeline/publisher_stage.h is the loop
// that does the I/O): no threads, sockets or clock, so every broker answer can be tested by
// calling a method.
//
// Items enter in stream order (add) and each gets a sequence number. A message is published on the
// current connection under a delivery tag (published); the broker confirms tags one by one or
// every tag up to one (acknowledge). The window's invariants:
//   - Low-water mark: lowWaterMark() is the mark (PublishItem::after()) of the longest prefix of
//     items that are all confirmed or are no message (pure checkpoint marks). It never passes an
//     unconfirmed message, whatever order the confirms came in, so it is the checkpoint that may
//     be saved (Maxwell's InflightMessageList, fed by publisher confirms).
//   - Republish order: after a nack, a return, a closed channel or a lost connection
//     (disconnected), every delivery tag is void; republishOrder() is every unconfirmed message,
//     in the order it was first added. Confirmed messages are never sent again.
//   - Halt point: once haltAt(sequence), nothing from that item on is published or republished;
//     the mark stays before it.
// Not thread-safe (the publisher's thread only).
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "checkpoint/checkpoint.h"
#include "pipeline/items.h"
#include "pipeline/ring_buffer.h"

namespace mm::pipeline {

class InFlightWindow {
 public:
  struct Entry {
    PublishItem item;
    uint64_t sequence = 0;      // position in the stream, to find the entry from a delivery tag
    uint64_t delivery_tag = 0;  // 0 = not published on the current connection
    bool confirmed = false;
  };

  // `initial` is the checkpoint the pipeline started from: the mark until an item moves it.
  explicit InFlightWindow(const checkpoint::Checkpoint& initial);

  // Adds `item` after every other one and returns it (valid until the next add or advance).
  Entry& add(PublishItem item);
  // `entry` went out on the current connection under `delivery_tag`. Requires: tags given in
  // increasing order since the last disconnected().
  void published(Entry& entry, uint64_t delivery_tag);
  // The broker confirmed `delivery_tag` (and every earlier tag when `multiple`). Returns how many
  // messages this confirmed for the first time; unknown and repeated tags confirm nothing.
  size_t acknowledge(uint64_t delivery_tag, bool multiple);
  // The connection is gone: every delivery tag is void, nothing confirmed is forgotten.
  void disconnected();
  // The sequences of the messages to publish again on a new connection: every unconfirmed message
  // before the halt point, in the original order.
  std::vector<uint64_t> republishOrder() const;
  // The entry of `sequence`. Requires: it is in the window (not yet dropped by advance).
  Entry& at(uint64_t sequence) { return items_[sequence - items_.front().sequence]; }

  // Drops the confirmed prefix (and the marks in it) and moves the low-water mark past it.
  void advance();
  // The mark, with the snapshot progress of the last item in the confirmed prefix that carried
  // one (the stream's own checkpoints carry none, so the progress holds until the next).
  checkpoint::Checkpoint lowWaterMark() const;

  // Nothing from `sequence` on goes out again (a message the broker will never take).
  void haltAt(uint64_t sequence);
  bool halted() const { return halted_; }
  // Whether `entry` may be published: it is before the halt point.
  bool publishable(const Entry& entry) const {
    return !halted_ || entry.sequence < halted_sequence_;
  }
  // Everything before the halt point is confirmed and dropped (true when not halted and empty).
  bool settled() const {
    return items_.empty() || (halted_ && items_.front().sequence == halted_sequence_);
  }

  bool empty() const { return items_.empty(); }
  size_t unconfirmed() const { return unconfirmed_; }
  // Sequences below this one are confirmed and dropped (after advance()): where lowWaterMark() is.
  uint64_t firstUnconfirmed() const {
    return items_.empty() ? next_sequence_ : items_.front().sequence;
  }
  // The sequence the next item added gets: every one before it was sent (or is a mark).
  uint64_t nextSequence() const { return next_sequence_; }

 private:
  // A message published on the current connection and not yet confirmed. Delivery tags grow in
  // publishing order, so this list is sorted by tag and acks mostly remove from its front.
  struct Awaiting {
    uint64_t delivery_tag;
    uint64_t sequence;
  };

  // Marks `sequence` confirmed; true if it was not already.
  bool confirm(uint64_t sequence);
  bool isConfirmed(uint64_t sequence) const;

  RingBuffer<Entry> items_;
  std::deque<Awaiting> awaiting_;
  uint64_t next_sequence_ = 0;
  size_t unconfirmed_ = 0;
  bool halted_ = false;
  uint64_t halted_sequence_ = 0;
  // The longest confirmed prefix's mark, as the items carry it (PublishItem::after()).
  SharedCheckpoint mark_;
  uint64_t mark_rows_done_ = 0;
  std::shared_ptr<const checkpoint::SnapshotProgress> snapshot_;
};

}  // namespace mm::pipeline
