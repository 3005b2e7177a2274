// The delay buffer: folding rules, release timing, checkpoint order, and the law that a consumer
// applying the released stream ends with the same rows as one applying the raw stream.
#include "pipeline/delay_buffer.h"

#include <map>
#include <optional>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "message/row_message_builder.h"

namespace mm::pipeline {
namespace {

using namespace std::chrono_literals;
using Row = std::map<std::string, std::string>;  // column -> JSON text of the value
using Table = std::map<std::string, Row>;        // keys JSON -> row

const DelayBuffer::TimePoint kStart{};

// A checkpoint standing for "after change number `seq`".
checkpoint::Checkpoint after(uint64_t seq) { return checkpoint::Checkpoint{"f", seq + 4, 0}; }

// The tables the changes are of: columns a, b, id (in name order, as Row lists them); `keyed` has
// the key (id), `keyless` none.
std::shared_ptr<const binlog::TableMap> table(bool keyed) {
  auto map = std::make_shared<binlog::TableMap>();
  map->database = "d";
  map->table = "t";
  for (const char* name : {"a", "b", "id"}) {
    binlog::TableMapColumn column;
    column.name = name;
    map->columns.push_back(column);
  }
  map->has_column_names = true;
  if (keyed) {
    map->primary_key = {2};
  }
  return map;
}
const std::shared_ptr<const binlog::TableMap> kKeyed = table(true);
const std::shared_ptr<const binlog::TableMap> kKeyless = table(false);

message::EncodedColumns encoded(const Row& row) {
  message::EncodedColumns columns;
  for (const auto& [name, value] : row) {
    for (uint32_t i = 0; i < kKeyed->columns.size(); ++i) {
      if (kKeyed->columns[i].name == name) {
        columns.append(i, value);
      }
    }
  }
  return columns;
}

// A change the transformer would hand the buffer, or (without `change`) a mark or control message.
struct Pending {
  std::optional<message::RowChange> change;
  PublishItem item;
};

Pending change(uint64_t seq, binlog::RowsKind kind, bool keyed) {
  Pending pending;
  pending.item = checkpointMark(after(seq));
  pending.item.setMessage(fmt::format("f:{}:0", seq), {});
  pending.item.timestamp = 1;
  const std::string type(message::changeType(kind));
  pending.item.route = makeRoute("key." + type, {{"type", type}});
  message::RowChange& c = pending.change.emplace();
  c.kind = kind;
  c.table = keyed ? kKeyed : kKeyless;
  c.origin =
      message::ChangeOrigin{static_cast<int64_t>(seq), "f", seq, 0, fmt::format("0-1-{}", seq)};
  return pending;
}
Pending insert(uint64_t seq, int id, const Row& values) {
  Pending p = change(seq, binlog::RowsKind::Write, true);
  Row all = values;
  all["id"] = std::to_string(id);
  p.change->keys = encoded({{"id", std::to_string(id)}});
  p.change->values = encoded(all);
  return p;
}
Pending update(uint64_t seq, int id, const Row& before, const Row& changed) {
  Pending p = change(seq, binlog::RowsKind::Update, true);
  p.change->keys = encoded({{"id", std::to_string(id)}});
  p.change->before = encoded(before);
  p.change->after = encoded(changed);
  return p;
}
Pending remove(uint64_t seq, int id) {
  Pending p = change(seq, binlog::RowsKind::Delete, true);
  p.change->keys = encoded({{"id", std::to_string(id)}});
  return p;
}
Pending keyless(uint64_t seq, binlog::RowsKind kind, const Row& values) {
  Pending p = change(seq, kind, false);
  p.change->values = encoded(values);
  return p;
}
Pending mark(const checkpoint::Checkpoint& at) { return Pending{std::nullopt, checkpointMark(at)}; }

Status add(DelayBuffer& buffer, Pending pending, DelayBuffer::TimePoint now) {
  if (pending.change) {
    buffer.add(std::move(*pending.change), std::move(pending.item), now);
  } else {
    buffer.add(std::move(pending.item), now);
  }
  return Status::ok();
}

// What the transformer does with what the buffer releases: row messages are written, published
// at 99.
auto render(PublishBatch& out) {
  static message::RowMessageBuilder builder;
  return [&out](PublishItem& item, const message::RowChange* change) {
    if (change != nullptr) {
      item.timestamp = 99;
      item.setMessage(item.messageId(), builder.render(*change, 99));
    }
    out.push_back(std::move(item));
  };
}
void releaseDue(DelayBuffer& buffer, DelayBuffer::TimePoint now, PublishBatch& out) {
  auto release = render(out);
  buffer.releaseDue(now, release);
}
void releaseAll(DelayBuffer& buffer, PublishBatch& out) {
  auto release = render(out);
  buffer.releaseAll(release);
}

// The item carrying `pending`'s message as the buffer's release would write it.
PublishItem rendered(const Pending& pending) {
  PublishBatch out;
  PublishItem item = pending.item;
  render(out)(item, pending.change ? &*pending.change : nullptr);
  return out.back();
}

// Applies row messages the way a consumer keeping a copy of the table would.
void applyChange(Table& table, const PublishItem& item) {
  if (!item.isMessage()) {
    return;
  }
  rapidjson::Document doc;
  doc.Parse(item.body().data(), item.body().size());
  ASSERT_FALSE(doc.HasParseError()) << item.body();
  auto text = [](const rapidjson::Value& v) { return std::to_string(v.GetInt()); };
  const std::string key = text(doc["keys"]["id"]);
  const std::string type = doc["type"].GetString();
  if (type == "row_insert") {
    Row row;
    for (const auto& c : doc["values"].GetObject()) {
      row[c.name.GetString()] = text(c.value);
    }
    table[key] = row;
  } else if (type == "row_update") {
    ASSERT_TRUE(table.count(key)) << "update of a missing row: " << item.body();
    Row row = table[key];
    for (const auto& c : doc["after_values"].GetObject()) {
      row[c.name.GetString()] = text(c.value);
    }
    table.erase(key);
    table[row["id"]] = row;
  } else {
    table.erase(key);
  }
}

struct Released {
  PublishBatch items;
  void take(DelayBuffer& buffer, DelayBuffer::TimePoint now) { releaseDue(buffer, now, items); }
};

TEST(DelayBuffer, HoldsAMessageForTheDelayThenReleasesIt) {
  metrics::Stats stats;
  DelayBuffer buffer(5s, 1000, stats);
  ASSERT_TRUE(add(buffer, insert(1, 1, {{"a", "1"}}), kStart).isOk());
  Released out;
  out.take(buffer, kStart + 4999ms);
  EXPECT_TRUE(out.items.empty());
  EXPECT_EQ(buffer.nextRelease(), kStart + 5s);
  out.take(buffer, kStart + 5s);
  ASSERT_EQ(out.items.size(), 1u);
  EXPECT_NE(out.items[0].body().find(R"("timestamp":99)"), std::string::npos)
      << "timestamp must be the publish time: " << out.items[0].body();
}

TEST(DelayBuffer, ToggledValueFoldsIntoTheNetChange) {
  // The origin's bug: A->B, B->A, A->B within the window left consumers believing A.
  metrics::Stats stats;
  DelayBuffer buffer(5s, 1000, stats);
  ASSERT_TRUE(add(buffer, update(1, 7, {{"a", "1"}}, {{"a", "2"}}), kStart).isOk());
  ASSERT_TRUE(add(buffer, update(2, 7, {{"a", "2"}}, {{"a", "1"}}), kStart + 1s).isOk());
  ASSERT_TRUE(add(buffer, update(3, 7, {{"a", "1"}}, {{"a", "2"}}), kStart + 2s).isOk());
  PublishBatch out;
  releaseAll(buffer, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(
      out[0].body(),
      R"({"type":"row_update","database":"d","table_name":"t","keys":{"id":7},"before_values":{"a":1},"after_values":{"a":2},"timestamp":99,"binlog_timestamp":3,)"
      R"("position":{"file":"f","pos":3,"row":0},"gtid":"0-1-3"})");
  EXPECT_EQ(out[0].messageId(), "f:3:0") << "a folded message takes its last change's id";
  EXPECT_EQ(out[0].after(), after(1)) << "and keeps its first change's checkpoint";
  EXPECT_EQ(buffer.coalesced(), 2u);
}

TEST(DelayBuffer, ChangeAfterChangesThatCancelledOutStandsAlone) {
  metrics::Stats stats;
  DelayBuffer buffer(5s, 1000, stats);
  ASSERT_TRUE(add(buffer, insert(1, 3, {{"a", "1"}}), kStart).isOk());
  ASSERT_TRUE(add(buffer, remove(2, 3), kStart).isOk());
  ASSERT_TRUE(add(buffer, insert(3, 3, {{"a", "4"}}), kStart).isOk());
  PublishBatch out;
  releaseAll(buffer, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].body().find(R"("values":{"a":4,"id":3})"), std::string::npos) << out[0].body();
  EXPECT_EQ(out[0].after(), after(1));
  EXPECT_EQ(out[0].messageId(), "f:3:0");
}

// A snapshot row (the row as of its chunk's point) between two updates of its row: the second
// update must come after it, or a consumer upserting the snapshot row would end with older values.
TEST(DelayBuffer, AChangeAfterASnapshotRowOfItsRowIsReleasedAfterIt) {
  metrics::Stats stats;
  DelayBuffer buffer(5s, 1000, stats);
  ASSERT_TRUE(add(buffer, update(1, 7, {{"a", "1"}}, {{"a", "2"}}), kStart).isOk());
  Pending snapshot_row = insert(2, 7, {{"a", "2"}});
  snapshot_row.item.setMessage("snapshot:1:row:d.t:7", R"({"type":"row_snapshot"})");
  buffer.addInLine(std::move(snapshot_row.item), *snapshot_row.change, kStart);
  ASSERT_TRUE(add(buffer, update(3, 7, {{"a", "2"}}, {{"a", "3"}}), kStart + 1s).isOk());
  // Another row's updates still fold.
  ASSERT_TRUE(add(buffer, update(4, 8, {{"a", "1"}}, {{"a", "2"}}), kStart + 1s).isOk());
  ASSERT_TRUE(add(buffer, update(5, 8, {{"a", "2"}}, {{"a", "3"}}), kStart + 1s).isOk());
  PublishBatch out;
  releaseAll(buffer, out);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].messageId(), "f:1:0");
  EXPECT_EQ(out[1].body(), R"({"type":"row_snapshot"})");
  EXPECT_EQ(out[2].messageId(), "f:3:0");
  EXPECT_NE(out[2].body().find(R"("after_values":{"a":3})"), std::string::npos) << out[2].body();
  EXPECT_EQ(out[3].messageId(), "f:5:0");
  EXPECT_EQ(buffer.coalesced(), 1u);
}

