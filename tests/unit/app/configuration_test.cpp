// [mysql] start_position is checked when the configuration loads (exit 2), not at first start.
#include "app/configuration.h"

#include <gtest/gtest.h>

namespace mm::app {
namespace {

TEST(StartPosition, AcceptsKeywordsPositionsAndGtidSets) {
  for (const char* spec : {"current", "earliest", "mysql-bin.000001:4", "binlog.000042:91234",
                           "0-1-100", "0-1-100,1-2-5", "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-100"}) {
    EXPECT_TRUE(checkStartPosition(spec).isOk()) << spec << ": " << checkStartPosition(spec).message();
  }
}

TEST(StartPosition, RejectsAnythingElseNamingTheKeyAndTheForms) {
  for (const char* spec : {"latest", "mysql-bin.000001:3", "mysql-bin.000001:", ":100", "mysql-bin.000001:x"}) {
    const Status status = checkStartPosition(spec);
    ASSERT_FALSE(status.isOk()) << spec;
    EXPECT_EQ(status.code(), StatusCode::InvalidArgument);
    EXPECT_NE(status.message().find(std::string("[mysql] start_position: '") + spec +
                                    "' is not one of current, earliest, FILE:POS"),
              std::string::npos)
        << status.message();
  }
}

}  // namespace
}  // namespace mm::app
