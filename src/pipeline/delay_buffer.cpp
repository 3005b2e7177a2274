#include "pipeline/delay_buffer.h"

namespace mm::pipeline {
namespace {

using message::EncodedColumns;
using message::RowChange;

std::string slotKey(const RowChange& change, const EncodedColumns& keys) {
  std::string key = change.table->database;
  key.push_back('\0');
  key.append(change.table->table);
  key.push_back('\0');
  key.append(message::columnsObject(*change.table, keys));
  return key;
}

// A folded change is as of its last part: its coordinate (which its message_id is made of), GTID
// and binlog time.
void adoptOrigin(RowChange& held, RowChange& last) { held.origin = std::move(last.origin); }

}  // namespace

DelayBuffer::Kind DelayBuffer::kindOf(binlog::RowsKind kind) {
  switch (kind) {
    case binlog::RowsKind::Write: return DelayBuffer::Kind::Insert;
    case binlog::RowsKind::Update: return DelayBuffer::Kind::Update;
    case binlog::RowsKind::Delete: return DelayBuffer::Kind::Delete;
  }
  return DelayBuffer::Kind::Mark;
}

void DelayBuffer::add(PublishItem item, TimePoint now) {
  Entry entry;
  entry.first = entry.last = now;
  entry.item = std::move(item);
  entries_.push_back(std::move(entry));
}

void DelayBuffer::addInLine(PublishItem item, const RowChange& row, TimePoint now) {
  if (!row.keys.empty()) {
    slots_.erase(slotKey(row, row.keys));
  }
  add(std::move(item), now);
}

std::string DelayBuffer::slotOf(const RowChange& change) {
  if (change.keys.empty()) {
    return {};
  }
  if (change.kind == binlog::RowsKind::Update && change.changesKey()) {
    // The row changes identity: nothing before it may fold past it, under either key.
    slots_.erase(slotKey(change, change.keys));
    slots_.erase(slotKey(change, change.keysAfter()));
    return {};
  }
  return slotKey(change, change.keys);
}

void DelayBuffer::add(RowChange change, PublishItem item, TimePoint now) {
  Entry entry;
  entry.first = entry.last = now;
  entry.kind = kindOf(change.kind);
  entry.slot_key = slotOf(change);
  entry.change = std::move(change);
  entry.item = std::move(item);
  if (!entry.slot_key.empty()) {
    auto slot = slots_.find(entry.slot_key);
    if (slot != slots_.end() && fold(*slot->second, entry)) {
      metrics::add(metrics_.messages_coalesced);
      slot->second->last = now;
      return;
    }
  }
  append(std::move(entry));
}

void DelayBuffer::append(Entry entry) {
  entries_.push_back(std::move(entry));
  if (!entries_.back().slot_key.empty()) {
    slots_[entries_.back().slot_key] = std::prev(entries_.end());
  }
}

void DelayBuffer::foldUpdates(RowChange& held, const RowChange& next) {
  for (size_t i = 0; i < next.after.size(); ++i) {
    const uint32_t column = next.after.column(i);
    if (!held.after.find(column)) {
      // First change of this column in the slot: its earliest value is this change's before.
      if (auto old = next.before.find(column)) {
        held.before.put(column, next.before.value(*old));
      }
    }
    held.after.put(column, next.after.value(i));
  }
  // Columns that came back to where they started are no change at all.
  for (size_t i = 0; i < held.after.size();) {
    auto old = held.before.find(held.after.column(i));
    if (old && held.before.value(*old) == held.after.value(i)) {
      // In the order the first implementation's JSON objects had after such a removal
      // (rapidjson's RemoveMember moves the last member into the gap): folded messages keep
      // their bytes.
      held.before.eraseMovingLast(*old);
      held.after.eraseMovingLast(i);
    } else {
      ++i;
    }
  }
}

bool DelayBuffer::fold(Entry& held, Entry& next) {
  if (held.kind == Kind::Nothing) {
    // The held changes cancelled out: the row is as before them, so the next change stands alone.
    takeChange(held, next);
  } else if (held.kind == Kind::Insert && next.kind == Kind::Update) {
    for (size_t i = 0; i < next.change.after.size(); ++i) {
      held.change.values.put(next.change.after.column(i), next.change.after.value(i));
    }
    adoptOrigin(held.change, next.change);
  } else if (held.kind == Kind::Update && next.kind == Kind::Update) {
    foldUpdates(held.change, next.change);
    if (held.change.after.empty()) {
      held.kind = Kind::Nothing;
    }
    adoptOrigin(held.change, next.change);
  } else if (held.kind == Kind::Insert && next.kind == Kind::Delete) {
    held.kind = Kind::Nothing;
  } else if (held.kind == Kind::Update && next.kind == Kind::Delete) {
    takeChange(held, next);
  } else {
    return false;
  }
  held.item.setMessage(next.item.messageId(), {});
  return true;
}

void DelayBuffer::takeChange(Entry& held, Entry& next) {
  // The held entry becomes `next`, keeping only its place in line and its first checkpoint; the
  // route (routing key and headers) may depend on the type, so it comes along.
  held.change = std::move(next.change);
  held.kind = next.kind;
  held.item.route = std::move(next.item.route);
}

bool DelayBuffer::due(const Entry& entry, TimePoint now) const {
  if (entry.kind == Kind::Mark || entry.kind == Kind::Nothing) {
    return true;
  }
  return now - entry.last >= delay_ || now - entry.first >= 2 * delay_;
}

std::optional<DelayBuffer::TimePoint> DelayBuffer::nextRelease() const {
  if (entries_.empty()) {
    return std::nullopt;
  }
  const Entry& head = entries_.front();
  if (head.kind == Kind::Mark || head.kind == Kind::Nothing || entries_.size() > max_entries_) {
    return head.first;
  }
  return std::min(head.last + delay_, head.first + 2 * delay_);
}

void DelayBuffer::release(Release release) {
  Entry& head = entries_.front();
  if (!head.slot_key.empty()) {
    auto slot = slots_.find(head.slot_key);
    if (slot != slots_.end() && slot->second == entries_.begin()) {
      slots_.erase(slot);
    }
  }
  if (head.kind == Kind::Nothing) {
    // Folded away entirely: only its checkpoint remains.
    PublishItem mark = checkpointMark(std::move(head.item.checkpoint), head.item.rows_done);
    release(mark, nullptr);
  } else {
    release(head.item, head.kind == Kind::Mark ? nullptr : &head.change);
  }
  entries_.pop_front();
}

void DelayBuffer::releaseDue(TimePoint now, Release release) {
  while (!entries_.empty() && (entries_.size() > max_entries_ || due(entries_.front(), now))) {
    this->release(release);
  }
}

void DelayBuffer::releaseAll(Release release) {
  while (!entries_.empty()) {
    this->release(release);
  }
}

}  // namespace mm::pipeline
