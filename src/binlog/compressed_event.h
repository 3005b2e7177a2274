// MariaDB's compressed events (10.2+, log_bin_compress): QUERY_COMPRESSED_EVENT (165) and the
// compressed rows events (166-171) share the layout of their uncompressed types except that the
// query text, or the rows after the column bitmaps, is a compressed field. Layout:
// docs/binlog-format.md §2.7; MariaDB sql/log_event.cc binlog_get_uncompress_len and
// binlog_buf_uncompress.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"

namespace mm::binlog {

// The uncompressed type of a MariaDB compressed event (165 -> QUERY_EVENT, 166 ->
// WRITE_ROWS_EVENT_V1, ..., 171 -> DELETE_ROWS_EVENT), or 0 for any other type.
uint8_t mariadbUncompressedType(uint8_t type);

// Decompresses a compressed field: a header byte 0x80 | lenlen (algorithm 0 = zlib, the only
// one), the uncompressed length in lenlen (1-4) big-endian bytes, then a zlib stream that must
// fill exactly that length and end with the field. Appends to `out` (reused by the caller).
// Corruption otherwise; the caller names the event.
Status decompressMariadbField(std::span<const uint8_t> field, std::vector<uint8_t>& out);

}  // namespace mm::binlog
