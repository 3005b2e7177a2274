// PublishItem keeps a message's id and body in one string: the id first (setMessage, one
// allocation per message), or after the body when a large body was taken from the formatter
// without a copy (adoptMessage). Both read the same.
#include "pipeline/items.h"

#include <gtest/gtest.h>

namespace mm::pipeline {
namespace {

TEST(PublishItem, AnAdoptedBodyReadsAsACopiedOne) {
  PublishItem copied;
  copied.setMessage("mysql-bin.000001:500:3", R"({"type":"row_insert"})");
  PublishItem adopted;
  adopted.adoptMessage(std::string(R"({"type":"row_insert"})") + "mysql-bin.000001:500:3", 22);
  for (const PublishItem* item : {&copied, &adopted}) {
    EXPECT_EQ(item->messageId(), "mysql-bin.000001:500:3");
    EXPECT_EQ(item->body(), R"({"type":"row_insert"})");
    EXPECT_TRUE(item->isMessage());
  }
  // A new body (a row_oversize message in its place) keeps the id.
  adopted.setBody(R"({"type":"row_oversize"})");
  EXPECT_EQ(adopted.messageId(), "mysql-bin.000001:500:3");
  EXPECT_EQ(adopted.body(), R"({"type":"row_oversize"})");
  EXPECT_FALSE(checkpointMark(checkpoint::Checkpoint{"mysql-bin.000001", 4}).isMessage());
}

}  // namespace
}  // namespace mm::pipeline
