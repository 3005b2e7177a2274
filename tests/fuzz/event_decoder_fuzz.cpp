// libFuzzer target over EventDecoder: the first byte picks the decoder's setup, the rest is
// events back to back, each as long as its header says (cut at the end of the input). Every
// decoded rows event is walked with RowImageReader and every value decoded with decodeValue; the
// inner events of TRANSACTION_PAYLOAD go through decodeInner. Any crash, sanitizer report or
// over-read is a bug in src/binlog; errors are fine. Seeds: make_seed_corpus.cpp.
//
// Setup byte: bit 0 verifies CRC32s (off by default so mutations reach the body decoders);
// bits 1-2 prepend a built-in FORMAT_DESCRIPTION (0: none, the input brings its own; 1: MySQL
// 8.0; 2: MariaDB 10.5; 3: MySQL 5.0, pre-checksum), all without checksums.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "binlog/column_value.h"
#include "binlog/event_decoder.h"
#include "binlog/event_type.h"
#include "binlog/rows_event.h"

namespace {

using mm::binlog::DecodedEvent;
using mm::binlog::EventDecoder;

void putLe(std::vector<uint8_t>& out, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
}

// A FORMAT_DESCRIPTION with `types` post-header lengths, checksum algorithm OFF (or none at all
// for a pre-5.6 server), as the server writes it (docs/binlog-format.md §1.2).
std::vector<uint8_t> formatDescription(std::string_view version, size_t types, bool has_alg) {
  std::vector<uint8_t> table(types, 0);
  auto set = [&](uint8_t type, uint8_t len) {
    if (type <= types) {
      table[type - 1] = len;
    }
  };
  set(mm::binlog::QUERY_EVENT, 13);
  set(mm::binlog::ROTATE_EVENT, 8);
  set(mm::binlog::FORMAT_DESCRIPTION_EVENT, static_cast<uint8_t>(57 + types));
  set(mm::binlog::TABLE_MAP_EVENT, 8);
  for (uint8_t t = 23; t <= 25; ++t)
    set(t, 8);
  for (uint8_t t = 30; t <= 32; ++t)
    set(t, 10);
  set(mm::binlog::GTID_LOG_EVENT, 42);
  set(mm::binlog::ANONYMOUS_GTID_LOG_EVENT, 42);
  set(mm::binlog::PARTIAL_UPDATE_ROWS_EVENT, 10);
  set(mm::binlog::TRANSACTION_PAYLOAD_EVENT, 40);
  set(mm::binlog::GTID_EVENT, 19);
  set(mm::binlog::QUERY_COMPRESSED_EVENT, 13);
  for (uint8_t t = 166; t <= 168; ++t)
    set(t, 8);
  for (uint8_t t = 169; t <= 171; ++t)
    set(t, 10);
  std::vector<uint8_t> body;
  putLe(body, 4, 2);
  std::vector<uint8_t> name(50, 0);
  std::copy(version.begin(), version.end(), name.begin());
  body.insert(body.end(), name.begin(), name.end());
  putLe(body, 0, 4);
  body.push_back(19);
  body.insert(body.end(), table.begin(), table.end());
  if (has_alg) {
    body.push_back(0);  // checksum OFF; the FDE itself still carries a CRC (zeros: unverified)
    putLe(body, 0, 4);
  }
  std::vector<uint8_t> event;
  putLe(event, 0, 4);
  event.push_back(mm::binlog::FORMAT_DESCRIPTION_EVENT);
  putLe(event, 1, 4);
  putLe(event, 19 + body.size(), 4);
  putLe(event, 0, 4);
  putLe(event, 0, 2);
  event.insert(event.end(), body.begin(), body.end());
  return event;
}

void walkRows(const mm::binlog::RowsEvent& rows) {
  mm::binlog::RowImageReader reader(rows.header, *rows.table);
  std::vector<mm::binlog::Cell> cells;
  mm::binlog::CellValue value;
  while (!reader.done()) {
    if (!reader.next(cells).isOk()) {
      return;
    }
    for (size_t i = 0; i < cells.size(); ++i) {
      if (cells[i].state == mm::binlog::Cell::State::Value) {
        (void)mm::binlog::decodeValue(rows.table->columns[i], cells[i].bytes, value);
      }
    }
  }
}

void handle(EventDecoder& decoder, const DecodedEvent& event) {
  if (const auto* rows = std::get_if<mm::binlog::RowsEvent>(&event.body)) {
    walkRows(*rows);
  } else if (const auto* payload = std::get_if<mm::binlog::TransactionPayloadEvent>(&event.body)) {
    mm::binlog::TransactionPayloadReader inner(*payload);
    for (;;) {
      auto next = inner.next();
      if (!next.isOk() || !next->has_value()) {
        return;
      }
      auto decoded = decoder.decodeInner(**next);
      if (decoded.isOk()) {
        handle(decoder, *decoded);
      }
    }
  }
}

void decodeAll(EventDecoder& decoder, std::span<const uint8_t> bytes) {
  while (bytes.size() >= mm::binlog::LOG_EVENT_HEADER_LEN) {
    const uint32_t declared =
        static_cast<uint32_t>(bytes[9]) | (static_cast<uint32_t>(bytes[10]) << 8) |
        (static_cast<uint32_t>(bytes[11]) << 16) | (static_cast<uint32_t>(bytes[12]) << 24);
    const size_t size = std::min<size_t>(
        std::max<size_t>(declared, mm::binlog::LOG_EVENT_HEADER_LEN), bytes.size());
    // A copy of exactly the event's bytes, so any read past it is a heap overflow ASan reports.
    const std::vector<uint8_t> event(bytes.begin(),
                                     bytes.begin() + static_cast<std::ptrdiff_t>(size));
    auto decoded = decoder.decode(event);
    if (decoded.isOk()) {
      handle(decoder, *decoded);
    }
    bytes = bytes.subspan(size);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const uint8_t setup = data[0];
  EventDecoder decoder(mm::binlog::EventDecoderOptions{false, (setup & 1) != 0});
  switch ((setup >> 1) & 3) {
    case 1: (void)decoder.decode(formatDescription("8.0.40", 41, true)); break;
    case 2: (void)decoder.decode(formatDescription("10.5.15-MariaDB-log", 171, true)); break;
    case 3: (void)decoder.decode(formatDescription("5.0.96-log", 27, false)); break;
    default: break;
  }
  decodeAll(decoder, std::span<const uint8_t>(data + 1, size - 1));
  return 0;
}
