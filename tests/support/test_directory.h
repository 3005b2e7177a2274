// freshTestDirectory(): a directory path of the running test's own, under the system's temporary
// directory and named PREFIX-PID-TESTNAME, removed if a previous run left it: for fixtures that
// write files (remove it again in TearDown).
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace mm::test {

inline std::filesystem::path freshTestDirectory(std::string_view prefix) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              (std::string(prefix) + "-" + std::to_string(getpid()) + "-" +
                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  return dir;
}

}  // namespace mm::test
