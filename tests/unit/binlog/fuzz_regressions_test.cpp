// Inputs tests/fuzz/event_decoder_fuzz.cpp found that crashed, over-read or hung the decoder: each
// must now give an error value. Named after what went wrong.
#include <gtest/gtest.h>

#include "binlog/column_type.h"
#include "binlog/event_decoder.h"
#include "support/binlog_bytes.h"

namespace mm::binlog {
namespace {

using test::Bytes;
using test::makeEvent;

TEST(FuzzRegression, RowsEventWithNoColumnPresentIsCorruptionNotAnEndlessLoop) {
  // WRITE_ROWS (v2) for shop.t (one INT) whose columns-present bitmap is empty, followed by rows
  // bytes: an image of no columns takes no bytes, so walking the rows never ended.
  EventDecoder decoder;
  ASSERT_TRUE(decoder.decode(test::mysql57FormatDescription()).isOk());
  const Bytes table_map = {
      0x6C, 0,   0, 0, 0, 0, 0x01, 0x00, 4, 's', 'h', 'o', 'p', 0, 1, 't', 0, 0x01, MYSQL_TYPE_LONG,
      0x00, 0x00};
  ASSERT_TRUE(decoder.decode(makeEvent(TABLE_MAP_EVENT, table_map)).isOk());
  const Bytes write_rows = {0x6C, 0,    0,    0,    0,    0,    0x01, 0x00,
                            0x02, 0x00, 0x01, 0x00, 0x00, 0x2A, 0x00};
  const Bytes event = makeEvent(WRITE_ROWS_EVENT, write_rows);
  auto decoded = decoder.decode(event);
  ASSERT_TRUE(decoded.isOk()) << decoded.status().toString();
  const auto& rows = std::get<RowsEvent>(decoded->body);
  RowImageReader reader(rows.header, *rows.table);
  std::vector<Cell> cells;
  ASSERT_FALSE(reader.done());
  Status st = reader.next(cells);
  EXPECT_EQ(st.code(), StatusCode::Corruption);
  EXPECT_NE(st.message().find("no column present but 3 bytes of rows left"), std::string::npos)
      << st.message();
}

}  // namespace
}  // namespace mm::binlog