TEST(DelayBuffer, UpdateThatReturnsToTheStartDisappearsButItsCheckpointRemains) {
  metrics::Stats stats;
  DelayBuffer buffer(5s, 1000, stats);
  ASSERT_TRUE(add(buffer, update(1, 7, {{"a", "1"}}, {{"a", "2"}}), kStart).isOk());
  ASSERT_TRUE(add(buffer, update(2, 7, {{"a", "2"}}, {{"a", "1"}}), kStart).isOk());
  PublishBatch out;
  releaseDue(buffer, kStart, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].body().empty());
  EXPECT_EQ(out[0].after(), after(1));
}

TEST(DelayBuffer, InsertThenUpdatesBecomeOneInsertWithTheFinalValues) {
  metrics::Stats stats;
  DelayBuffer buffer(5s, 1000, stats);
  ASSERT_TRUE(add(buffer, insert(1, 3, {{"a", "1"}, {"b", "1"}}), kStart).isOk());
  ASSERT_TRUE(add(buffer, update(2, 3, {{"a", "1"}}, {{"a", "5"}}), kStart).isOk());
  ASSERT_TRUE(add(buffer, update(3, 3, {{"b", "1"}}, {{"b", "6"}}), kStart).isOk());
  PublishBatch out;
  releaseAll(buffer, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].body().find(R"("type":"row_insert")"), std::string::npos);
  EXPECT_NE(out[0].body().find(R"("values":{"a":5,"b":6,"id":3})"), std::string::npos)
      << out[0].body();
}

