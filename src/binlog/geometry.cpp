#include "binlog/geometry.h"

#include <bit>
#include <iterator>
#include <string_view>

#include <fmt/format.h>

#include "binlog/json_text.h"
#include "common/byte_reader.h"

namespace mm::binlog {
namespace {

enum WkbType : uint32_t {
  WKB_POINT = 1,
  WKB_LINESTRING = 2,
  WKB_POLYGON = 3,
  WKB_MULTIPOINT = 4,
  WKB_MULTILINESTRING = 5,
  WKB_MULTIPOLYGON = 6,
  WKB_GEOMETRYCOLLECTION = 7,
};

// Collections may nest; the cap bounds the recursion on corrupt input.
constexpr int kMaxDepth = 32;
constexpr size_t kPointBytes = 16;
constexpr size_t kWkbHeaderBytes = 5;

std::string_view typeName(uint32_t type) {
  switch (type) {
    case WKB_POINT: return "POINT";
    case WKB_LINESTRING: return "LINESTRING";
    case WKB_POLYGON: return "POLYGON";
    case WKB_MULTIPOINT: return "MULTIPOINT";
    case WKB_MULTILINESTRING: return "MULTILINESTRING";
    case WKB_MULTIPOLYGON: return "MULTIPOLYGON";
    case WKB_GEOMETRYCOLLECTION: return "GEOMETRYCOLLECTION";
    default: return {};
  }
}

Status corrupt(std::string_view what) {
  return Status::corruption(fmt::format("GEOMETRY value: {}", what));
}

// Reads one WKB geometry's numbers in the byte order its header names.
class WkbReader {
 public:
  explicit WkbReader(ByteReader& r) : r_(r) {}

  Status geometry(std::string& out, int depth) {
    if (depth > kMaxDepth) {
      return corrupt(fmt::format("collections nested deeper than {}", kMaxDepth));
    }
    uint32_t type = 0;
    MM_RETURN_IF_ERROR(header(type));
    if (!r_.ok()) {
      return corrupt("WKB header truncated");
    }
    const std::string_view name = typeName(type);
    if (name.empty()) {
      return corrupt(fmt::format("unknown WKB geometry type {}", type));
    }
    out += name;
    Status st = body(type, out, depth);
    if (st.isOk() && !r_.ok()) {
      st = corrupt(fmt::format("{} truncated", name));
    }
    return st;
  }

 private:
  // A WKB header: the byte order, which the numbers after it follow, and the geometry type.
  Status header(uint32_t& type) {
    const uint8_t order = r_.u8();
    if (r_.ok() && order > 1) {
      return corrupt(fmt::format("byte order {} is neither 0 (big) nor 1 (little endian)", order));
    }
    big_endian_ = order == 0;
    type = u32();
    return Status::ok();
  }

  Status body(uint32_t type, std::string& out, int depth) {
    if (type == WKB_POINT) {
      return pointInParentheses(out);
    }
    const uint32_t count = u32();
    // Every part takes at least 4 bytes (a count) or a point; checked before looping.
    const size_t min_part = type == WKB_LINESTRING ? kPointBytes
                            : type == WKB_POLYGON  ? 4
                                                   : kWkbHeaderBytes;
    if (!r_.ok() || count > r_.remaining() / min_part) {
      return corrupt(fmt::format("{} of {} parts does not fit the {} bytes left", typeName(type),
                                 count, r_.remaining()));
    }
    if (count == 0) {
      out += " EMPTY";
      return Status::ok();
    }
    return list(count, out, [&] {
      switch (type) {
        case WKB_LINESTRING: return point(out);
        case WKB_POLYGON: return points(out);
        case WKB_GEOMETRYCOLLECTION: return geometry(out, depth + 1);
        default: return part(type - 3, out);  // MULTI* hold POINT/LINESTRING/POLYGON
      }
    });
  }

  // "(a,b,...)": `count` items, each written by `item`.
  template <typename Item>
  Status list(uint32_t count, std::string& out, Item item) {
    out.push_back('(');
    for (uint32_t i = 0; i < count; ++i) {
      if (i > 0) {
        out.push_back(',');
      }
      MM_RETURN_IF_ERROR(item());
    }
    out.push_back(')');
    return Status::ok();
  }

  // A member of a MULTI* geometry: a whole WKB geometry of the expected type, without its name.
  Status part(uint32_t expected, std::string& out) {
    uint32_t type = 0;
    MM_RETURN_IF_ERROR(header(type));
    if (r_.ok() && type != expected) {
      return corrupt(fmt::format("{} inside a MULTI{}",
                                 typeName(type).empty() ? "unknown type" : typeName(type),
                                 typeName(expected)));
    }
    if (type == WKB_POINT) {
      return pointInParentheses(out);
    }
    if (type == WKB_POLYGON) {
      return polygonRings(out);
    }
    return points(out);
  }

  Status polygonRings(std::string& out) {
    const uint32_t rings = u32();
    if (!r_.ok() || rings > r_.remaining() / 4) {
      return corrupt("POLYGON ring count past the end");
    }
    return list(rings, out, [&] { return points(out); });
  }

  // A LINESTRING's or a ring's (x y,x y,...), count first.
  Status points(std::string& out) {
    const uint32_t count = u32();
    if (!r_.ok() || count > r_.remaining() / kPointBytes) {
      return corrupt(fmt::format("{} points do not fit the {} bytes left", count, r_.remaining()));
    }
    return list(count, out, [&] { return point(out); });
  }

  Status pointInParentheses(std::string& out) {
    out.push_back('(');
    MM_RETURN_IF_ERROR(point(out));
    out.push_back(')');
    return Status::ok();
  }

  Status point(std::string& out) {
    const double x = f64();
    const double y = f64();
    if (!r_.ok()) {
      return corrupt("point truncated");
    }
    if (!appendJsonNumber(x, out)) {
      return corrupt("coordinate is not finite");
    }
    out.push_back(' ');
    if (!appendJsonNumber(y, out)) {
      return corrupt("coordinate is not finite");
    }
    return Status::ok();
  }

  uint32_t u32() { return static_cast<uint32_t>(big_endian_ ? r_.uintBe(4) : r_.u32le()); }

  double f64() { return big_endian_ ? std::bit_cast<double>(r_.uintBe(8)) : r_.f64le(); }

  ByteReader& r_;
  bool big_endian_ = false;
};

}  // namespace

Status appendGeometryWkt(std::span<const uint8_t> value, std::string& out) {
  ByteReader r(value);
  const uint32_t srid = r.u32le();
  if (!r.ok()) {
    return corrupt("SRID truncated");
  }
  if (srid != 0) {
    fmt::format_to(std::back_inserter(out), "SRID={};", srid);
  }
  WkbReader wkb(r);
  MM_RETURN_IF_ERROR(wkb.geometry(out, 0));
  if (!r.empty()) {
    return corrupt(fmt::format("{} bytes after the geometry", r.remaining()));
  }
  return Status::ok();
}

}  // namespace mm::binlog
