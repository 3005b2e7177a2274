// Micro-benchmarks of the hot path of `mysql-monitor decode` and of the live transformer: one
// WRITE_ROWS event of 100 rows of a 10-column mixed-type table (the table decode_bench.sh
// generates), built in memory. BM_DecodeRowsEvent: EventDecoder + RowImageReader + decodeValue
// for every cell. BM_FormatRowsAsJson: the same event through RowsFormatter (JSON per row).
//   build/mm_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <zlib.h>

#include <optional>
#include <string_view>
#include <vector>

#include "binlog/column_type.h"
#include "binlog/column_value.h"
#include "binlog/event_decoder.h"
#include "binlog/event_type.h"
#include "message/rows_formatter.h"

namespace mm {
namespace {

using Bytes = std::vector<uint8_t>;
constexpr int kRows = 100;

void le(Bytes& out, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
}
void be(Bytes& out, uint64_t v, size_t n) {
  for (size_t i = n; i-- > 0;) {
    out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
}
void text(Bytes& out, std::string_view s) { out.insert(out.end(), s.begin(), s.end()); }

Bytes event(uint8_t type, const Bytes& body) {
  Bytes out;
  le(out, 1700000000, 4);
  out.push_back(type);
  le(out, 1, 4);
  le(out, 19 + body.size(), 4);
  le(out, 0, 4);
  le(out, 0, 2);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// MySQL 5.7 FORMAT_DESCRIPTION with checksums off.
Bytes formatDescription() {
  Bytes table(38, 0);
  table[binlog::QUERY_EVENT - 1] = 13;
  table[binlog::FORMAT_DESCRIPTION_EVENT - 1] = 57 + 38;
  table[binlog::TABLE_MAP_EVENT - 1] = 8;
  for (int t = binlog::WRITE_ROWS_EVENT; t <= binlog::DELETE_ROWS_EVENT; ++t) {
    table[t - 1] = 10;
  }
  Bytes body;
  le(body, 4, 2);
  Bytes version(50, 0);
  std::copy_n("5.7.44-log", 10, version.begin());
  body.insert(body.end(), version.begin(), version.end());
  le(body, 0, 4);
  body.push_back(19);
  body.insert(body.end(), table.begin(), table.end());
  body.push_back(0);  // checksum OFF: later events have none, but the FDE keeps its own CRC
  Bytes fde = event(binlog::FORMAT_DESCRIPTION_EVENT, body);
  fde[9] += 4;
  le(fde, crc32(crc32(0L, Z_NULL, 0), fde.data(), static_cast<uInt>(fde.size())), 4);
  return fde;
}

// bench.t (id INT, big BIGINT, name VARCHAR(32), score DOUBLE, price DECIMAL(10,2), created
// DATETIME, updated TIMESTAMP, day DATE, flag TINYINT, note TEXT), names in the metadata.
Bytes tableMap() {
  Bytes b;
  le(b, 108, 6);
  le(b, 1, 2);
  b.push_back(5);
  text(b, "bench");
  b.push_back(0);
  b.push_back(1);
  text(b, "t");
  b.push_back(0);
  b.push_back(10);
  for (uint8_t type :
       {binlog::MYSQL_TYPE_LONG, binlog::MYSQL_TYPE_LONGLONG, binlog::MYSQL_TYPE_VARCHAR,
        binlog::MYSQL_TYPE_DOUBLE, binlog::MYSQL_TYPE_NEWDECIMAL, binlog::MYSQL_TYPE_DATETIME2,
        binlog::MYSQL_TYPE_TIMESTAMP2, binlog::MYSQL_TYPE_DATE, binlog::MYSQL_TYPE_TINY,
        binlog::MYSQL_TYPE_BLOB}) {
    b.push_back(type);
  }
  const Bytes meta = {128, 0, 8, 10, 2,
                      0,   0, 2};  // VARCHAR 128 bytes, DOUBLE 8, DECIMAL(10,2), fsp 0, 0, TEXT 2
  b.push_back(static_cast<uint8_t>(meta.size()));
  b.insert(b.end(), meta.begin(), meta.end());
  le(b, 0x3FE, 2);  // null bitmap: every column but id nullable
  // Optional metadata: COLUMN_NAME (4) and DEFAULT_CHARSET (2) utf8mb4_general_ci (45).
  Bytes names;
  for (std::string_view name :
       {"id", "big", "name", "score", "price", "created", "updated", "day", "flag", "note"}) {
    names.push_back(static_cast<uint8_t>(name.size()));
    text(names, name);
  }
  b.push_back(4);
  b.push_back(static_cast<uint8_t>(names.size()));
  b.insert(b.end(), names.begin(), names.end());
  b.push_back(2);
  b.push_back(1);
  b.push_back(45);
  return event(binlog::TABLE_MAP_EVENT, b);
}

Bytes writeRows() {
  Bytes b;
  le(b, 108, 6);
  le(b, 1, 2);  // STMT_END_F
  le(b, 2, 2);  // no extra data
  b.push_back(10);
  le(b, 0x3FF, 2);  // every column present
  for (int i = 0; i < kRows; ++i) {
    le(b, 0, 2);  // null bitmap
    le(b, static_cast<uint64_t>(i), 4);
    le(b, 1000000000000ULL + static_cast<uint64_t>(i), 8);
    text(b, std::string_view("\x0fname-0000000000"));
    le(b, 0x40091EB851EB851FULL, 8);                    // 3.14
    b.insert(b.end(), {0x80, 0x00, 0x30, 0x39, 0x2D});  // 12345.45
    const uint64_t ym = 2024 * 13 + 1;
    const uint64_t packed =
        ((((ym << 5) | 15) << 17) | (10 << 12) | (20 << 6) | 30) + 0x8000000000ULL;
    be(b, packed, 5);  // 2024-01-15 10:20:30
    be(b, 1700000000, 4);
    le(b, 15 | (1 << 5) | (2024 << 9), 3);  // 2024-01-15
    b.push_back(1);
    le(b, 12, 2);
    text(b, "a short note");
  }
  return event(binlog::WRITE_ROWS_EVENT, b);
}

// The three events and a decoder that has seen the FORMAT_DESCRIPTION.
struct Fixture {
  Bytes fde = formatDescription();
  Bytes map = tableMap();
  Bytes rows = writeRows();
  binlog::EventDecoder decoder{
      {.checksum_before_format_description = false, .verify_checksums = false}};
  bool ready = decoder.decode(fde).isOk();

  // Decodes the TABLE_MAP and the rows event, as once per statement; null after SkipWithError.
  std::optional<binlog::DecodedEvent> decodeRows(benchmark::State& state) {
    auto map_event = decoder.decode(map);
    auto decoded = decoder.decode(rows);
    if (!ready || !map_event.isOk() || !decoded.isOk()) {
      state.SkipWithError(decoded.isOk() ? "FORMAT_DESCRIPTION or TABLE_MAP"
                                         : decoded.status().toString().c_str());
      return std::nullopt;
    }
    return std::move(*decoded);
  }
};

void BM_DecodeRowsEvent(benchmark::State& state) {
  Fixture f;
  std::vector<binlog::Cell> cells;
  binlog::CellValue value;
  for (auto _ : state) {
    auto decoded = f.decodeRows(state);
    if (!decoded) {
      return;
    }
    const auto& rows = std::get<binlog::RowsEvent>(decoded->body);
    binlog::RowImageReader reader(rows.header, *rows.table);
    while (!reader.done()) {
      if (!reader.next(cells).isOk()) {
        state.SkipWithError("row image");
        return;
      }
      for (size_t i = 0; i < cells.size(); ++i) {
        if (cells[i].state == binlog::Cell::State::Value &&
            !binlog::decodeValue(rows.table->columns[i], cells[i].bytes, value).isOk()) {
          state.SkipWithError("value");
          return;
        }
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * kRows);
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * (f.map.size() + f.rows.size())));
}
BENCHMARK(BM_DecodeRowsEvent);

void BM_FormatRowsAsJson(benchmark::State& state) {
  Fixture f;
  message::RowsFormatter formatter;
  size_t bytes = 0;
  for (auto _ : state) {
    auto decoded = f.decodeRows(state);
    if (!decoded) {
      return;
    }
    const auto& rows = std::get<binlog::RowsEvent>(decoded->body);
    Status st =
        formatter.format(rows.header, *rows.table, message::RowOrigin{1700000000, 1700000000},
                         [&](uint64_t, std::string_view body) {
                           bytes += body.size();
                           return Status::ok();
                         });
    if (!st.isOk()) {
      state.SkipWithError(st.toString().c_str());
      return;
    }
  }
  benchmark::DoNotOptimize(bytes);
  state.SetItemsProcessed(state.iterations() * kRows);
}
BENCHMARK(BM_FormatRowsAsJson);

}  // namespace
}  // namespace mm