TEST(DelayBuffer, FoldedChangeTakesTheIdAndCoordinateOfItsLastPart) {
  metrics::Stats stats;
  DelayBuffer buffer(5s, 1000, stats);
  ASSERT_TRUE(add(buffer, insert(1, 3, {{"a", "1"}}), kStart).isOk());
  ASSERT_TRUE(add(buffer, update(2, 3, {{"a", "1"}}, {{"a", "5"}}), kStart).isOk());
  PublishBatch out;
  releaseAll(buffer, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].messageId(), "f:2:0");
  EXPECT_NE(out[0].body().find(
                R"("binlog_timestamp":2,"position":{"file":"f","pos":2,"row":0},"gtid":"0-1-2")"),
            std::string::npos)
      << out[0].body();
  EXPECT_EQ(out[0].after(), after(1)) << "the checkpoint stays behind the first part";
}

TEST(DelayBuffer, InsertThenDeleteLeavesNothingButTheCheckpoint) {
  metrics::Stats stats;
  DelayBuffer buffer(5s, 1000, stats);
  ASSERT_TRUE(add(buffer, insert(1, 3, {{"a", "1"}}), kStart).isOk());
  ASSERT_TRUE(add(buffer, remove(2, 3), kStart).isOk());
  PublishBatch out;
  releaseAll(buffer, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].body().empty());
}

