#include "common/thread_name.h"

#include <pthread.h>

#include <string>
#include <string_view>
#include <thread>

#include <gtest/gtest.h>

namespace mm {
namespace {

// The name a new thread has after it named itself `requested`.
std::string nameAfterNaming(std::string_view requested) {
  std::string seen;
  std::thread([&] {
    nameThisThread(requested);
    char name[64] = {};
    EXPECT_EQ(pthread_getname_np(pthread_self(), name, sizeof(name)), 0);
    seen = name;
  }).join();
  return seen;
}

TEST(ThreadName, NamesTheCallingThread) { EXPECT_EQ(nameAfterNaming("mm-reader"), "mm-reader"); }

TEST(ThreadName, KeepsTheFirstFifteenBytesOfALongerName) {
  EXPECT_EQ(nameAfterNaming("mm-transformer-stage-two"), "mm-transformer-");
}

}  // namespace
}  // namespace mm
