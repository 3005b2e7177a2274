#include "common/function_ref.h"

#include <gtest/gtest.h>

#include <string>

namespace mm {
namespace {

int applyTwice(FunctionRef<int(int)> f, int x) { return f(f(x)); }

TEST(FunctionRef, CallsTheLambdaItRefersToWithItsCaptures) {
  int calls = 0;
  const int step = 5;
  EXPECT_EQ(applyTwice(
                [&](int v) {
                  ++calls;
                  return v + step;
                },
                1),
            11);
  EXPECT_EQ(calls, 2) << "the lambda's own state, not a copy, is called";
}

struct Triple {
  int operator()(int v) const { return 3 * v; }
};

TEST(FunctionRef, CallsAFunctionObjectAndPassesArgumentsThrough) {
  EXPECT_EQ(applyTwice(Triple{}, 2), 18);
  std::string seen;
  auto append = [&](const std::string& text) { seen += text; };
  FunctionRef<void(const std::string&)> ref(append);
  ref("a");
  ref("b");
  EXPECT_EQ(seen, "ab");
}

}  // namespace
}  // namespace mm