TEST(DelayBuffer, UpdatesThenDeleteBecomeTheDelete) {
  metrics::Stats stats;
  DelayBuffer buffer(5s, 1000, stats);
  ASSERT_TRUE(add(buffer, update(1, 3, {{"a", "1"}}, {{"a", "2"}}), kStart).isOk());
  ASSERT_TRUE(add(buffer, remove(2, 3), kStart).isOk());
  PublishBatch out;
  releaseAll(buffer, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].body().find(R"("type":"row_delete")"), std::string::npos);
  EXPECT_EQ(out[0].after(), after(1));
  ASSERT_NE(out[0].route, nullptr);
  EXPECT_EQ(out[0].route->routing_key, "key.row_delete")
      << "routing follows the type the message became";
  EXPECT_EQ(out[0].route->headers, (message::Headers{{"type", "row_delete"}}));
}

TEST(DelayBuffer, DeleteThenInsertAreBothKeptInOrder) {
  metrics::Stats stats;
  DelayBuffer buffer(5s, 1000, stats);
  ASSERT_TRUE(add(buffer, remove(1, 3), kStart).isOk());
  ASSERT_TRUE(add(buffer, insert(2, 3, {{"a", "1"}}), kStart).isOk());
  ASSERT_TRUE(add(buffer, update(3, 3, {{"a", "1"}}, {{"a", "2"}}), kStart).isOk());
  PublishBatch out;
  releaseAll(buffer, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_NE(out[0].body().find(R"("type":"row_delete")"), std::string::npos);
  EXPECT_NE(out[1].body().find(R"("values":{"a":2,"id":3})"), std::string::npos) << out[1].body();
}

TEST(DelayBuffer, RowsWithoutKeysAreNeverFolded) {
  metrics::Stats stats;
  DelayBuffer buffer(5s, 1000, stats);
  ASSERT_TRUE(add(buffer, keyless(1, binlog::RowsKind::Write, {{"a", "1"}}), kStart).isOk());
  ASSERT_TRUE(add(buffer, keyless(2, binlog::RowsKind::Delete, {{"a", "1"}}), kStart).isOk());
  PublishBatch out;
  releaseAll(buffer, out);
  EXPECT_EQ(out.size(), 2u);
  EXPECT_EQ(buffer.coalesced(), 0u);
}

TEST(DelayBuffer, ARowThatNeverStopsChangingIsReleasedAfterTwiceTheDelay) {
  metrics::Stats stats;
  DelayBuffer buffer(5s, 1000, stats);
  ASSERT_TRUE(add(buffer, insert(1, 1, {{"a", "0"}}), kStart).isOk());
  Released out;
  for (int i = 1; i <= 12; ++i) {
    const auto now = kStart + std::chrono::seconds(i);
    out.take(buffer, now);
    if (buffer.empty()) {
      EXPECT_EQ(i, 10) << "released at the 2 x delay bound";
      break;
    }
    ASSERT_TRUE(add(buffer,
                    update(i + 1, 1, {{"a", std::to_string(i - 1)}}, {{"a", std::to_string(i)}}),
                    now)
                    .isOk());
  }
  EXPECT_TRUE(buffer.empty());
}

TEST(DelayBuffer, MarksWaitBehindHeldMessagesAndCheckpointsNeverGoBackwards) {
  metrics::Stats stats;
  DelayBuffer buffer(5s, 1000, stats);
  ASSERT_TRUE(add(buffer, insert(1, 1, {{"a", "0"}}), kStart).isOk());
  ASSERT_TRUE(add(buffer, mark(after(2)), kStart).isOk());
  Released out;
  out.take(buffer, kStart + 1s);
  EXPECT_TRUE(out.items.empty()) << "a mark may not pass a held change";
  out.take(buffer, kStart + 5s);
  ASSERT_EQ(out.items.size(), 2u);
  EXPECT_EQ(out.items[1].after(), after(2));
}

TEST(DelayBuffer, OverfullBufferReleasesTheOldestEarly) {
  metrics::Stats stats;
  DelayBuffer buffer(5s, 2, stats);
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(add(buffer, insert(i, i, {{"a", "0"}}), kStart).isOk());
  }
  PublishBatch out;
  releaseDue(buffer, kStart, out);
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(buffer.size(), 2u);
}

