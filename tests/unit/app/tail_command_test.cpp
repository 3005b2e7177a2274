// tail: the binding key each exchange type needs to see every message, and what one message looks
// like on the terminal.
#include "app/tail_command.h"

#include <gtest/gtest.h>

namespace mm::app {
namespace {

Result<std::string> bindingKeyFor(const std::string& exchange_type,
                                  const std::string& routing_key) {
  config::AmqpConfig amqp;
  amqp.exchange_type = exchange_type;
  amqp.routing_key = routing_key;
  auto routing = message::RoutingKeyTemplate::parse(routing_key);
  EXPECT_TRUE(routing.isOk()) << routing.status().toString();
  return tailBindingKey(amqp, *routing);
}

TEST(TailBindingKey, FollowsTheExchangeType) {
  EXPECT_EQ(*bindingKeyFor("fanout", "monitor"), "");
  EXPECT_EQ(*bindingKeyFor("headers", "{database}"), "");
  EXPECT_EQ(*bindingKeyFor("topic", "{database}.{table}.{type}"), "#");
  EXPECT_EQ(*bindingKeyFor("direct", "changes"), "changes");
  EXPECT_EQ(*bindingKeyFor("x-consistent-hash", "{keys_hash}"), "1");
}

TEST(TailBindingKey, DirectExchangeWithPlaceholdersNeedsAnExplicitKey) {
  auto key = bindingKeyFor("direct", "{database}.{table}");
  ASSERT_FALSE(key.isOk());
  EXPECT_EQ(key.status().code(), StatusCode::InvalidArgument);
  EXPECT_NE(key.status().message().find("pass --binding-key"), std::string::npos)
      << key.status().message();
}

sink::ConsumedMessage insertMessage() {
  sink::ConsumedMessage m;
  m.routing_key = "shop.orders.row_insert";
  m.message_id = "c0ffee";
  m.timestamp = 1764108000;
  m.body =
      R"({"type":"row_insert","keys":{"id":12345678901234567890},"values":{"price":1.10,"note":"a\"b"}})";
  return m;
}

TEST(TailFormat, IndentsTheBodyKeepingNumbersAsPublished) {
  EXPECT_EQ(
      formatTailMessage(insertMessage(), /*compact=*/false),
      "--- routing_key=shop.orders.row_insert message_id=c0ffee published=2025-11-25T22:00:00Z\n"
      "{\n"
      "  \"type\": \"row_insert\",\n"
      "  \"keys\": {\n"
      "    \"id\": 12345678901234567890\n"
      "  },\n"
      "  \"values\": {\n"
      "    \"price\": 1.10,\n"
      "    \"note\": \"a\\\"b\"\n"
      "  }\n"
      "}\n\n");
}

TEST(TailFormat, CompactPrintsTheBodyAsPublished) {
  const sink::ConsumedMessage m = insertMessage();
  EXPECT_EQ(
      formatTailMessage(m, /*compact=*/true),
      "--- routing_key=shop.orders.row_insert message_id=c0ffee published=2025-11-25T22:00:00Z\n" +
          m.body + "\n\n");
}

// [message] format = origin: Python's separators and \u escapes, no timestamp property (so no
// "published=").
TEST(TailFormat, OriginMessagesAreIndentedToo) {
  sink::ConsumedMessage m;
  m.routing_key = "monitor";
  m.message_id = "binlog.000014:43558400:1";
  m.body = R"({"type": "row_insert", "table_name": "employee", "keys": {"id": 2760}, )"
           R"("values": {"fname": "caf\u00e9"}, "binlog_timestamp": 1796391743, )"
           R"("timestamp": 1796391744})";
  EXPECT_EQ(formatTailMessage(m, /*compact=*/false),
            "--- routing_key=monitor message_id=binlog.000014:43558400:1\n"
            "{\n"
            "  \"type\": \"row_insert\",\n"
            "  \"table_name\": \"employee\",\n"
            "  \"keys\": {\n"
            "    \"id\": 2760\n"
            "  },\n"
            "  \"values\": {\n"
            "    \"fname\": \"caf\xC3\xA9\"\n"  // the escape read back: UTF-8
            "  },\n"
            "  \"binlog_timestamp\": 1796391743,\n"
            "  \"timestamp\": 1796391744\n"
            "}\n\n");
}

TEST(TailFormat, BodyThatIsNotJsonIsPrintedAsItCame) {
  sink::ConsumedMessage m;
  m.routing_key = "k";
  m.body = "{not json";
  m.redelivered = true;
  EXPECT_EQ(formatTailMessage(m, false),
            "--- routing_key=k message_id=(none) redelivered\n{not json\n\n");
}

}  // namespace
}  // namespace mm::app
