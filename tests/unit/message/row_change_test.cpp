// RowChange, the typed form of a row change: its column lists, and the law that makes it safe to
// hold changes typed and write their messages later — over every rows event of every recorded
// binlog, the message rendered from the encoded change is byte for byte the message written
// straight from the decoded row, and the "keys" text routing hashes is the message's own.
#include "message/row_change.h"

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "binlog/binlog_file.h"
#include "binlog/event_decoder.h"
#include "message/row_message_builder.h"
#include "message/rows_formatter.h"
#include "support/fixtures.h"

namespace mm::message {
namespace {

TEST(EncodedColumns, PutReplacesInPlaceOrAppendsAsAJsonObjectWould) {
  EncodedColumns columns;
  columns.append(3, "1");
  columns.append(1, "\"x\"");
  columns.put(3, "22");
  columns.put(0, "null");
  ASSERT_EQ(columns.size(), 3u);
  EXPECT_EQ(columns.column(0), 3u);
  EXPECT_EQ(columns.value(0), "22");
  EXPECT_EQ(columns.value(1), "\"x\"");
  EXPECT_EQ(columns.column(2), 0u);
  EXPECT_EQ(columns.find(1), 1u);
  EXPECT_FALSE(columns.find(7));
  columns.put(1, columns.value(0));  // a value of the same list
  EXPECT_EQ(columns.value(1), "22");
}

TEST(EncodedColumns, EraseMovingLastPutsTheLastColumnInTheGap) {
  EncodedColumns columns;
  for (uint32_t i = 0; i < 4; ++i) {
    columns.append(i, std::to_string(i));
  }
  columns.eraseMovingLast(1);
  ASSERT_EQ(columns.size(), 3u);
  EXPECT_EQ(columns.column(1), 3u);
  EXPECT_EQ(columns.value(1), "3");
  columns.eraseMovingLast(2);
  ASSERT_EQ(columns.size(), 2u);
  EXPECT_EQ(columns.column(1), 3u);
}

TEST(RowChange, AnUpdateOfAKeyColumnChangesTheKeyAndKeysAfterHasTheNewValue) {
  auto table = std::make_shared<binlog::TableMap>();
  table->database = "d";
  table->table = "t\"q";
  table->columns.resize(3);
  table->columns[0].name = "id";
  table->columns[1].name = "a";
  table->columns[2].name = "k2";
  RowChange change;
  change.kind = binlog::RowsKind::Update;
  change.table = table;
  change.keys.append(0, "1");
  change.keys.append(2, "\"z\"");
  change.after.append(1, "5");
  EXPECT_FALSE(change.changesKey());
  change.after.append(2, "\"y\"");
  EXPECT_TRUE(change.changesKey());
  EXPECT_EQ(columnsObject(*table, change.keysAfter()), R"({"id":1,"k2":"y"})");
  EXPECT_EQ(columnsObject(*table, change.keys), R"({"id":1,"k2":"z"})");
  EXPECT_EQ(changeType(binlog::RowsKind::Delete), "row_delete");
}

// The "keys" object inside a message body.
std::string_view keysIn(std::string_view body) {
  const size_t start = body.find("\"keys\":") + 7;
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = start; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      i += c == '\\' ? 1 : 0;
      in_string = c != '"';
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' && ++depth) {
    } else if (c == '}' && --depth == 0) {
      return body.substr(start, i + 1 - start);
    }
  }
  return {};
}

struct Compared {
  size_t rows = 0;
  size_t events = 0;
};

// Every rows event of `bytes`: the direct message and the rendered change must be the same bytes.
void compareFile(const std::vector<uint8_t>& bytes, const std::string& name, Compared& compared) {
  auto file = binlog::BinlogFile::open(bytes);
  ASSERT_TRUE(file.isOk()) << name;
  binlog::EventDecoder decoder;
  RowsFormatter direct;
  RowsFormatter typed;
  while (true) {
    auto event = file->next();
    if (!event.isOk() || !*event) {
      break;
    }
    auto decoded = decoder.decode(**event);
    if (!decoded.isOk()) {
      continue;  // the fixtures' own tests cover what does not decode
    }
    auto* rows = std::get_if<binlog::RowsEvent>(&decoded->body);
    if (rows == nullptr || rows->table == nullptr) {
      continue;
    }
    auto table = std::make_shared<const binlog::TableMap>(withPositionalNames(*rows->table));
    const RowOrigin origin{7, 1700000000, "binlog.000001", 1234, 0, "0-1-5"};
    std::vector<std::string> bodies, keys;
    Status written =
        direct.format(rows->header, table, origin, [&](uint64_t, std::string_view body) {
          bodies.emplace_back(body);
          keys.emplace_back(direct.lastKeys());
          return Status::ok();
        });
    const ChangeOrigin change_origin{7, "binlog.000001", 1234, 0, "0-1-5"};
    size_t row = 0;
    Status encoded = typed.encode(rows->header, table, change_origin, [&](RowChange& change) {
      EXPECT_LT(row, bodies.size()) << name;
      if (row < bodies.size()) {
        EXPECT_EQ(typed.render(change, 1700000000), bodies[row]) << name << " row " << row;
        EXPECT_EQ(keys[row], keysIn(bodies[row])) << name << " row " << row;
        EXPECT_EQ(columnsObject(*table, change.keys), keys[row]) << name << " row " << row;
      }
      ++row;
      return Status::ok();
    });
    EXPECT_EQ(written.isOk(), encoded.isOk())
        << name << ": " << written.toString() << " / " << encoded.toString();
    EXPECT_EQ(row, bodies.size()) << name;
    compared.rows += row;
    ++compared.events;
  }
}

TEST(RowChange, RenderedChangesAreTheDirectMessagesOfEveryRecordedRow) {
  const std::filesystem::path dir = MM_SHARED_FIXTURES_DIR;
  if (!std::filesystem::is_directory(dir)) {
    GTEST_SKIP() << "shared fixtures not found under " << dir;
  }
  Compared compared;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) {
      continue;
    }
    const std::vector<uint8_t> bytes = test::readFileBytes(entry.path().string());
    if (bytes.size() < 4 || !std::equal(bytes.begin(), bytes.begin() + 4, binlog::kBinlogMagic)) {
      continue;
    }
    compareFile(bytes, entry.path().string(), compared);
  }
  EXPECT_GT(compared.events, 100u);
  EXPECT_GT(compared.rows, 1000u) << "the fixtures must exercise many rows, or this proves little";
  RecordProperty("rows", static_cast<int>(compared.rows));
}

}  // namespace
}  // namespace mm::message
