// Collation ids -> charsets and the conversion to UTF-8 (docs/binlog-format.md §4.9).
#include "binlog/charset.h"

#include <gtest/gtest.h>

#include <string>

#include "support/binlog_bytes.h"

namespace mm::binlog {
namespace {

TEST(Charset, CollationIdsOfMysqlAndMariadb) {
  EXPECT_EQ(charsetOfCollation(255), Charset::Utf8mb4);   // MySQL 8 utf8mb4_0900_ai_ci
  EXPECT_EQ(charsetOfCollation(309), Charset::Utf8mb4);   // utf8mb4_0900_bin
  EXPECT_EQ(charsetOfCollation(45), Charset::Utf8mb4);    // MariaDB default utf8mb4_general_ci
  EXPECT_EQ(charsetOfCollation(2304), Charset::Utf8mb4);  // MariaDB 11 utf8mb4_uca1400_ai_ci
  EXPECT_EQ(charsetOfCollation(33), Charset::Utf8mb3);
  EXPECT_EQ(charsetOfCollation(76), Charset::Utf8mb3);  // MySQL 8 utf8mb3_tolower_ci
  EXPECT_EQ(charsetOfCollation(2048), Charset::Utf8mb3);
  EXPECT_EQ(charsetOfCollation(8), Charset::Latin1);
  EXPECT_EQ(charsetOfCollation(1032), Charset::Latin1);  // MariaDB latin1_swedish_nopad_ci
  EXPECT_EQ(charsetOfCollation(65), Charset::Ascii);
  EXPECT_EQ(charsetOfCollation(35), Charset::Ucs2);
  EXPECT_EQ(charsetOfCollation(2560), Charset::Ucs2);
  EXPECT_EQ(charsetOfCollation(54), Charset::Utf16);
  EXPECT_EQ(charsetOfCollation(62), Charset::Utf16le);
  EXPECT_EQ(charsetOfCollation(183), Charset::Utf32);
  EXPECT_EQ(charsetOfCollation(63), Charset::Binary);
  EXPECT_EQ(charsetOfCollation(0), Charset::Unknown);    // not logged
  EXPECT_EQ(charsetOfCollation(3), Charset::Unknown);    // dec8: not transcoded
  EXPECT_EQ(charsetOfCollation(248), Charset::Unknown);  // MySQL gb18030
  EXPECT_EQ(charsetOfCollation(100000), Charset::Unknown);
}

TEST(Charset, NamesFromInformationSchema) {
  EXPECT_EQ(charsetByName("utf8mb4"), Charset::Utf8mb4);
  EXPECT_EQ(charsetByName("utf8"), Charset::Utf8mb3);
  EXPECT_EQ(charsetByName("utf8mb3"), Charset::Utf8mb3);
  EXPECT_EQ(charsetByName("latin1"), Charset::Latin1);
  EXPECT_EQ(charsetByName("utf16le"), Charset::Utf16le);
  EXPECT_EQ(charsetByName("binary"), Charset::Binary);
  EXPECT_EQ(charsetByName(""), Charset::Unknown);
  for (Charset c :
       {Charset::Utf8mb4, Charset::Utf8mb3, Charset::Latin1, Charset::Ascii, Charset::Ucs2,
        Charset::Utf16, Charset::Utf16le, Charset::Utf32, Charset::Binary}) {
    EXPECT_EQ(charsetOfCollation(defaultCollationOf(c)), c);
  }
}

TEST(Charset, Utf8Validation) {
  auto valid = [](std::string_view s) {
    return isValidUtf8({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
  };
  EXPECT_TRUE(valid("caf\xC3\xA9 \xF0\x9F\x98\x80"));
  EXPECT_FALSE(valid("\xC0\x80"));          // overlong NUL
  EXPECT_FALSE(valid("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(valid("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(valid("\xE2\x82"));          // truncated
}

TEST(Charset, Latin1IsWindows1252) {
  const test::Bytes all = [] {
    test::Bytes b;
    for (int i = 0x80; i < 0xA0; ++i) {
      b.push_back(static_cast<uint8_t>(i));
    }
    return b;
  }();
  std::string out;
  transcodeToUtf8(Charset::Latin1, all, out);
  EXPECT_EQ(out.substr(0, 3), "\xE2\x82\xAC");        // 0x80 €
  EXPECT_EQ(out.substr(out.size() - 2), "\xC5\xB8");  // 0x9F Ÿ
  EXPECT_TRUE(isValidUtf8({reinterpret_cast<const uint8_t*>(out.data()), out.size()}));
}

TEST(Charset, CollationNamesNameTheirCharset) {
  EXPECT_EQ(charsetOfCollationName("latin1_swedish_ci"), Charset::Latin1);
  EXPECT_EQ(charsetOfCollationName("UTF8MB4_0900_AI_CI"), Charset::Utf8mb4);
  EXPECT_EQ(charsetOfCollationName("utf8_general_ci"), Charset::Utf8mb3);
  EXPECT_EQ(charsetOfCollationName("binary"), Charset::Binary);
  EXPECT_EQ(charsetOfCollationName("cp1251_bin"), Charset::Unknown);
  EXPECT_EQ(charsetOfCollationName(""), Charset::Unknown);
  for (Charset c : {Charset::Utf8mb4, Charset::Latin1, Charset::Utf16le, Charset::Binary}) {
    EXPECT_EQ(charsetByName(charsetName(c)), c);
  }
  EXPECT_EQ(charsetName(Charset::Unknown), "");
}

}  // namespace
}  // namespace mm::binlog