TEST(DelayBuffer, ControlMessagesKeepTheirPlaceAndAreNotDelayed) {
  metrics::Stats stats;
  DelayBuffer buffer(5s, 1000, stats);
  Pending gap = mark(after(1));
  gap.item.setMessage("gap:a:4:b:4", R"({"type":"gap","from":"a:4","to":"b:4","timestamp":1})");
  const std::string gap_body(gap.item.body());
  ASSERT_TRUE(add(buffer, gap, kStart).isOk());
  ASSERT_TRUE(add(buffer, insert(2, 1, {{"a", "0"}}), kStart).isOk());
  PublishBatch out;
  releaseDue(buffer, kStart, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].body(), gap_body);
}

// The law, over random histories on a few keys, including key changes and releases at random times.
TEST(DelayBuffer, ConsumerOfTheBufferedStreamEndsWithTheSameRowsAsOfTheRawStream) {
  std::mt19937 random(20261125);
  uint64_t folded = 0;
  for (int round = 0; round < 300; ++round) {
    metrics::Stats stats;
    DelayBuffer buffer(5s, 1000, stats);
    Table truth, raw_copy, buffered_copy;
    PublishBatch released;
    auto now = kStart;
    uint64_t seq = 0;
    uint64_t last_checkpoint = 0;
    auto collect = [&](PublishBatch& batch) {
      for (auto& item : batch) {
        const uint64_t position = item.after().offset;
        ASSERT_GE(position, last_checkpoint) << "checkpoints must never go backwards";
        last_checkpoint = position;
        applyChange(buffered_copy, item);
      }
      batch.clear();
    };
    for (int step = 0; step < 40; ++step) {
      now += std::chrono::milliseconds(random() % 3000);
      const int id = static_cast<int>(random() % 4);
      const std::string key = std::to_string(id);
      Pending change;
      ++seq;
      if (!truth.count(key)) {
        Row row{
            {"a", std::to_string(random() % 3)}, {"b", std::to_string(random() % 3)}, {"id", key}};
        truth[key] = row;
        change = insert(seq, id, {{"a", row["a"]}, {"b", row["b"]}});
      } else if (random() % 5 == 0) {
        truth.erase(key);
        change = remove(seq, id);
      } else if (random() % 6 == 0 && !truth.count(std::to_string(id + 10))) {
        Row row = truth[key];
        const std::string new_key = std::to_string(id + 10);
        truth.erase(key);
        row["id"] = new_key;
        truth[new_key] = row;
        change = update(seq, id, {{"id", key}}, {{"id", new_key}});
        // A moved row comes back under its old id later, so keys keep colliding.
        truth.erase(new_key);
        ASSERT_TRUE(add(buffer, change, now).isOk());
        applyChange(raw_copy, rendered(change));
        change = remove(++seq, id + 10);
      } else {
        const std::string column = random() % 2 ? "a" : "b";
        const std::string old_value = truth[key][column];
        const std::string new_value = std::to_string(random() % 3);
        if (new_value == old_value) {
          --seq;
          continue;
        }
        truth[key][column] = new_value;
        change = update(seq, id, {{column, old_value}}, {{column, new_value}});
      }
      applyChange(raw_copy, rendered(change));
      ASSERT_TRUE(add(buffer, change, now).isOk());
      if (random() % 3 == 0) {
        releaseDue(buffer, now, released);
        collect(released);
      }
    }
    releaseAll(buffer, released);
    collect(released);
    ASSERT_EQ(raw_copy, truth) << "round " << round;
    ASSERT_EQ(buffered_copy, truth) << "round " << round;
    folded += buffer.coalesced();
  }
  EXPECT_GT(folded, 1000u) << "the histories must exercise folding, or the law proves nothing";
}

}  // namespace
}  // namespace mm::pipeline

namespace mm::pipeline {
namespace {

TEST(DelayBuffer, CountsFoldedChangesInTheGivenStats) {
  metrics::Stats stats;
  DelayBuffer buffer(5s, 1000, stats);
  ASSERT_TRUE(add(buffer, insert(1, 7, {{"a", "1"}}), kStart).isOk());
  ASSERT_TRUE(add(buffer, update(2, 7, {{"a", "1"}}, {{"a", "2"}}), kStart + 1s).isOk());
  ASSERT_TRUE(add(buffer, remove(3, 7), kStart + 2s).isOk());
  EXPECT_EQ(metrics::get(stats.messages_coalesced), 2u);
  EXPECT_EQ(buffer.coalesced(), 2u);
}

}  // namespace
}  // namespace mm::pipeline
