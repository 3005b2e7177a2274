// DelayBuffer: holds messages `delay` long and folds repeated changes of one row into one net change
// ([monitor] delay; shared docs/design.md §5).
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
// A change after changes that cancelled out stands alone (in the slot of the first).
// Rows without keys, and updates that change the key (the row's identity), are never folded; a key
// change also ends folding into the slots of the old and the new key, so no change can overtake it.
//
// Release: strictly in arrival order of each slot's first change, once the head entry's latest
// change is `delay` old or its first change 2 x delay old (bounded staleness for rows that never stop
// changing), or when more than max_entries are held. Checkpoint marks travel in the same order, and a
// folded message keeps its first change's checkpoint (the mark never passes a held change) and takes
// its last change's message_id. The law (tested): a consumer applying the released stream in order
// ends with the same rows as one applying the raw stream.
//
// Pure: time is passed in. Not thread-safe: owned by the transformer stage.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>

#include <rapidjson/document.h>

#include "common/status.h"
#include "metrics/stats.h"
#include "pipeline/items.h"

namespace mm::pipeline {

class DelayBuffer {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // `stats` (may be null) counts the changes folded away; else it must outlive the buffer.
  DelayBuffer(std::chrono::milliseconds delay, size_t max_entries, metrics::Stats* stats = nullptr)
      : delay_(delay), max_entries_(max_entries), metrics_(stats != nullptr ? *stats : own_metrics_) {}

  // Takes a row message (body = our JSON), a control message (e.g. a gap: passed on in order,
  // never delayed or folded) or a checkpoint mark (empty body). Errors: Internal when the body is
  // not a message of ours.
  Status add(PublishItem item, TimePoint now);

  // Appends, in order, the entries due at `now`; their "timestamp" becomes `now_unix` (the publish
  // time the contract promises).
  void releaseDue(TimePoint now, int64_t now_unix, PublishBatch& out);
  // Appends everything held (at stop).
  void releaseAll(int64_t now_unix, PublishBatch& out);

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
    rapidjson::Document message;  // for row kinds
    PublishItem item;             // body re-rendered at release; `after` = the first change's
    std::string slot_key;         // empty = not foldable
    TimePoint first;
    TimePoint last;
  };
  using Entries = std::list<Entry>;

  bool due(const Entry& entry, TimePoint now) const;
  void release(int64_t now_unix, PublishBatch& out);
  // Folds `next` into `held`; false when no rule applies (then both are kept).
  bool fold(Entry& held, Entry& next);
  void takeMessage(Entry& held, Entry& next);
  void closeSlot(const std::string& key);

  std::chrono::milliseconds delay_;
  size_t max_entries_;
  Entries entries_;
  std::unordered_map<std::string, Entries::iterator> slots_;
  metrics::Stats own_metrics_;
  metrics::Stats& metrics_;
};

}  // namespace mm::pipeline
