#include "pipeline/delay_buffer.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace mm::pipeline {
namespace {

std::string serialize(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string slotKey(const rapidjson::Document& message, const rapidjson::Value& keys) {
  std::string key = message["database"].GetString();
  key.push_back('\0');
  key.append(message["table_name"].GetString());
  key.push_back('\0');
  key.append(serialize(keys));
  return key;
}

bool changesKey(const rapidjson::Document& message) {
  if (!message.HasMember("after_values")) {
    return false;
  }
  const auto& keys = message["keys"];
  for (const auto& column : message["after_values"].GetObject()) {
    if (keys.HasMember(column.name)) {
      return true;
    }
  }
  return false;
}

// Sets object[name] = a copy of value.
void put(rapidjson::Value& object, const rapidjson::Value& name, const rapidjson::Value& value,
         rapidjson::Document::AllocatorType& allocator) {
  auto it = object.FindMember(name);
  if (it != object.MemberEnd()) {
    it->value.CopyFrom(value, allocator);
  } else {
    object.AddMember(rapidjson::Value(name, allocator), rapidjson::Value(value, allocator), allocator);
  }
}

// A folded change is as of its last part: it takes that part's coordinate (which its message_id
// is made of), GTID and binlog time.
void adoptOrigin(rapidjson::Document& held, const rapidjson::Document& last) {
  for (const char* field : {"binlog_timestamp", "position", "gtid"}) {
    auto from = last.FindMember(field);
    if (from != last.MemberEnd()) {
      put(held, from->name, from->value, held.GetAllocator());
    } else {
      held.RemoveMember(field);
    }
  }
}

}  // namespace

Status DelayBuffer::add(PublishItem item, TimePoint now) {
  Entry entry;
  entry.first = entry.last = now;
  if (!item.isMessage()) {
    entry.item = std::move(item);
    entries_.push_back(std::move(entry));
    return Status::ok();
  }
  rapidjson::Document& message = entry.message;
  message.Parse(item.body().data(), item.body().size());
  if (message.HasParseError() || !message.IsObject() || !message.HasMember("type") ||
      !message["type"].IsString()) {
    return Status::internal("delay buffer: not a message of ours: " + std::string(item.body()));
  }
  const std::string_view type = message["type"].GetString();
  if (type != "row_insert" && type != "row_update" && type != "row_delete") {
    // Control messages (a position gap) are not rows: they keep their place in line, undelayed.
    entry.item = std::move(item);
    entries_.push_back(std::move(entry));
    return Status::ok();
  }
  if (!message.HasMember("keys") || !message["keys"].IsObject() || !message.HasMember("database") ||
      !message.HasMember("table_name") || !message.HasMember("timestamp")) {
    return Status::internal("delay buffer: malformed row message: " + std::string(item.body()));
  }
  entry.kind = type == "row_insert" ? Kind::Insert : type == "row_update" ? Kind::Update : Kind::Delete;
  entry.item = std::move(item);
  const rapidjson::Value& keys = message["keys"];
  if (!keys.ObjectEmpty()) {
    if (entry.kind == Kind::Update && changesKey(message)) {
      // The row changes identity: nothing before it may fold past it, under either key.
      closeSlot(slotKey(message, keys));
      rapidjson::Value new_keys(keys, message.GetAllocator());
      for (auto& column : new_keys.GetObject()) {
        auto after = message["after_values"].FindMember(column.name);
        if (after != message["after_values"].MemberEnd()) {
          column.value.CopyFrom(after->value, message.GetAllocator());
        }
      }
      closeSlot(slotKey(message, new_keys));
    } else {
      entry.slot_key = slotKey(message, keys);
    }
  }
  if (!entry.slot_key.empty()) {
    auto slot = slots_.find(entry.slot_key);
    if (slot != slots_.end() && fold(*slot->second, entry)) {
      metrics::add(metrics_.messages_coalesced);
      slot->second->last = now;
      return Status::ok();
    }
  }
  entries_.push_back(std::move(entry));
  if (!entries_.back().slot_key.empty()) {
    slots_[entries_.back().slot_key] = std::prev(entries_.end());
  }
  return Status::ok();
}

bool DelayBuffer::fold(Entry& held, Entry& next) {
  auto& allocator = held.message.GetAllocator();
  rapidjson::Document& incoming = next.message;
  if (held.kind == Kind::Nothing) {
    // The held changes cancelled out: the row is as before them, so the next change stands alone.
    takeMessage(held, next);
  } else if (held.kind == Kind::Insert && next.kind == Kind::Update) {
    rapidjson::Value& values = held.message["values"];
    for (const auto& column : incoming["after_values"].GetObject()) {
      put(values, column.name, column.value, allocator);
    }
    adoptOrigin(held.message, incoming);
  } else if (held.kind == Kind::Update && next.kind == Kind::Update) {
    rapidjson::Value& before = held.message["before_values"];
    rapidjson::Value& after = held.message["after_values"];
    const rapidjson::Value& next_before = incoming["before_values"];
    for (const auto& column : incoming["after_values"].GetObject()) {
      if (!after.HasMember(column.name)) {
        // First change of this column in the slot: its earliest value is this change's before.
        auto old = next_before.FindMember(column.name);
        if (old != next_before.MemberEnd()) {
          put(before, column.name, old->value, allocator);
        }
      }
      put(after, column.name, column.value, allocator);
    }
    // Columns that came back to where they started are no change at all.
    for (auto it = after.MemberBegin(); it != after.MemberEnd();) {
      auto old = before.FindMember(it->name);
      if (old != before.MemberEnd() && old->value == it->value) {
        before.RemoveMember(old);
        it = after.RemoveMember(it);
      } else {
        ++it;
      }
    }
    if (after.ObjectEmpty()) {
      held.kind = Kind::Nothing;
    }
    adoptOrigin(held.message, incoming);
  } else if (held.kind == Kind::Insert && next.kind == Kind::Delete) {
    held.kind = Kind::Nothing;
  } else if (held.kind == Kind::Update && next.kind == Kind::Delete) {
    takeMessage(held, next);
  } else {
    return false;
  }
  held.item.setMessage(next.item.messageId(), held.item.body());
  return true;
}

void DelayBuffer::takeMessage(Entry& held, Entry& next) {
  // The held entry becomes `next`, keeping only its place in line and its first checkpoint; the
  // route (routing key and headers) may depend on the type, so it comes along.
  held.message.Swap(next.message);
  held.kind = next.kind;
  held.item.route = std::move(next.item.route);
}

void DelayBuffer::closeSlot(const std::string& key) { slots_.erase(key); }

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

void DelayBuffer::release(int64_t now_unix, PublishBatch& out) {
  Entry& head = entries_.front();
  if (!head.slot_key.empty()) {
    auto slot = slots_.find(head.slot_key);
    if (slot != slots_.end() && slot->second == entries_.begin()) {
      slots_.erase(slot);
    }
  }
  if (head.kind == Kind::Nothing) {
    // Folded away entirely: only its checkpoint remains.
    out.push_back(checkpointMark(std::move(head.item.checkpoint), head.item.rows_done));
  } else if (head.kind == Kind::Mark) {
    out.push_back(std::move(head.item));
  } else {
    // "timestamp" is the publish time, which the delay moved.
    head.message["timestamp"].SetInt64(now_unix);
    head.item.setBody(serialize(head.message));
    head.item.timestamp = now_unix;
    out.push_back(std::move(head.item));
  }
  entries_.pop_front();
}

void DelayBuffer::releaseDue(TimePoint now, int64_t now_unix, PublishBatch& out) {
  while (!entries_.empty() && (entries_.size() > max_entries_ || due(entries_.front(), now))) {
    release(now_unix, out);
  }
}

void DelayBuffer::releaseAll(int64_t now_unix, PublishBatch& out) {
  while (!entries_.empty()) {
    release(now_unix, out);
  }
}

}  // namespace mm::pipeline
