// GEOMETRY values (column type 255) -> WKT text. Layout: docs/binlog-format.md §4.8: a
// 4-byte little-endian SRID, then OGC WKB (each geometry names its own byte order).
//
// Output follows MySQL 8's ST_AsText(): "POINT(1 2)", "LINESTRING(0 0,1 1)", "POLYGON((0 0,1 0,0
// 0))", "MULTIPOINT((1 2),(3 4))", "GEOMETRYCOLLECTION(POINT(1 2))", "... EMPTY" for no parts, with
// "SRID=n;" in front when the SRID is not 0 (EWKT). Coordinates are the shortest text that reads
// back to the same double. Pure function; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "common/status.h"

namespace mm::binlog {

// Appends the WKT of `value` (SRID + WKB, the length prefix removed). Errors (Corruption) name the
// geometry type and what is wrong.
Status appendGeometryWkt(std::span<const uint8_t> value, std::string& out);

}  // namespace mm::binlog
