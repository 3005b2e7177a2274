// DelayBuffer: holds messages `delay` long and folds repeated changes of one row into one net
// change
// ([monitor] delay; docs/design.md §5).
//
// Why: consumers often read the row back from a replica when a message arrives; holding messages a
// few seconds gives that replica time to apply the change. Folding is the second benefit.
//
// Rules, for changes to the same (database, table, keys) while the first is still held:
//   insert + update(s)  -> insert with the final values
//   update + update     -> one update: earliest before and latest after of every changed column;
//                          columns back where they started are dropped, and an update that nets to
//                          nothing disappears
//   insert + delete     -> nothing          update(s) + delete -> the delete
//   delete + insert     -> both, in order   anything else      -> kept, in order
// A change after changes that cancelled out stands alone (in the slot of the first). A snapshot
// row of the row in between (addInLine) also ends folding: the next change stands alone after it.
// Rows without keys, and updates that change the key (the row's identity), are never folded; a key
// change also ends folding into the slots of the old and the new key, so no change can overtake it.
//
// Release: strictly in arrival order of each slot's first change, once the head entry's latest
// change is `delay` old or its first change 2 x delay old (bounded staleness for rows that never
// stop changing), or when more than max_entries are held. Checkpoint marks travel in the same
// order, and a folded message keeps its first change's checkpoint (the mark never passes a held
// change) and takes its last change's message_id. The law (tested): a consumer applying the
// released stream in order ends with the same rows as one applying the raw stream.
//
// Works on typed changes (message::RowChange): nothing here reads or writes JSON; the transformer
// renders each released change's message. Pure: time is passed in. Not thread-safe: owned by the
// transformer stage.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/clock.h"
#include "common/function_ref.h"
#include "message/row_change.h"
#include "metrics/stats.h"
#include "pipeline/items.h"

namespace mm::pipeline {

class DelayBuffer {
 public:
  using TimePoint = Clock::MonotonicTime;

  // `stats` counts the changes folded away; it must outlive the buffer.
  DelayBuffer(std::chrono::milliseconds delay, size_t max_entries, metrics::Stats& stats)
      : delay_(delay), max_entries_(max_entries), metrics_(stats) {}

  // A checkpoint mark or a control message (a gap): kept in line, never delayed or folded.
  void add(PublishItem item, TimePoint now);
  // A finished message about `row` that no later change of that row may overtake (a snapshot row,
  // the row as of its chunk's point; docs/design.md §13): kept in line, never delayed, and it ends
  // folding into the row's slot, so a change after it is released after it.
  void addInLine(PublishItem item, const message::RowChange& row, TimePoint now);
  // A row change; `item` will carry its message (it holds the checkpoint, the route and the
  // message id, set with PublishItem::setMessage(id, "")).
  void add(message::RowChange change, PublishItem item, TimePoint now);

  // Receives each released entry, in order: `item`, and for a row the change whose message the
  // item must carry before it is published (null for marks and control messages).
  using Release = FunctionRef<void(PublishItem& item, const message::RowChange* change)>;
  // Releases the entries due at `now`.
  void releaseDue(TimePoint now, Release release);
  // Releases everything held (at stop).
  void releaseAll(Release release);

  // When the head entry becomes due; nullopt when empty.
  std::optional<TimePoint> nextRelease() const;
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  // Changes folded into an earlier message of the same row (or cancelled out with it).
  uint64_t coalesced() const { return metrics::get(metrics_.messages_coalesced); }

 private:
  enum class Kind { Mark, Insert, Update, Delete, Nothing };

  struct Entry {
    Kind kind = Kind::Mark;
    message::RowChange change;  // for row kinds
    PublishItem item;           // `after` = the first change's checkpoint; the last change's id
    std::string slot_key;       // empty = not foldable
    TimePoint first;
    TimePoint last;
  };
  using Entries = std::list<Entry>;

  // The slot of a foldable change; "" when it must stand alone. A change of key closes the slots
  // of both keys.
  std::string slotOf(const message::RowChange& change);
  static Kind kindOf(binlog::RowsKind kind);
  bool due(const Entry& entry, TimePoint now) const;
  void release(Release release);
  // Folds `next` into `held`; false when no rule applies (then both are kept).
  bool fold(Entry& held, Entry& next);
  static void foldUpdates(message::RowChange& held, const message::RowChange& next);
  void takeChange(Entry& held, Entry& next);
  void append(Entry entry);

  std::chrono::milliseconds delay_;
  size_t max_entries_;
  Entries entries_;
  std::unordered_map<std::string, Entries::iterator> slots_;
  metrics::Stats& metrics_;
};

}  // namespace mm::pipeline
