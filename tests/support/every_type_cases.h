// The every-type table of the live tests: a column of every MariaDB type (all fractional
// precisions of the temporals, ENUM of 300 members, SET of 64, text in three charsets), the SQL
// literal of its row 1 and the value a message carries for it.
// tests/integration/every_type_test.cpp checks the messages against it;
// tests/integration/snapshot_reader_test.cpp the snapshot's reads. Header-only.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace mm::test {

// Each column: name, type, the SQL literal of row 1, and the value the message must carry (as
// RapidJSON writes it back: compact, doubles shortest).
struct TypeCase {
  std::string name;
  std::string type;
  std::string literal;
  std::string json;
};

inline std::string members(const char* prefix, int count) {
  std::string out;
  for (int i = 1; i <= count; ++i) {
    out += fmt::format("{}'{}{}'", i == 1 ? "" : ",", prefix, i);
  }
  return out;
}

inline std::vector<TypeCase> typeCases() {
  const std::string big_text(5000, 'x');
  const std::string fractions = "123456";
  std::vector<TypeCase> cases = {
      {"ti", "TINYINT", "-128", "-128"},
      {"tiu", "TINYINT UNSIGNED", "255", "255"},
      {"si", "SMALLINT", "-32768", "-32768"},
      {"siu", "SMALLINT UNSIGNED", "65535", "65535"},
      {"mi", "MEDIUMINT", "-8388608", "-8388608"},
      {"miu", "MEDIUMINT UNSIGNED", "16777215", "16777215"},
      {"i", "INT", "-2147483648", "-2147483648"},
      {"iu", "INT UNSIGNED", "4294967295", "4294967295"},
      {"bi", "BIGINT", "-9223372036854775808", "-9223372036854775808"},
      {"biu", "BIGINT UNSIGNED", "18446744073709551615", "18446744073709551615"},
      {"f", "FLOAT", "1.1", "1.1"},
      {"d", "DOUBLE", "-1.7976931348623157e308", "-1.7976931348623157e308"},
      {"dmax", "DECIMAL(65,30)", "-" + std::string(35, '9') + "." + std::string(30, '9'),
       "\"-" + std::string(35, '9') + "." + std::string(30, '9') + "\""},
      {"dsmall", "DECIMAL(5,2)", "0.5", "\"0.50\""},
      {"b1", "BIT(1)", "b'1'", "1"},
      {"b64", "BIT(64)", "b'" + std::string(64, '1') + "'", "18446744073709551615"},
      {"y", "YEAR", "2155", "2155"},
      // A signed column after YEAR: MariaDB's SIGNEDNESS metadata has a bit for YEAR.
      {"iy", "INT", "-7", "-7"},
      {"da", "DATE", "'2024-02-29'", "\"2024-02-29\""},
      {"c", "CHAR(10)", "'h\xC3\xA9llo'", "\"h\xC3\xA9llo\""},
      {"vc", "VARCHAR(100)", "'emoji \xF0\x9F\x98\x80 \xE2\x9C\x93 \"q\" \\\\'",
       R"("emoji 😀 ✓ \"q\" \\")"},
      {"txt", "TEXT", "'" + big_text + "'", "\"" + big_text + "\""},
      {"vl1", "VARCHAR(20) CHARACTER SET latin1", "'caf\xC3\xA9 \xE2\x82\xAC'",
       "\"caf\xC3\xA9 \xE2\x82\xAC\""},
      {"vu16", "VARCHAR(20) CHARACTER SET utf16", "'A\xF0\x9F\x98\x80'", "\"A\xF0\x9F\x98\x80\""},
      {"bin", "BINARY(4)", "'a'", R"("YQAAAA==")"},
      {"vbin", "VARBINARY(10)", "x'00FF'", R"("AP8=")"},
      {"bl", "BLOB", "x'DEADBEEF'", R"("3q2+7w==")"},
      {"e", fmt::format("ENUM({})", members("m", 300)), "'m300'", R"("m300")"},
      {"s", fmt::format("SET({})", members("s", 64)), "'s1,s64'", R"(["s1","s64"])"},
      {"j", "JSON", "'{\"k\": [1, 2.5, \"\xC3\xA9\", null, true], \"big\": \"" + big_text + "\"}'",
       R"({"k":[1,2.5,"é",null,true],"big":")" + big_text + "\"}"},
      {"g", "GEOMETRY", "ST_GeomFromText('POINT(1 2)')", "\"POINT(1 2)\""},
      {"gs", "GEOMETRY", "ST_GeomFromText('LINESTRING(0 0,1.5 -2)', 4326)",
       "\"SRID=4326;LINESTRING(0 0,1.5 -2)\""},
      {"n", "INT", "NULL", "null"},
  };
  // Every fractional precision: DATETIME(p), TIMESTAMP(p) (UTC, the session zone is +00:00) and
  // negative TIME(p).
  for (int p = 0; p <= 6; ++p) {
    const std::string frac = p == 0 ? "" : "." + fractions.substr(0, p);
    cases.push_back({fmt::format("dt{}", p), fmt::format("DATETIME({})", p),
                     "'2024-02-29 23:59:59" + frac + "'", "\"2024-02-29T23:59:59" + frac + "\""});
    cases.push_back({fmt::format("ts{}", p), fmt::format("TIMESTAMP({}) NULL", p),
                     "'2038-01-19 03:14:07" + frac + "'", "\"2038-01-19T03:14:07" + frac + "Z\""});
    cases.push_back({fmt::format("t{}", p), fmt::format("TIME({})", p), "'-838:59:58" + frac + "'",
                     "\"-838:59:58" + frac + "\""});
  }
  cases.push_back({"tneg", "TIME(2)", "'-00:00:00.01'", R"("-00:00:00.01")"});  // go-mysql #677
  return cases;
}

// "id INT PRIMARY KEY, ti TINYINT, ...": the every-type table's columns.
inline std::string everyTypeColumns() {
  std::string columns = "id INT PRIMARY KEY";
  for (const TypeCase& c : typeCases()) {
    columns += fmt::format(", {} {}", c.name, c.type);
  }
  return columns;
}

// Its row 1 as an INSERT's column list and values: {"id, ti, ...", "1, -128, ..."}.
inline std::pair<std::string, std::string> everyTypeRow() {
  std::string names = "id";
  std::string literals = "1";
  for (const TypeCase& c : typeCases()) {
    names += ", " + c.name;
    literals += ", " + c.literal;
  }
  return {names, literals};
}

// Row 2: zero and partial-zero dates kept as text; every other column NULL.
inline constexpr const char* kEveryTypeZeroRow =
    "(id, da, dt0, dt6, ts0) VALUES "
    "(2, '0000-00-00', '2015-00-21 00:00:00', '0000-00-00 00:00:00', '0000-00-00 00:00:00')";

}  // namespace mm::test
