// Access to the team's shared binlog fixtures (../shared/fixtures/binlog, read in place, never
// copied into the project). Tests call MM_REQUIRE_FIXTURE to skip with a clear message when the
// shared folder is absent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mm::test {

// Absolute path of a fixture ("canal/mysql-bin.000001"), or nullopt when it is not there.
std::optional<std::string> fixturePath(const std::string& relative);

// The whole file; gunzips names ending in ".gz". Empty on failure.
std::vector<uint8_t> readFileBytes(const std::string& path);

}  // namespace mm::test

#define MM_REQUIRE_FIXTURE(var, relative)                                                          \
  auto var##_path = ::mm::test::fixturePath(relative);                                             \
  if (!var##_path) {                                                                               \
    GTEST_SKIP() << "shared fixture " << (relative) << " not found under " MM_SHARED_FIXTURES_DIR; \
  }                                                                                                \
  const std::vector<uint8_t> var = ::mm::test::readFileBytes(*var##_path)
