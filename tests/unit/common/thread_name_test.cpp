#include "common/thread_name.h"

#include <pthread.h>

#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace mm {
namespace {

std::string nameOf(pthread_t thread) {
  char name[64] = {};
  EXPECT_EQ(pthread_getname_np(thread, name, sizeof(name)), 0);
  return name;
}

TEST(ThreadName, NamesTheCallingThread) {
  std::string seen;
  std::thread([&] {
    nameThisThread("mm-reader");
    seen = nameOf(pthread_self());
  }).join();
  EXPECT_EQ(seen, "mm-reader");
}

TEST(ThreadName, KeepsTheFirstFifteenBytesOfALongerName) {
  std::string seen;
  std::thread([&] {
    nameThisThread("mm-transformer-stage-two");
    seen = nameOf(pthread_self());
  }).join();
  EXPECT_EQ(seen, "mm-transformer-");
}

}  // namespace
}  // namespace mm
