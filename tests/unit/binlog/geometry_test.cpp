// GEOMETRY values -> WKT (docs/binlog-format.md §4.8): SRID + WKB built from the OGC layout.
#include "binlog/geometry.h"

#include <gtest/gtest.h>

#include <bit>
#include <limits>
#include <string>

#include "support/binlog_bytes.h"

namespace mm::binlog {
namespace {

using test::Bytes;

// A WKB writer for the tests, little-endian unless told otherwise.
struct Wkb {
  Bytes bytes;
  bool big = false;
  Wkb& u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) {
      bytes.push_back(static_cast<uint8_t>(big ? v >> (8 * (3 - i)) : v >> (8 * i)));
    }
    return *this;
  }
  Wkb& f64(double d) {
    const auto v = std::bit_cast<uint64_t>(d);
    for (int i = 0; i < 8; ++i) {
      bytes.push_back(static_cast<uint8_t>(big ? v >> (8 * (7 - i)) : v >> (8 * i)));
    }
    return *this;
  }
  Wkb& header(uint32_t type) {
    bytes.push_back(big ? 0 : 1);
    return u32(type);
  }
  Wkb& point(double x, double y) { return f64(x).f64(y); }
};

Wkb bigEndian() {
  Wkb w;
  w.big = true;
  return w;
}

Bytes withSrid(uint32_t srid, const Bytes& wkb) {
  Bytes out;
  test::appendLe(out, srid, 4);
  out.insert(out.end(), wkb.begin(), wkb.end());
  return out;
}

std::string wkt(const Bytes& value) {
  std::string out;
  Status st = appendGeometryWkt(value, out);
  EXPECT_TRUE(st.isOk()) << st.toString();
  return out;
}

TEST(Geometry, EveryTypeInMysqlWkt) {
  // ST_GeomFromText('POINT(1 2)')
  EXPECT_EQ(wkt(withSrid(0, Wkb{}.header(1).point(1, 2).bytes)), "POINT(1 2)");
  // ST_GeomFromText('POINT(1.5 -0.1)', 4326)
  EXPECT_EQ(wkt(withSrid(4326, Wkb{}.header(1).point(1.5, -0.1).bytes)),
            "SRID=4326;POINT(1.5 -0.1)");
  // The same point in big-endian WKB.
  EXPECT_EQ(wkt(withSrid(0, bigEndian().header(1).point(1, 2).bytes)), "POINT(1 2)");
  EXPECT_EQ(wkt(withSrid(0, Wkb{}.header(2).u32(2).point(0, 0).point(1, 1).bytes)),
            "LINESTRING(0 0,1 1)");
  EXPECT_EQ(
      wkt(withSrid(
          0, Wkb{}.header(3).u32(1).u32(4).point(0, 0).point(1, 0).point(1, 1).point(0, 0).bytes)),
      "POLYGON((0 0,1 0,1 1,0 0))");
  EXPECT_EQ(
      wkt(withSrid(0, Wkb{}.header(4).u32(2).header(1).point(1, 2).header(1).point(3, 4).bytes)),
      "MULTIPOINT((1 2),(3 4))");
  EXPECT_EQ(wkt(withSrid(0, Wkb{}.header(5).u32(1).header(2).u32(2).point(0, 0).point(1, 1).bytes)),
            "MULTILINESTRING((0 0,1 1))");
  EXPECT_EQ(wkt(withSrid(0, Wkb{}
                                .header(6)
                                .u32(1)
                                .header(3)
                                .u32(1)
                                .u32(3)
                                .point(0, 0)
                                .point(1, 0)
                                .point(0, 0)
                                .bytes)),
            "MULTIPOLYGON(((0 0,1 0,0 0)))");
  EXPECT_EQ(wkt(withSrid(0, Wkb{}
                                .header(7)
                                .u32(2)
                                .header(1)
                                .point(1, 2)
                                .header(2)
                                .u32(2)
                                .point(0, 0)
                                .point(1, 1)
                                .bytes)),
            "GEOMETRYCOLLECTION(POINT(1 2),LINESTRING(0 0,1 1))");
  EXPECT_EQ(wkt(withSrid(0, Wkb{}.header(7).u32(0).bytes)), "GEOMETRYCOLLECTION EMPTY");
  // Mixed byte orders inside one collection: each WKB names its own.
  Wkb mixed;
  mixed.header(7).u32(1);
  mixed.big = true;
  mixed.header(1).point(5, 6);
  EXPECT_EQ(wkt(withSrid(0, mixed.bytes)), "GEOMETRYCOLLECTION(POINT(5 6))");
}

TEST(Geometry, MalformedWkbIsCorruptionNamingTheProblem) {
  const std::vector<std::pair<Bytes, std::string>> cases = {
      {withSrid(0, Wkb{}.header(8).bytes), "unknown WKB geometry type 8"},
      {withSrid(0, Bytes{2, 1, 0, 0, 0}), "byte order 2"},
      {withSrid(0, Wkb{}.header(2).u32(1000).point(0, 0).bytes), "1000 parts does not fit"},
      {withSrid(0, Wkb{}.header(4).u32(1).header(2).u32(0).bytes),
       "LINESTRING inside a MULTIPOINT"},
      {withSrid(0, Wkb{}.header(1).point(1, 2).u32(7).bytes), "4 bytes after the geometry"},
      {withSrid(0, Wkb{}.header(1).point(std::numeric_limits<double>::infinity(), 0).bytes),
       "not finite"},
  };
  for (const auto& [value, message] : cases) {
    std::string out;
    Status st = appendGeometryWkt(value, out);
    ASSERT_FALSE(st.isOk()) << message;
    EXPECT_EQ(st.code(), StatusCode::Corruption);
    EXPECT_NE(st.message().find(message), std::string::npos) << st.message();
  }
}

TEST(Geometry, NestedCollectionsDeeperThan32AreCorruption) {
  Wkb deep;
  for (int i = 0; i < 40; ++i) {
    deep.header(7).u32(1);
  }
  deep.header(1).point(0, 0);
  std::string out;
  Status st = appendGeometryWkt(withSrid(0, deep.bytes), out);
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("nested deeper than 32"), std::string::npos) << st.message();
}

TEST(Geometry, EveryPrefixFails) {
  const Bytes value = withSrid(3857, Wkb{}
                                         .header(7)
                                         .u32(2)
                                         .header(1)
                                         .point(1, 2)
                                         .header(3)
                                         .u32(1)
                                         .u32(3)
                                         .point(0, 0)
                                         .point(1, 0)
                                         .point(0, 0)
                                         .bytes);
  test::expectEveryPrefixFails(value, [](std::span<const uint8_t> prefix) -> Result<std::string> {
    std::string out;
    MM_RETURN_IF_ERROR(appendGeometryWkt(prefix, out));
    return out;
  });
}

}  // namespace
}  // namespace mm::binlog
